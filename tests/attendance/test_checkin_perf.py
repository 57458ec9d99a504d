"""The check-in hot path's shortcuts must not change an answer: the cadre-scope cache, the
two-table check-in read, the one-statement insert with its history row, the boundary cache."""
import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assignments.models import Profile
from assignments.selectors import scope_for_user
from attendance import services
from attendance.models import CountyAttendanceSetting, PresenceRecord
from tests.factories import CadreFactory

TODAY = dt.date(2026, 11, 18)


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _fresh(user):
    """The same account as a new request sees it (no per-request scope on the object)."""
    return get_user_model().objects.get(pk=user.pk)


def test_cadre_scope_is_served_from_the_cache_on_the_next_request(world, django_assert_num_queries):
    first = scope_for_user(_fresh(world.cadre_user))
    user = _fresh(world.cadre_user)
    with django_assert_num_queries(0):
        again = scope_for_user(user)
    assert again == first and again.cadre_id == world.cadre.id


def test_changing_the_profile_of_a_cadre_account_drops_the_cached_scope(world):
    scope_for_user(_fresh(world.cadre_user))
    profile = Profile.objects.get(user=world.cadre_user)
    profile.role, profile.region = Profile.Role.COUNTY, world.county
    profile.save()
    scope = scope_for_user(_fresh(world.cadre_user))
    assert scope.role == Profile.Role.COUNTY and scope.cadre_id is None


def test_deleting_the_profile_drops_the_cached_scope(world):
    scope_for_user(_fresh(world.cadre_user))
    Profile.objects.filter(user=world.cadre_user).delete()
    assert scope_for_user(_fresh(world.cadre_user)).role is None


def test_relinking_a_cadre_record_to_another_account_drops_the_old_accounts_scope(world):
    scope_for_user(_fresh(world.cadre_user))
    newcomer = get_user_model().objects.create_user("newcomer", password="x")
    Profile.objects.create(user=newcomer, role=Profile.Role.CADRE)
    world.cadre.user = newcomer
    world.cadre.save()
    assert scope_for_user(_fresh(world.cadre_user)).cadre_id is None
    assert scope_for_user(_fresh(newcomer)).cadre_id == world.cadre.id


def test_deleting_the_cadre_record_drops_the_cached_scope(world):
    scope_for_user(_fresh(world.cadre_user))
    world.cadre.assignments.all().delete()
    world.cadre.delete()
    assert scope_for_user(_fresh(world.cadre_user)).cadre_id is None


def test_an_unlinked_cadre_account_is_not_cached_so_linking_shows_at_once(world):
    account = get_user_model().objects.create_user("unlinked", password="x")
    Profile.objects.create(user=account, role=Profile.Role.CADRE)
    assert scope_for_user(_fresh(account)).cadre_id is None
    cadre = CadreFactory(unit=world.unit, county=world.county)
    type(cadre).objects.filter(pk=cadre.pk).update(user=account)  # bypasses signals on purpose
    assert scope_for_user(_fresh(account)).cadre_id == cadre.id


def test_staff_scopes_are_not_cached(world, django_assert_num_queries):
    scope_for_user(_fresh(world.owner))
    user = _fresh(world.owner)
    with django_assert_num_queries(1):
        assert scope_for_user(user).region == world.county


def test_checkin_writes_the_record_and_one_history_row(world, today):
    result = services.presence_checkin(user=_fresh(world.cadre_user))
    record = PresenceRecord.objects.get(cadre=world.cadre, date=TODAY)
    assert result.created and result.record.pk == record.pk and record.assignment_id == world.assignment.id
    history = list(record.history.all())
    assert [h.history_type for h in history] == ["+"]
    assert history[0].kind == record.kind and history[0].recorded_by_id == world.cadre_user.id


def test_a_checkin_through_the_page_records_the_cadre_as_the_history_user(world, today, client):
    client.force_login(world.cadre_user)
    response = client.post(reverse("attendance:checkin"))
    assert response.status_code == 302
    record = PresenceRecord.objects.get(cadre=world.cadre, date=TODAY)
    assert [(h.history_type, h.history_user_id) for h in record.history.all()] == [("+", world.cadre_user.id)]


def test_a_second_checkin_adds_neither_record_nor_history(world, today):
    services.presence_checkin(user=_fresh(world.cadre_user))
    second = services.presence_checkin(user=_fresh(world.cadre_user))
    assert not second.created
    assert PresenceRecord.objects.filter(cadre=world.cadre).count() == 1
    assert PresenceRecord.history.filter(cadre_id=world.cadre.id).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement check-in is PostgreSQL only")
