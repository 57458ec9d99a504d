"""Attendance rules: check-in, review, keeper records, leave (请假 / 销假) and work logs."""
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone, translation

from attendance import selectors, services
from attendance.models import CountyAttendanceSetting, LeaveRequest, PresenceRecord, WorkingDay, WorkLog

TODAY = dt.date(2026, 11, 18)  # a Wednesday, a working day


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _leave(world, start, end, *, user=None, submit=True, kind="personal"):
    return services.leave_request_create(user=user or world.cadre_user, kind=kind, start=start, end=end,
                                         reason="家中有事", submit=submit)


# --- check-in ---------------------------------------------------------------------------------


def test_checkin_uses_the_server_date_and_a_second_tap_adds_nothing(world, today):
    first = services.presence_checkin(user=world.cadre_user)
    second = services.presence_checkin(user=world.cadre_user)
    assert first.created and first.record.date == TODAY
    assert first.record.assignment == world.assignment
    assert not second.created and "already checked in" in second.message
    assert PresenceRecord.objects.filter(cadre=world.cadre).count() == 1


def test_checkin_ignores_location_when_the_county_has_not_turned_it_on(world, today):
    result = services.presence_checkin(user=world.cadre_user, latitude=39.9, longitude=116.4, accuracy=5)
    assert result.record.latitude is None and result.record.review_status == PresenceRecord.Review.OK


def _locate(world, *, boundary=None):
    CountyAttendanceSetting.objects.create(county=world.county, location_checkin_enabled=True)
    world.village.latitude, world.village.longitude, world.village.checkin_radius_m = (
        Decimal("31.732000"), Decimal("105.934000"), 1000)
    world.village.save()
    if boundary is not None:
        world.county.boundary = json.dumps(boundary)
        world.county.save()


SQUARE = {"type": "Polygon", "coordinates": [[[105.5, 31.5], [106.5, 31.5], [106.5, 32.2], [105.5, 32.2], [105.5, 31.5]]]}


def test_located_checkin_near_the_village_passes(world, today):
    _locate(world, boundary=SQUARE)
    result = services.presence_checkin(user=world.cadre_user, latitude=31.7325, longitude=105.9345, accuracy=30)
    assert result.record.review_status == PresenceRecord.Review.OK
    assert result.record.latitude == Decimal("31.732500")


def test_located_checkin_far_from_the_village_is_stored_for_review_not_refused(world, today):
    _locate(world, boundary=SQUARE)
    result = services.presence_checkin(user=world.cadre_user, latitude=31.9, longitude=106.2, accuracy=30)
    assert result.created
    assert result.record.review_status == PresenceRecord.Review.NEEDS_REVIEW
    # Distance and radius in one unit, so they can be compared at a glance.
    assert re.search(r"\b\d{2},\d{3} m from the village, more than the allowed [\d,]+ m\.", result.record.review_note)
    assert list(selectors.review_queue_for_user(world.owner)) == [result.record]


def test_a_review_note_is_read_in_the_readers_language_with_the_reviewers_words_as_typed(world, today):
    _locate(world, boundary=SQUARE)
    with translation.override("zh-hans"):  # the cadre's phone is in Chinese; the site (here) in English
        record = services.presence_checkin(user=world.cadre_user, latitude=31.9, longitude=106.2, accuracy=900).record
    assert record.review_note.startswith("Location accuracy is worse than")  # stored in the site language
    with translation.override("zh-hans"):
        chinese = record.review_note_text
    # Two sentences, run on in Chinese (no space after 。), spaced in English.
    assert chinese.startswith("定位") and "。距村" in chinese and "。 " not in chinese
    assert re.search(r"\. \d", record.review_note_text)
    services.presence_review(user=world.owner, record=record, accept=False, reason="核实不在村")
    record.refresh_from_db()
    with translation.override("zh-hans"):
        assert record.review_note_text.startswith("定位") and record.review_note_text.endswith("\n核实不在村")
    # A note nobody can match to its messages any more is shown as stored.
    PresenceRecord.objects.filter(pk=record.pk).update(review_note="changed by hand")
    record.refresh_from_db()
    with translation.override("zh-hans"):
        assert record.review_note_text == "changed by hand"


