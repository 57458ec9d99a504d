"""Login pages: one's own password change (Django's views with our templates), and the county
organisation department's list of its county's logins with their two actions (unlock, temporary
password). Views parse, call a selector or a service, and render or redirect.

The account actions go through `_get_account_for_user`: a role that looks after no login gets
403 before anything is looked up; county staff asking for a login outside their county get 404
(we do not confirm it exists).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..access import next_url, page_of, profile_required
from . import selectors, services
from .forms import PasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every logged-in user, with or without a role. Django's view keeps this session logged in
    (update_session_auth_hash); the user's other sessions end on their next request, since the
    password hash they carry no longer matches (and the cached user is dropped by the save)."""

    form_class = PasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["must_change"] = bool(self.request.session.get(services.MUST_CHANGE_SESSION_KEY))
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        services.account_password_changed(user=form.user)
        self.request.session.pop(services.MUST_CHANGE_SESSION_KEY, None)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


def _require_account_manager(request: HttpRequest) -> None:
    if not selectors.can_manage_accounts(request.user):
        raise PermissionDenied(_("Only county organisation department staff look after other people's logins."))


def _get_account_for_user(request: HttpRequest, pk: int):
    _require_account_manager(request)
    return get_object_or_404(selectors.accounts_for_user(request.user).select_related("cadre"), pk=pk)


def _back(request: HttpRequest) -> str:
    """Where the action was started from (the cadre page or the list), if it is one of ours."""
    return next_url(request, request.POST.get("next"), reverse("accounts:list"))


@profile_required
def account_list(request: HttpRequest) -> HttpResponse:
    _require_account_manager(request)
    qs = selectors.accounts_for_user(request.user).select_related(
        "profile", "profile__region", "profile__unit", "cadre", "cadre__unit")
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(Q(username__icontains=query) | Q(first_name__icontains=query)
                       | Q(last_name__icontains=query) | Q(cadre__name__icontains=query))
    locks = selectors.account_locks(usernames=qs.values("username"))
    locked_only = request.GET.get("locked") == "1"
    if locked_only:
        qs = qs.filter(username__in=list(locks))
    page = page_of(request, qs.order_by("profile__role", "username"))
    rows = [{"account": a, "name": selectors.account_name(a), "locked_until": locks.get(a.username),
             "locked": a.username in locks} for a in page]
    return render(request, "accounts/account_list.html", {
        "page": page, "rows": rows, "q": query, "locked_only": locked_only, "locked_count": len(locks),
        "query": urlencode({k: v for k, v in (("q", query), ("locked", "1" if locked_only else "")) if v}),
    })


@profile_required
@require_POST
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get_account_for_user(request, pk)
    services.account_unlock(user=request.user, account=account)
    messages.success(request, _(
        "The account %(username)s of %(name)s is unlocked. Tell them they can log in again now with their own "
        "password; if they have forgotten it, give them a temporary password."
    ) % {"username": account.get_username(), "name": selectors.account_name(account)})
    return redirect(_back(request))


@profile_required
@require_POST
def account_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get_account_for_user(request, pk)
    password = services.account_password_reset(user=request.user, account=account)
    # Shown once, on this response (never stored in a message or the session, never cached:
    # logged-in pages are sent with Cache-Control: no-store).
    return render(request, "accounts/temporary_password.html", {
        "account": account, "name": selectors.account_name(account), "password": password,
        "back_url": _back(request),
    })

