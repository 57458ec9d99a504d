"""Writes about logins: a county officer unlocking one or giving it a temporary password, and a
user changing their own. Each write is recorded as an AccountEvent (who, whose login, when) and
logged, so a county can always say who let whom back in."""
from __future__ import annotations

import logging
import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth import password_validation
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from assignments.auth import user_cache_forget
from assignments.models import AccountEvent, Profile

from .selectors import accounts_for_user

log = logging.getLogger(__name__)

# Set in the session at login when the account holds a temporary password; the middleware
# (assignments.middleware.MustChangePasswordMiddleware) reads only this, never the database.
MUST_CHANGE_SESSION_KEY = "zhucun_must_change_password"

# Read out over the phone: lower-case letters and digits without the look-alikes (0/o, 1/l/i).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_PASSWORD_LENGTH = 10


def _require_manageable(*, user, account) -> None:
    if not accounts_for_user(user).filter(pk=account.pk).exists():
        raise PermissionDenied(_("Only your county's organisation department can do this for this account."))


def _record(*, account, actor, action: str) -> AccountEvent:
    event = AccountEvent.objects.create(user=account, username=account.get_username(), action=action,
                                        actor=actor, actor_username=actor.get_username())
    log.info("account %s: %s by %s", account.get_username(), action, actor.get_username())
    return event


def temporary_password_generate(*, account=None) -> str:
    """A random password that passes the configured validators for this account."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))
        try:
            password_validation.validate_password(password, account)
        except ValidationError:
            continue  # e.g. all digits: vanishingly rare, draw again
        return password


def account_unlock(*, user, account) -> int:
    """Lift a django-axes lockout of `account` at once; the number of failed-attempt records
    cleared (0 if it was not locked)."""
    _require_manageable(user=user, account=account)
    with transaction.atomic():
        removed = axes_reset(username=account.get_username())
        _record(account=account, actor=user, action=AccountEvent.Action.UNLOCK)
    return removed


def account_password_reset(*, user, account) -> str:
    """Give `account` a new random password, to be read to its owner, which they must replace at
    their next login; returns it (it is stored only hashed). Their other sessions end at their
    next request (the session's password hash no longer matches), and a lockout is lifted too:
    someone who forgot their password has usually locked themselves out trying."""
    _require_manageable(user=user, account=account)
    password = temporary_password_generate(account=account)
    with transaction.atomic():
        account.set_password(password)
        account.save(update_fields=["password"])
        Profile.objects.filter(user=account).update(must_change_password=True)
        axes_reset(username=account.get_username())
        _record(account=account, actor=user, action=AccountEvent.Action.TEMPORARY_PASSWORD)
        # The save's signal already dropped the cached user, but inside this transaction: a
        # request of theirs in between could cache the old row (old password) again. Drop it
        # once more when the new password is visible to everyone.
        transaction.on_commit(lambda: user_cache_forget(user_id=account.pk))
    return password


def account_password_changed(*, user) -> None:
    """After `user` changed their own password (Django's view saved it): a temporary password is
    gone, and the change is recorded."""
    with transaction.atomic():
        Profile.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
        _record(account=user, actor=user, action=AccountEvent.Action.PASSWORD_CHANGE)


@receiver(user_logged_in, dispatch_uid="zhucun_must_change_password")
def _flag_temporary_password(sender, request, user, **kwargs):
    # One query per login, none per request: the flag travels in the session from here on.
    if request is not None and hasattr(request, "session") and \
            Profile.objects.filter(user=user, must_change_password=True).exists():
        request.session[MUST_CHANGE_SESSION_KEY] = True
