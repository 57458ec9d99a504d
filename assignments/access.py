"""View helpers shared by every app: who may open a page at all, and list pagination.

What a user may see inside a page is the scoping gate's business (selectors.py); these only
turn away accounts without a role and page long lists the same way everywhere."""
from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .selectors import Scope, scope_for_user


def profile_required(view):
    """Logged in and with a role: an account without one sees nothing (403) rather than an
    empty roster, so a half-configured account is noticed at once."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if scope_for_user(request.user).role is None:
            raise PermissionDenied(_("Your account has no role yet; ask the administrator."))
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def require_roles(request: HttpRequest, *roles: str) -> Scope:
    """The user's scope if their role is one of `roles`; 403 otherwise."""
    scope = scope_for_user(request.user)
    if scope.role not in roles:
        raise PermissionDenied(_("This page is not part of your role."))
    return scope


def page_of(request: HttpRequest, qs) -> Page:
    """The requested page of `qs` (settings.ZHUCUN['PAGE_SIZE'] rows; a bad number gives the last)."""
    return Paginator(qs, settings.ZHUCUN["PAGE_SIZE"]).get_page(request.GET.get("page"))


def next_url(request: HttpRequest, value: str | None, default: str) -> str:
    """A "come back here" address from the request (`?next=` or a form's `next`), if it stays on
    this site; otherwise `default`. Django's own check, not a prefix test: "/\\evil.example"
    starts with "/" and a browser still takes it for another host."""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return value
    return default