def test_located_checkin_outside_the_county_or_inaccurate_needs_review(world, today):
    _locate(world, boundary=SQUARE)
    world.village.checkin_radius_m = 500_000
    world.village.save()
    result = services.presence_checkin(user=world.cadre_user, latitude=30.0, longitude=104.0, accuracy=900)
    note = result.record.review_note
    assert result.record.review_status == PresenceRecord.Review.NEEDS_REVIEW
    assert "outside 苍溪县" in note and "accuracy" in note


def test_checkin_refused_for_someone_not_stationed(world, today):
    from tests.factories import make_user
    with pytest.raises(PermissionDenied):
        services.presence_checkin(user=make_user("nobody", "county", region=world.county))


def test_review_accepts_or_rejects_with_reason_by_county_staff_only(world, today):
    _locate(world)
    record = services.presence_checkin(user=world.cadre_user, latitude=35.0, longitude=110.0, accuracy=10).record
    with pytest.raises(PermissionDenied):
        services.presence_review(user=world.stranger, record=record, accept=True)
    with pytest.raises(PermissionDenied):
        services.presence_review(user=world.township_staff, record=record, accept=True)
    with pytest.raises(ValidationError):
        services.presence_review(user=world.owner, record=record, accept=False, reason=" ")
    services.presence_review(user=world.owner, record=record, accept=False, reason="人在成都")
    record.refresh_from_db()
    assert record.review_status == PresenceRecord.Review.REJECTED and "人在成都" in record.review_note
    with pytest.raises(ValidationError):
        services.presence_review(user=world.owner, record=record, accept=True)


# --- keeper --------------------------------------------------------------------------------------


def test_keeper_records_a_day_grid_and_leaves_existing_records_alone(world, today):
    services.presence_checkin(user=world.cadre_user)
    result = services.presence_record_bulk(user=world.township_staff, day=TODAY, entries={
        world.cadre.id: "absent", world.member.id: "trip"})
    assert result.created == 1 and result.conflicts == ["袁杰"]
    assert PresenceRecord.objects.get(cadre=world.member, date=TODAY).source == "keeper"
    assert PresenceRecord.objects.get(cadre=world.cadre, date=TODAY).kind == "in_village"


def test_keeper_cannot_record_outside_their_township_and_nothing_is_saved(world, today):
    with pytest.raises(ValidationError):
        services.presence_record_bulk(user=world.township_staff, day=TODAY, entries={
            world.member.id: "in_village", world.neighbour_cadre.id: "in_village"})
    assert not PresenceRecord.objects.exists()
    with pytest.raises(PermissionDenied):
        services.presence_record_bulk(user=world.liaison, day=TODAY, entries={world.member.id: "in_village"})
    with pytest.raises(ValidationError):
        services.presence_record_bulk(user=world.township_staff, day=TODAY + dt.timedelta(days=1),
                                      entries={world.member.id: "in_village"})


def test_township_cannot_settle_or_undo_the_countys_location_review_by_a_correction(world, today):
    record = services.presence_checkin(user=world.cadre_user).record
    for status in (PresenceRecord.Review.NEEDS_REVIEW, PresenceRecord.Review.REJECTED):
        PresenceRecord.objects.filter(pk=record.pk).update(review_status=status)
        with pytest.raises(ValidationError) as err:
            services.presence_correct(user=world.township_staff, cadre=world.cadre, day=TODAY, kind="in_village",
                                      reason="乡镇核实在岗")
        assert "only county staff can change it" in str(err.value)
        record.refresh_from_db()
        assert (record.review_status, record.source) == (status, "self")
    # County staff, who review, can.
    services.presence_correct(user=world.owner, cadre=world.cadre, day=TODAY, kind="absent", reason="复核：不在村")
    record.refresh_from_db()
    assert (record.kind, record.source) == ("absent", "keeper")


