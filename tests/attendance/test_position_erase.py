"""Check-in positions are kept only as long as a review may need them (ZHUCUN POSITION_KEEP_DAYS)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from attendance import services, tasks
from attendance.models import PresenceRecord

TODAY = dt.date(2026, 11, 18)
Review = PresenceRecord.Review


def _record(world, *, days_ago: int, status=Review.OK, cadre=None, assignment=None) -> PresenceRecord:
    record = PresenceRecord(
        cadre=cadre or world.cadre, assignment=assignment or world.assignment, date=TODAY - dt.timedelta(days=days_ago),
        kind=PresenceRecord.Kind.IN_VILLAGE, source=PresenceRecord.Source.SELF, recorded_by=world.cadre_user, recorded_at=timezone.now(),
        latitude=Decimal("31.732500"), longitude=Decimal("105.934500"), accuracy_m=30.0, review_status=status,
        review_note="离村 12 km" if status != Review.OK else "",
    )
    record.save()
    return record


def _positions(record) -> tuple[list, list]:
    record.refresh_from_db()
    versions = list(record.history.order_by("history_id").values_list("latitude", "longitude"))
    return [record.latitude, record.longitude], versions


@pytest.fixture
def settled(world, settings):
    settings.ZHUCUN = {**settings.ZHUCUN, "POSITION_KEEP_DAYS": 90}
    old = _record(world, days_ago=91)
    # A rejected check-in whose review changed the record: two stored versions, both located.
    rejected = _record(world, days_ago=120, status=Review.NEEDS_REVIEW)
    rejected.review_status = Review.REJECTED
    rejected.save()
    waiting = _record(world, days_ago=100, status=Review.NEEDS_REVIEW)
    recent = _record(world, days_ago=90)
    other = _record(world, days_ago=200, cadre=world.member, assignment=world.member_assignment)
    return old, rejected, waiting, recent, other


def test_positions_past_the_keeping_time_are_erased_from_records_and_history(settled):
    old, rejected, _waiting, _recent, other = settled
    assert services.presence_positions_erase(today=TODAY) == 3
    for record in (old, rejected, other):
        current, versions = _positions(record)
        assert current == [None, None]
        assert versions and all(v == (None, None) for v in versions)
    # What the check found stays; so does the accuracy, which locates nobody.
    rejected.refresh_from_db()
    assert rejected.review_note == "离村 12 km" and rejected.accuracy_m == 30.0


def test_a_check_in_still_waiting_for_review_and_a_recent_one_keep_their_position(settled):
    _old, _rejected, waiting, recent, _other = settled
    services.presence_positions_erase(today=TODAY)
    for record in (waiting, recent):
        current, versions = _positions(record)
        assert current == [Decimal("31.732500"), Decimal("105.934500")]
        assert all(v == (Decimal("31.732500"), Decimal("105.934500")) for v in versions)


def test_erasing_twice_changes_nothing_and_writes_no_history_version(settled):
    old = settled[0]
    services.presence_positions_erase(today=TODAY)
    versions = old.history.count()
    assert services.presence_positions_erase(today=TODAY) == 0
    assert old.history.count() == versions


def test_erasing_is_set_based(settled, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # savepoint, two UPDATEs, release
        services.presence_positions_erase(today=TODAY)


def test_the_waiting_check_in_loses_its_position_the_night_after_its_review(settled, world):
    waiting = settled[2]
    services.presence_positions_erase(today=TODAY)
    services.presence_review(user=world.owner, record=waiting, accept=True)
    assert services.presence_positions_erase(today=TODAY) == 1
    current, versions = _positions(waiting)
    assert current == [None, None] and all(v == (None, None) for v in versions)


def test_the_nightly_task_and_run_scans_erase_with_the_configured_keeping_time(settled, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    assert tasks.erase_old_positions() == 3
    old = settled[0]
    PresenceRecord.objects.filter(pk=old.pk).update(latitude=Decimal("31.7"), longitude=Decimal("105.9"))
    call_command("run_scans", "--day", (TODAY - dt.timedelta(days=1)).isoformat(), stdout=open("/dev/null", "w"))
    assert _positions(old)[0] == [None, None]