def test_checkin_on_postgresql_is_one_statement(world, today, django_assert_num_queries):
    user = _fresh(world.cadre_user)
    scope_for_user(_fresh(world.cadre_user))  # as after opening the check-in page
    with django_assert_num_queries(1):
        result = services.presence_checkin(user=user)
    assert result.created and result.record.assignment_id == world.assignment.id


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement check-in is PostgreSQL only")
def test_a_warm_checkin_request_costs_one_database_statement(world, today, client, django_assert_num_queries):
    # Session, user and scope come from the cache once the cadre has opened the page.
    client.force_login(world.cadre_user)
    client.get(reverse("attendance:checkin"))
    with django_assert_num_queries(1):
        response = client.post(reverse("attendance:checkin"), HTTP_ACCEPT="application/json")
    assert response.json()["created"] is True
    assert PresenceRecord.objects.filter(cadre=world.cadre, date=TODAY).count() == 1


def test_the_one_statement_picks_the_same_post_as_the_selector(world, today):
    # Two posts on the day (a hand-over): the newest start wins, as in selectors.checkin_target.
    from attendance.selectors import checkin_target
    from tests.factories import AssignmentFactory

    world.assignment.start_date = TODAY - dt.timedelta(days=400)
    world.assignment.end_date, world.assignment.end_reason = TODAY, "rotation"
    world.assignment.save()
    newer = AssignmentFactory(cadre=world.cadre, village=world.village2, start_date=TODAY)
    expected = checkin_target(cadre_id=world.cadre.id, day=TODAY)
    result = services.presence_checkin(user=_fresh(world.cadre_user))
    assert expected[0] == newer.id and result.record.assignment_id == newer.id
    assert PresenceRecord.objects.get(cadre=world.cadre, date=TODAY).assignment_id == newer.id


def test_a_cadre_not_in_post_today_gets_a_message_and_nothing_is_written(world, today):
    from django.core.exceptions import ValidationError

    world.assignment.start_date = TODAY + dt.timedelta(days=1)
    world.assignment.planned_end_date = TODAY + dt.timedelta(days=700)
    world.assignment.save()
    with pytest.raises(ValidationError):
        services.presence_checkin(user=_fresh(world.cadre_user))
    assert not PresenceRecord.objects.filter(cadre=world.cadre).exists()
    assert not PresenceRecord.history.filter(cadre_id=world.cadre.id).exists()


def test_a_day_the_township_already_recorded_is_left_as_it_is(world, today):
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=TODAY,
                                  kind=PresenceRecord.Kind.TRIP, source=PresenceRecord.Source.KEEPER,
                                  recorded_by=world.township_staff, recorded_at=timezone.now())
    result = services.presence_checkin(user=_fresh(world.cadre_user))
    assert not result.created and "township" in result.message
    record = PresenceRecord.objects.get(cadre=world.cadre, date=TODAY)
    assert record.kind == PresenceRecord.Kind.TRIP and record.history.count() == 1


def test_the_boundary_cache_gives_the_same_verdict_as_a_fresh_parse(world, today):
    square = {"type": "Polygon",
              "coordinates": [[[105.5, 31.5], [106.5, 31.5], [106.5, 32.2], [105.5, 32.2], [105.5, 31.5]]]}
    boundary = json.dumps(square)
    services._boundary_shape.cache_clear()
    from shapely.geometry import Point, shape

    for lon, lat in [(105.9, 31.7), (104.0, 30.0)]:
        fresh = shape(square).covers(Point(lon, lat))
        assert services._boundary_shape(world.county.id, boundary).covers(Point(lon, lat)) == fresh
    assert services._boundary_shape.cache_info().hits == 1
    moved = json.dumps({**square, "coordinates": [[[100, 20], [101, 20], [101, 21], [100, 21], [100, 20]]]})
    assert not services._boundary_shape(world.county.id, moved).covers(Point(105.9, 31.7))


def test_a_located_county_still_gets_the_location_checks(world, today):
    CountyAttendanceSetting.objects.create(county=world.county, location_checkin_enabled=True)
    result = services.presence_checkin(user=_fresh(world.cadre_user), latitude=30.0, longitude=104.0, accuracy=900)
    assert result.record.review_status == PresenceRecord.Review.NEEDS_REVIEW
    assert "accuracy" in result.record.review_note


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_new_database_connection_prepares_the_checkin_statement_again(world, today):
    # A reconnect (CONN_MAX_AGE, a dropped link) is a new session without the prepared
    # statement; the check-in must notice and prepare it again rather than fail.
    member_user = get_user_model().objects.create_user("member", password="x")
    Profile.objects.create(user=member_user, role=Profile.Role.CADRE)
    world.member.user = member_user
    world.member.save()
    assert services.presence_checkin(user=_fresh(world.cadre_user)).created
    connection.close()
    assert services.presence_checkin(user=_fresh(member_user)).created
    assert PresenceRecord.objects.filter(date=TODAY).count() == 2


def test_located_coordinates_are_stored_as_given(world, today):
    CountyAttendanceSetting.objects.create(county=world.county, location_checkin_enabled=True)
    services.presence_checkin(user=_fresh(world.cadre_user), latitude=31.7312346, longitude=105.9354321, accuracy=12.5)
    record = PresenceRecord.objects.get(cadre=world.cadre, date=TODAY)
    assert (str(record.latitude), str(record.longitude), record.accuracy_m) == ("31.731235", "105.935432", 12.5)
    assert record.history.get().latitude == record.latitude