def test_keeper_marks_leave_only_where_approved_leave_covers_the_day(world, today):
    with pytest.raises(ValidationError) as err:
        services.presence_record_bulk(user=world.township_staff, day=TODAY, entries={
            world.cadre.id: "leave", world.member.id: "in_village"})
    assert "No approved leave covers 2026-11-18" in str(err.value)
    with pytest.raises(ValidationError) as err:  # two names: a comma in English, 、 in Chinese
        services.presence_record_bulk(user=world.township_staff, day=TODAY, entries={
            world.cadre.id: "leave", world.member.id: "leave"})
    assert f"{world.member.name}, {world.cadre.name}" in str(err.value) or \
        f"{world.cadre.name}, {world.member.name}" in str(err.value)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as err:
        services.presence_record_bulk(user=world.township_staff, day=TODAY, entries={
            world.cadre.id: "leave", world.member.id: "leave"})
    assert "、" in str(err.value) and ", " not in str(err.value)
    assert not PresenceRecord.objects.exists()  # all or nothing
    with pytest.raises(ValidationError):
        services.presence_correct(user=world.township_staff, cadre=world.cadre, day=TODAY, kind="leave",
                                  reason="口头请假")
    assert not PresenceRecord.objects.exists()
    # Approved leave makes the records itself; after 销假 the day back can be corrected to leave
    # only if the leave covered it.
    leave = _leave(world, TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=1))
    services.leave_request_approve(user=world.township_staff, leave=leave)
    PresenceRecord.objects.filter(cadre=world.cadre, date=TODAY - dt.timedelta(days=1)).delete()
    services.presence_record_bulk(user=world.township_staff, day=TODAY - dt.timedelta(days=1),
                                  entries={world.cadre.id: "leave"})
    assert PresenceRecord.objects.get(cadre=world.cadre, date=TODAY - dt.timedelta(days=1)).kind == "leave"


def test_correction_for_a_day_outside_the_posting_is_bad_input_not_a_permission_error(world, today):
    before = world.assignment.start_date - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        services.presence_correct(user=world.township_staff, cadre=world.cadre, day=before, kind="in_village",
                                  reason="补录")
    assert "was not stationed in your area" in str(err.value)
    with pytest.raises(PermissionDenied):
        services.presence_correct(user=world.township_staff, cadre=world.neighbour_cadre, day=TODAY,
                                  kind="in_village", reason="补录")


def test_correction_needs_a_reason_and_is_kept_in_history(world, today):
    record = services.presence_checkin(user=world.cadre_user).record
    with pytest.raises(ValidationError):
        services.presence_correct(user=world.township_staff, cadre=world.cadre, day=TODAY, kind="absent", reason="")
    services.presence_correct(user=world.township_staff, cadre=world.cadre, day=TODAY, kind="absent",
                              reason="暗访不在岗")
    record.refresh_from_db()
    assert record.kind == "absent" and record.correction_reason == "暗访不在岗"
    assert [h.kind for h in record.history.order_by("history_date")] == ["in_village", "absent"]
    assert record.history.latest().history_change_reason == "暗访不在岗"


# --- leave -----------------------------------------------------------------------------------------


def test_short_leave_is_approved_by_township_staff_and_makes_leave_records(world, today):
    leave = _leave(world, TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=3))
    assert leave.days == 2 and leave.status == "submitted"
    assert list(selectors.leave_queue_for_user(world.township_staff)) == [leave]
    assert not selectors.leave_queue_for_user(world.owner).exists()
    with pytest.raises(PermissionDenied):
        services.leave_request_approve(user=world.owner, leave=leave)
    services.leave_request_approve(user=world.township_staff, leave=leave, comment="同意")
    dates = list(PresenceRecord.objects.filter(cadre=world.cadre).order_by("date").values_list("date", "kind"))
    assert dates == [(TODAY + dt.timedelta(days=2), "leave"), (TODAY + dt.timedelta(days=3), "leave")]


