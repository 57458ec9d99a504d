"""View helpers shared by every app: who may open a page at all, and list pagination.

What a user may see inside a page is the scoping gate's business (selectors.py); these only
turn away accounts without a role and page long lists the same way everywhere."""
from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import dates
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


# --- months, days and years in an address ---------------------------------------------------------
#
# Every ?month=, ?day= and ?year= a page reads goes through these (dates.py has the bounds): left
# out, it is this month, today or this year; anything else outside the programme's years is the
# same default, and the page says what it did not show, so an edited address never turns into a
# 500 or writes a calendar row for the year 9999.


def _refused(value: str) -> str:
    return value.strip()[:20]


def month_refused_message(value: str, *, today: dt.date) -> str:
    low, high = dates.date_bounds(today=today)
    return _("“%(value)s” is not a month from %(low)s to %(high)s (YYYY-MM).") % {
        "value": _refused(value), "low": f"{low:%Y-%m}", "high": f"{high:%Y-%m}"}


def month_param(request: HttpRequest, *, today: dt.date, value: str | None = None) -> dt.date:
    """The first day of the month asked for (`?month=`, or `value`), within the programme's
    years; otherwise this month, with a warning when something else was asked for."""
    value = request.GET.get("month", "") if value is None else value
    month = dates.parse_month(value, today=today)
    if month is None:
        if value.strip():
            messages.warning(request, month_refused_message(value, today=today))
        month = today.replace(day=1)
    return month


def day_refused_message(value: str, *, today: dt.date) -> str:
    low, high = dates.date_bounds(today=today)
    return _("“%(value)s” is not a day from %(low)s to %(high)s (YYYY-MM-DD).") % {
        "value": _refused(value), "low": low.isoformat(), "high": high.isoformat()}


def day_param(request: HttpRequest, *, today: dt.date, value: str | None = None) -> dt.date | None:
    """The day asked for (`?day=`, or `value` such as a posted field), within the programme's
    years; today when nothing was asked for; None, with a warning saying why, for anything else
    (a GET shows today instead, a POST saves nothing)."""
    value = request.GET.get("day", "") if value is None else value
    if not value.strip():
        return today
    day = dates.parse_day(value, today=today)
    if day is None:
        messages.warning(request, day_refused_message(value, today=today))
    return day


def year_param(request: HttpRequest, *, today: dt.date, value: str | None = None) -> int:
    """The year asked for (`?year=`, or `value`) within the programme's years; otherwise this
    year, with a warning when something else was asked for."""
    value = request.GET.get("year", "") if value is None else value
    year = dates.parse_year(value, today=today)
    if year is None:
        if value.strip():
            low, high = dates.year_bounds(today=today)
            messages.warning(request, _("“%(value)s” is not a year from %(low)d to %(high)d.") % {
                "value": _refused(value), "low": low, "high": high})
        year = today.year
    return year
