"""Authentication backend that keeps logged-in users in the shared cache (settings.CACHES).

Every request of a logged-in user loads its User row (django.contrib.auth.get_user) before the
view does anything. Most requests come from cadres' phones (the morning check-in of ~34,000
cadres), so the row is kept in the cache and, in the same cache round trip, the cadre's scope
that the scoping gate asks for next (assignments.selectors.scope_for_user).

What makes this safe:
- the entry is dropped whenever a User is saved or deleted (post_save / post_delete): changing a
  password, deactivating an account or changing its flags in the admin or through a service
  takes effect on the next request, and the session check (the password-hash HMAC Django keeps
  in the session) still runs on every request against the user as cached;
- `is_active` is checked on every request, cached or not (ModelBackend.user_can_authenticate);
- queryset .update() skips signals, so entries also expire after USER_CACHE_SECONDS; no app code
  changes users that way.
Logging in (authenticate) is untouched: it always reads the database, and axes still counts
failures before it.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Profile
from .selectors import Scope, _scope_key, scope_cache_forget

USER_CACHE_SECONDS = 300


def _user_key(user_id) -> str:
    return f"auth:u:{user_id}"


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        key, scope_key = _user_key(user_id), _scope_key(user_id)
        found = cache.get_many([key, scope_key])
        user = found.get(key)
        if user is None:
            user = super().get_user(user_id)  # None for an unknown or inactive account
            if user is None:
                return None
            cache.set(key, user, timeout=USER_CACHE_SECONDS)
        elif not self.user_can_authenticate(user):
            return None
        cadre_id = found.get(scope_key)
        if cadre_id is not None:
            # What scope_for_user would read from the cache next: save it that round trip.
            user._zhucun_scope = Scope(role=Profile.Role.CADRE, cadre_id=cadre_id)
        return user


def user_cache_forget(*, user_id: int) -> None:
    cache.delete(_user_key(user_id))


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL, dispatch_uid="zhucun_user_cache")
def _forget_cached_user(sender, instance, **kwargs):
    user_cache_forget(user_id=instance.pk)


@receiver(user_logged_in, dispatch_uid="zhucun_user_cache_login")
def _forget_on_login(sender, user, **kwargs):
    # A login starts from the database: whatever the cache held for this id (from before a
    # restore, or users bulk-created by a seed, which sends no signals) is dropped.
    user_cache_forget(user_id=user.pk)
    scope_cache_forget(user_id=user.pk)