@override_settings(ZHUCUN={"LEAVE_TOWNSHIP_MAX_DAYS": 5})
def test_leave_routing_limit_comes_from_settings(world, today):
    leave = _leave(world, TODAY, TODAY + dt.timedelta(days=4))
    assert selectors.leave_can_decide(world.township_staff, leave)
    assert not selectors.leave_can_decide(world.owner, leave)


def test_long_leave_goes_to_county_staff_of_the_villages_county(world, today):
    leave = _leave(world, TODAY, TODAY + dt.timedelta(days=6))
    assert not selectors.leave_can_decide(world.township_staff, leave)
    with pytest.raises(PermissionDenied):
        services.leave_request_approve(user=world.stranger, leave=leave)
    services.leave_request_approve(user=world.owner, leave=leave)
    assert PresenceRecord.objects.filter(cadre=world.cadre, kind="leave").count() == 7


def test_leave_cannot_cover_a_day_the_cadre_is_recorded_in_the_village(world, today):
    services.presence_checkin(user=world.cadre_user)
    with pytest.raises(ValidationError) as err:
        _leave(world, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1))
    assert "recorded in the village or on an official trip on 2026-11-18" in str(err.value)
    assert not LeaveRequest.objects.exists()
    # From the next day it is fine: the day of the check-in stays a day in the village.
    leave = _leave(world, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2))
    services.leave_request_approve(user=world.township_staff, leave=leave)
    kinds = dict(PresenceRecord.objects.filter(cadre=world.cadre).values_list("date", "kind"))
    assert kinds == {TODAY: "in_village", TODAY + dt.timedelta(days=1): "leave", TODAY + dt.timedelta(days=2): "leave"}


def test_a_check_in_the_county_rejected_does_not_stand_in_the_way_of_leave(world, today):
    record = services.presence_checkin(user=world.cadre_user).record
    PresenceRecord.objects.filter(pk=record.pk).update(review_status=PresenceRecord.Review.REJECTED)
    assert _leave(world, TODAY, TODAY).status == "submitted"


def test_approval_is_refused_when_the_cadre_was_recorded_present_after_asking(world, today):
    leave = _leave(world, TODAY, TODAY + dt.timedelta(days=1))
    services.presence_checkin(user=world.cadre_user)
    with pytest.raises(ValidationError) as err:
        services.leave_request_approve(user=world.township_staff, leave=leave)
    assert "within this leave" in str(err.value) and "2026-11-18" in str(err.value)
    leave.refresh_from_db()
    assert leave.status == "submitted"
    assert not PresenceRecord.objects.filter(kind="leave").exists()


def test_approved_leave_turns_an_absent_day_and_a_rejected_check_in_into_leave(world, today):
    leave = _leave(world, TODAY, TODAY + dt.timedelta(days=1))
    now = timezone.now()
    rejected = PresenceRecord.objects.create(
        cadre=world.cadre, assignment=world.assignment, date=TODAY, kind="in_village", source="self",
        recorded_at=now, recorded_by=world.cadre_user, latitude=Decimal("31.9"), longitude=Decimal("106.2"),
        review_status=PresenceRecord.Review.REJECTED, review_note="不在村")
    absent = PresenceRecord.objects.create(
        cadre=world.cadre, assignment=world.assignment, date=TODAY + dt.timedelta(days=1), kind="absent",
        source="keeper", recorded_at=now, recorded_by=world.township_staff)
    services.leave_request_approve(user=world.township_staff, leave=leave)
    for record in (rejected, absent):
        record.refresh_from_db()
        assert (record.kind, record.source, record.leave, record.review_status) == ("leave", "leave", leave, "ok")
        assert record.correction_reason == "Approved leave covers this day."
        # What it said before stays in its history.
        assert record.history.count() == 2 and record.history.earliest().kind in ("in_village", "absent")
    assert rejected.latitude is None and rejected.longitude is None
    assert PresenceRecord.objects.filter(cadre=world.cadre).count() == 2


