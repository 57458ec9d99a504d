"""Logged-in users come from the cache (assignments.auth.CachedModelBackend), and every change
to an account that matters for a session (password, deactivation, a new login) shows on the
very next request."""
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments.auth import CachedModelBackend, _user_key

User = get_user_model()


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def _user_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    table = User._meta.db_table
    return response, [q["sql"] for q in ctx.captured_queries if f'"{table}"' in q["sql"]]


def test_the_logged_in_user_is_read_from_the_database_once_then_from_the_cache(world, client):
    client.force_login(world.owner)
    first, first_reads = _user_queries(client, reverse("home"))
    second, second_reads = _user_queries(client, reverse("home"))
    assert len(first_reads) == 1 and second_reads == []
    assert first.wsgi_request.user.pk == second.wsgi_request.user.pk == world.owner.pk


def test_a_password_change_logs_other_sessions_out_on_their_next_request(world, client):
    client.force_login(world.owner)
    client.get(reverse("home"))  # cached now
    owner = User.objects.get(pk=world.owner.pk)
    owner.set_password("a-new-password-123")
    owner.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_deactivated_account_is_logged_out_on_its_next_request(world, client):
    client.force_login(world.owner)
    client.get(reverse("home"))
    owner = User.objects.get(pk=world.owner.pk)
    owner.is_active = False
    owner.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_cached_inactive_account_is_still_refused(world):
    # The flag is checked on every request, even on an entry cached before a signal-less change.
    owner = User.objects.get(pk=world.owner.pk)
    owner.is_active = False
    cache.set(_user_key(owner.pk), owner)
    assert CachedModelBackend().get_user(owner.pk) is None


def test_deleting_an_account_drops_its_cached_user(world):
    backend = CachedModelBackend()
    assert backend.get_user(world.stranger.pk) is not None
    world.stranger.delete()
    assert backend.get_user(world.stranger.pk) is None


def test_logging_in_starts_from_the_database_not_from_a_stale_entry(world, client):
    # An entry left from before (another password hash, as after a restore) must not log the
    # new session straight out again.
    stale = User.objects.get(pk=world.owner.pk)
    stale.password = "md5$stale$0000"
    cache.set(_user_key(stale.pk), stale)
    response = client.post(reverse("login"), {"username": "owner", "password": "pw-123456"})
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user.pk == world.owner.pk


def test_a_cadres_scope_comes_with_the_cached_user(world, client, django_assert_num_queries):
    from assignments.selectors import scope_for_user

    client.force_login(world.cadre_user)
    client.get(reverse("attendance:checkin"))  # caches the user and the cadre's scope
    user = CachedModelBackend().get_user(world.cadre_user.pk)
    with django_assert_num_queries(0):
        assert scope_for_user(user).cadre_id == world.cadre.id


def test_a_redis_outage_costs_database_reads_not_logins_or_errors(world, client, settings):
    # Nothing listens on port 1: every cache call fails at once and is ignored (and logged).
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"IGNORE_EXCEPTIONS": True}}}
    assert caches["default"].get("anything") is None and type(caches["default"]).__module__ == "django_redis.cache"
    client.force_login(world.cadre_user)
    response = client.post(reverse("attendance:checkin"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["created"] is True
    assert client.get(reverse("attendance:calendar_mine")).wsgi_request.user.pk == world.cadre_user.pk
