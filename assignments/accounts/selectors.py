"""Reads about logins, through the scoping gate.

Whose login a county officer may unlock or reset: the cadres their county manages
(`cadres_for_user`), the staff of its townships, and the liaisons of the units it manages
(`can_manage_unit`: homed in the county or one of its townships). Never another officer's,
a reviewer's or a superuser's: a county must not be able to take over an account that sees more
than it does. Everyone else manages no login (the list is empty; the views answer 403 first).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q, QuerySet, Sum
from django.utils import timezone

from assignments import selectors as gate
from assignments.models import AccountEvent, Profile

Role = Profile.Role


def can_manage_accounts(user) -> bool:
    """Only county organisation department staff look after other people's logins."""
    return gate.managed_county(user) is not None


def accounts_for_user(user) -> QuerySet:
    """Active logins the user may unlock or give a temporary password (none unless county staff)."""
    User = get_user_model()
    county = gate.managed_county(user)
    if county is None:
        return User.objects.none()
    cadre_users = gate.cadres_for_user(user).filter(user__isnull=False).values("user_id")
    return User.objects.filter(
        Q(profile__role=Role.CADRE, id__in=cadre_users)
        | Q(profile__role=Role.TOWNSHIP, profile__region__parent_id=county.id)
        | Q(profile__role=Role.UNIT, profile__unit__home_region_id=county.id)
        | Q(profile__role=Role.UNIT, profile__unit__home_region__parent_id=county.id),
        is_active=True, is_superuser=False,
    ).exclude(pk=user.pk)


def account_locks(*, usernames=None) -> dict[str, dt.datetime | None]:
    """Locked logins among `usernames` (all when None) → when the lock ends (None: never by
    itself). The rule is django-axes's own for AXES_LOCKOUT_PARAMETERS = ["username"]: the
    failures of the attempts younger than the cool-off add up to the limit. One query."""
    cool_off = get_cool_off()
    qs = AccessAttempt.objects.all()
    if usernames is not None:
        qs = qs.filter(username__in=usernames if isinstance(usernames, QuerySet) else list(usernames))
    if cool_off:
        qs = qs.filter(attempt_time__gte=timezone.now() - cool_off)
    rows = (qs.order_by().values("username").annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT))
    return {r["username"]: (r["last"] + cool_off if cool_off else None) for r in rows}


def account_name(account) -> str:
    """How pages name a login's person: the cadre's name, the staff member's, or the login."""
    cadre = getattr(account, "cadre", None)
    return cadre.name if cadre is not None else (account.get_full_name() or account.get_username())


@dataclass(frozen=True)
class AccountStatus:
    account: object  # the User
    name: str
    locked: bool
    locked_until: dt.datetime | None
    must_change_password: bool
    events: list[AccountEvent]


def account_status_for_user(user, *, account_id: int | None) -> AccountStatus | None:
    """A login's state for the officer who looks after it (None if they do not): whether it is
    locked and until when, whether a temporary password waits to be changed, and the last things
    done to it and by whom."""
    if account_id is None or not can_manage_accounts(user):
        return None
    account = accounts_for_user(user).select_related("profile", "cadre").filter(pk=account_id).first()
    if account is None:
        return None
    locks = account_locks(usernames=[account.get_username()])
    return AccountStatus(
        account=account, name=account_name(account),
        locked=account.get_username() in locks, locked_until=locks.get(account.get_username()),
        must_change_password=account.profile.must_change_password,
        events=list(AccountEvent.objects.filter(user=account).select_related("actor")[:5]),
    )