def test_leave_rules_refuse_bad_dates_with_nothing_saved(world, today):
    with pytest.raises(ValidationError, match="cannot be before"):
        _leave(world, TODAY, TODAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="within your assignment"):
        _leave(world, dt.date(2027, 5, 30), dt.date(2027, 6, 3))
    with pytest.raises(ValidationError, match="not stationed"):
        _leave(world, dt.date(2025, 5, 1), dt.date(2025, 5, 2))
    _leave(world, TODAY, TODAY + dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="overlaps"):
        _leave(world, TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=4))
    assert LeaveRequest.objects.count() == 1


def test_nobody_approves_their_own_leave(world, today):
    # A township officer who is also registered as the cadre (same login).
    world.cadre.user = world.township_staff
    world.cadre.save()
    leave = LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="sick",
                                        start=TODAY, end=TODAY, reason="x", status="submitted")
    with pytest.raises(PermissionDenied, match="own leave"):
        services.leave_request_approve(user=world.township_staff, leave=leave)
    assert not selectors.leave_queue_for_user(world.township_staff).exists()


def test_a_cadre_cannot_act_on_another_cadres_leave(world, today):
    from tests.factories import make_user
    member_user = make_user("member", "cadre", cadre=world.member)
    leave = _leave(world, TODAY, TODAY)
    for act in (services.leave_request_cancel, services.leave_request_submit):
        with pytest.raises(PermissionDenied):
            act(user=member_user, leave=leave)
    with pytest.raises(PermissionDenied):
        services.leave_request_return(user=member_user, leave=leave, actual_return_date=TODAY)
    with pytest.raises(PermissionDenied):
        services.leave_request_approve(user=member_user, leave=leave)


def test_reject_needs_a_comment(world, today):
    leave = _leave(world, TODAY, TODAY)
    with pytest.raises(ValidationError):
        services.leave_request_reject(user=world.township_staff, leave=leave, comment="")
    services.leave_request_reject(user=world.township_staff, leave=leave, comment="农忙时节")
    leave.refresh_from_db()
    assert leave.status == "rejected" and leave.decided_by == world.township_staff
    # A rejected request no longer blocks the dates.
    _leave(world, TODAY, TODAY)


def test_draft_then_submit_and_cancel(world, today):
    leave = _leave(world, TODAY + dt.timedelta(days=5), TODAY + dt.timedelta(days=5), submit=False)
    assert not selectors.leave_queue_for_user(world.township_staff).exists()
    services.leave_request_submit(user=world.cadre_user, leave=leave)
    services.leave_request_approve(user=world.township_staff, leave=leave)
    services.leave_request_cancel(user=world.cadre_user, leave=leave)
    assert leave.status == "cancelled"
    assert not PresenceRecord.objects.filter(cadre=world.cadre).exists()


def test_return_early_moves_the_leave_records_to_the_actual_dates(world, today):
    start = TODAY - dt.timedelta(days=3)
    leave = _leave(world, start, TODAY + dt.timedelta(days=2))
    services.leave_request_approve(user=world.owner, leave=leave)
    services.leave_request_return(user=world.cadre_user, leave=leave, actual_return_date=TODAY - dt.timedelta(days=1))
    leave.refresh_from_db()
    assert leave.status == "returned" and leave.effective_end == TODAY - dt.timedelta(days=2)
    dates = sorted(PresenceRecord.objects.filter(cadre=world.cadre, kind="leave").values_list("date", flat=True))
    assert dates == [start, start + dt.timedelta(days=1)]


def test_return_late_extends_the_leave_records(world, today):
    start = TODAY - dt.timedelta(days=5)
    leave = _leave(world, start, start + dt.timedelta(days=1))
    services.leave_request_approve(user=world.township_staff, leave=leave)
    services.leave_request_return(user=world.cadre_user, leave=leave, actual_return_date=TODAY)
    assert PresenceRecord.objects.filter(cadre=world.cadre, kind="leave").count() == 5
    with pytest.raises(ValidationError):
        services.leave_request_return(user=world.cadre_user, leave=leave, actual_return_date=TODAY)


def test_return_date_cannot_be_in_the_future_or_before_the_leave(world, today):
    leave = _leave(world, TODAY - dt.timedelta(days=1), TODAY)
    services.leave_request_approve(user=world.township_staff, leave=leave)
    for bad in (TODAY + dt.timedelta(days=1), TODAY - dt.timedelta(days=2)):
        with pytest.raises(ValidationError):
            services.leave_request_return(user=world.cadre_user, leave=leave, actual_return_date=bad)
    leave.refresh_from_db()
    assert leave.status == "approved"


def test_unit_liaison_and_township_see_the_cadres_leave_but_a_stranger_does_not(world, today):
    leave = _leave(world, TODAY, TODAY)
    assert list(selectors.leaves_for_user(world.liaison)) == [leave]
    assert not selectors.leaves_for_user(world.stranger).exists()


def test_a_draft_is_seen_by_its_cadre_only(world, today):
    draft = _leave(world, TODAY, TODAY, submit=False)
    assert list(selectors.leaves_for_user(world.cadre_user)) == [draft]
    for user in (world.township_staff, world.owner, world.liaison):
        assert not selectors.leaves_for_user(user).exists()
    services.leave_request_submit(user=world.cadre_user, leave=draft)
    assert list(selectors.leaves_for_user(world.township_staff)) == [draft]


# --- work logs and calendar ---------------------------------------------------------------------


def test_worklog_needs_content_and_a_duty(world, today):
    with pytest.raises(ValidationError) as err:
        services.worklog_create(user=world.cadre_user, date=TODAY, content=" ", duties=[])
    assert set(err.value.message_dict) == {"content", "duties"}
    log = services.worklog_create(user=world.cadre_user, date=TODAY, content="走访农户", duties=["service", "party"])
    assert log.duties == ",party,service," and log.assignment == world.assignment
    assert WorkLog.objects.count() == 1
    assert list(selectors.worklogs_for_user(world.liaison)) == [log]
    assert not selectors.worklogs_for_user(world.stranger).exists()


def test_month_calendar_marks_missing_working_days_and_counts_days_in_village(world, today):
    services.working_days_ensure(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    services.presence_checkin(user=world.cadre_user)
    cal = selectors.month_calendar(user=world.owner, cadre=world.cadre, month=TODAY, today=TODAY)
    by_day = {d["date"]: d["status"] for d in cal["days"]}
    assert by_day[TODAY] == "in_village"
    assert by_day[dt.date(2026, 11, 17)] == "missing"
    assert by_day[dt.date(2026, 11, 15)] == ""  # Sunday
    assert by_day[dt.date(2026, 11, 19)] == ""  # future
    assert cal["in_village_days"] == 1


def test_month_calendar_shows_a_rejected_check_in_as_rejected_and_does_not_count_it(world, today):
    from django.utils import timezone

    services.working_days_ensure(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=dt.date(2026, 11, 17),
                                  kind=PresenceRecord.Kind.IN_VILLAGE, source=PresenceRecord.Source.SELF,
                                  recorded_at=timezone.now(), review_status=PresenceRecord.Review.REJECTED)
    cal = selectors.month_calendar(user=world.owner, cadre=world.cadre, month=TODAY, today=TODAY)
    assert {d["date"]: d["status"] for d in cal["days"]}[dt.date(2026, 11, 17)] == "rejected"
    assert cal["in_village_days"] == 0


@pytest.mark.django_db
def test_working_day_table_official_and_fallback():
    services.working_days_ensure(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 1))
    services.working_days_ensure(start=dt.date(2040, 1, 2), end=dt.date(2040, 1, 2))
    national_day = WorkingDay.objects.get(date=dt.date(2026, 10, 1))
    assert not national_day.is_working_day and national_day.source == "official"
    fallback = WorkingDay.objects.get(date=dt.date(2040, 1, 2))
    assert fallback.is_working_day and fallback.source == "weekday"
    assert selectors.calendar_fallback_years(years=[2026, 2040]) == [2040]
