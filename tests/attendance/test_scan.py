"""The nightly scan: missing check-ins, escalation, unreturned leave, monthly shortfall."""
import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from assignments.models import Finding
from attendance import services, tasks
from attendance.models import LeaveRequest, PresenceRecord, WorkingDay
from tests.factories import AssignmentFactory, CadreFactory, VillageFactory

MON, TUE, WED = dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 18)
SAT = dt.date(2026, 11, 21)
MISSING = Finding.Kind.MISSING_CHECKIN


def _present(cadre, assignment, day, kind="in_village", **extra):
    return PresenceRecord.objects.create(cadre=cadre, assignment=assignment, date=day, kind=kind,
                                         source="keeper", recorded_at=timezone.now(), **extra)


def _snapshot():
    return sorted(Finding.objects.values_list("kind", "assignment_id", "period", "severity", "status", "detail",
                                              "first_seen", "last_seen", "resolved_at"))


def test_missing_checkin_flags_everyone_in_post_without_a_record_or_leave(world):
    _present(world.cadre, world.assignment, WED)
    LeaveRequest.objects.create(cadre=world.member, assignment=world.member_assignment, kind="sick", start=WED,
                                end=WED, reason="x", status="approved")
    result = services.attendance_scan(day=WED)
    flagged = set(Finding.objects.filter(kind=MISSING, period="2026-11-18").values_list("cadre__name", flat=True))
    assert flagged == {"王强", "张华"}
    assert result.missing == 2 and result.working_day
    assert Finding.objects.get(cadre=world.far_cadre).county == world.far_county


def test_no_check_in_expected_on_a_day_off_or_outside_the_assignment(world):
    assert services.attendance_scan(day=SAT).missing == 0
    world.far_assignment.end_date, world.far_assignment.end_reason = dt.date(2026, 11, 1), "rotation"
    world.far_assignment.save()
    services.attendance_scan(day=WED)
    assert not Finding.objects.filter(cadre=world.far_cadre).exists()
    assert not Finding.objects.filter(period=SAT.isoformat()).exists()


def test_a_rejected_check_in_does_not_count(world):
    _present(world.cadre, world.assignment, WED, review_status="rejected")
    services.attendance_scan(day=WED)
    assert Finding.objects.filter(cadre=world.cadre, kind=MISSING).exists()


def test_running_the_scan_twice_changes_nothing(world):
    LeaveRequest.objects.create(cadre=world.member, assignment=world.member_assignment, kind="sick",
                                start=dt.date(2026, 10, 20), end=dt.date(2026, 10, 22), reason="x", status="approved")
    services.attendance_scan(day=dt.date(2026, 10, 30))  # last working day of October; shortfall runs on the 31st
    services.attendance_scan(day=dt.date(2026, 10, 31))
    before = _snapshot()
    again = services.attendance_scan(day=dt.date(2026, 10, 31))
    assert again.created == again.updated == again.resolved == 0
    assert _snapshot() == before
    assert {k for k, *_ in before} == {MISSING, Finding.Kind.PRESENCE_SHORTFALL, Finding.Kind.UNRETURNED_LEAVE}


def test_three_missing_working_days_in_a_row_raise_the_severity(world):
    _present(world.member, world.member_assignment, TUE)
    for day in (MON, TUE, WED):
        services.attendance_scan(day=day)
    severity = dict(Finding.objects.filter(period="2026-11-18").values_list("cadre__name", "severity"))
    assert severity["袁杰"] == Finding.Severity.WARNING
    assert severity["李明"] == Finding.Severity.NOTICE  # checked in on Tuesday: the run is broken
    assert "3 working days in a row" in Finding.objects.get(cadre=world.cadre, period="2026-11-18").detail


@override_settings(ZHUCUN={"MISSING_CHECKIN_ESCALATE_DAYS": 2})
def test_escalation_threshold_comes_from_settings(world):
    services.attendance_scan(day=TUE)
    services.attendance_scan(day=WED)
    assert Finding.objects.get(cadre=world.cadre, period="2026-11-18").severity == Finding.Severity.WARNING


def test_later_evidence_resolves_the_finding_with_a_note(world):
    services.attendance_scan(day=MON)
    services.attendance_scan(day=TUE)
    # Monday: leave approved afterwards. Tuesday: the township corrects the record.
    LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="sick", start=MON, end=MON,
                                reason="x", status="approved")
    _present(world.cadre, world.assignment, TUE, kind="trip")
    result = services.attendance_scan(day=WED)
    mon = Finding.objects.get(cadre=world.cadre, kind=MISSING, period="2026-11-16")
    tue = Finding.objects.get(cadre=world.cadre, period="2026-11-17")
    assert mon.status == tue.status == "resolved" and result.resolved == 2
    assert "approved leave" in mon.resolution_note and "presence record" in tue.resolution_note
    assert mon.resolved_by is None
    # The Wednesday finding is not escalated: the earlier days were explained.
    assert Finding.objects.get(cadre=world.cadre, period="2026-11-18").severity == Finding.Severity.NOTICE


def test_a_finding_resolved_by_staff_is_not_reopened(world):
    services.attendance_scan(day=WED)
    finding = Finding.objects.get(cadre=world.cadre)
    services.finding_resolve(user=world.owner, finding=finding, note="县里开会")
    services.attendance_scan(day=WED)
    finding.refresh_from_db()
    assert finding.status == "resolved" and finding.resolution_note == "县里开会"


def test_an_auto_resolved_finding_reopens_when_the_evidence_goes(world):
    services.attendance_scan(day=WED)
    record = _present(world.cadre, world.assignment, WED)
    services.attendance_scan(day=WED)
    assert Finding.objects.get(cadre=world.cadre).status == "resolved"
    record.delete()
    services.attendance_scan(day=WED)
    assert Finding.objects.get(cadre=world.cadre).status == "open"


def test_unreturned_leave_becomes_a_finding_until_it_is_reported_back(world):
    leave = LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="personal",
                                        start=MON, end=TUE, reason="x", status="approved")
    services.attendance_scan(day=TUE)
    assert not Finding.objects.filter(kind=Finding.Kind.UNRETURNED_LEAVE).exists()
    services.attendance_scan(day=WED)
    finding = Finding.objects.get(kind=Finding.Kind.UNRETURNED_LEAVE)
    assert finding.cadre == world.cadre and finding.period == "2026-11-16"
    leave.status, leave.actual_return_date = "returned", WED
    leave.save()
    services.attendance_scan(day=WED)
    finding.refresh_from_db()
    assert finding.status == "resolved" and "return was reported" in finding.resolution_note


def test_month_end_flags_a_presence_shortfall_pro_rated(world):
    october = [dt.date(2026, 10, d) for d in range(1, 32)]
    for day in october[:20]:
        _present(world.cadre, world.assignment, day)  # 20 days: meets the rule
    for day in october[:12]:
        _present(world.member, world.member_assignment, day)
    for day in october[12:24]:
        _present(world.member, world.member_assignment, day, kind="leave")  # 12 leave days
    # Started on 20 October: 12 days in post, so floor(20 × 12 / 31) = 7 required.
    late = AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county),
                             village=VillageFactory(township=world.township), start_date=dt.date(2026, 10, 20))
    for day in october[19:26]:
        _present(late.cadre, late, day)
    result = services.attendance_scan(day=dt.date(2026, 10, 31))
    short = {f.cadre_id: f for f in Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL)}
    assert result.shortfall_month == "2026-10"
    assert world.cadre.id not in short and late.cadre_id not in short
    # 李明: 31 days − 12 leave = 19 available → floor(20 × 19 / 31) = 12 required, 12 present: fine.
    assert world.member.id not in short
    assert short[world.far_cadre.id].severity == Finding.Severity.CRITICAL
    assert short[world.far_cadre.id].period == "2026-10"
    assert "0 days in the village" in short[world.far_cadre.id].detail


def test_shortfall_resolves_when_records_are_added_and_the_month_rescanned(world):
    services.attendance_scan(day=dt.date(2026, 10, 31))
    for d in range(1, 21):
        _present(world.cadre, world.assignment, dt.date(2026, 10, d))
    services.attendance_scan(day=dt.date(2026, 10, 31))
    finding = Finding.objects.get(kind=Finding.Kind.PRESENCE_SHORTFALL, cadre=world.cadre)
    assert finding.status == "resolved" and "meet the requirement" in finding.resolution_note


def test_a_county_scan_touches_only_that_county(world):
    result = services.attendance_scan(day=WED, county=world.county)
    assert result.missing == 2
    assert set(Finding.objects.values_list("county", flat=True)) == {world.county.id}


def test_only_county_staff_may_run_the_scan_for_their_county(world):
    from django.core.exceptions import PermissionDenied
    with pytest.raises(PermissionDenied):
        services.attendance_scan(day=WED, county=world.county, user=world.stranger)
    with pytest.raises(PermissionDenied):
        services.scan_county_now(user=world.township_staff)


def _more_cadres(world, n):
    for i in range(n):
        village = VillageFactory(township=world.township, code=f"510824100{300 + i:03d}")
        AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county), village=village)


@pytest.mark.parametrize("extra", [1, 46])
def test_the_scan_uses_a_bounded_number_of_queries(world, extra, django_assert_max_num_queries):
    _more_cadres(world, extra)
    services.working_days_ensure(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 30))
    services.attendance_scan(day=dt.date(2026, 10, 30))
    LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="sick", start=MON, end=MON,
                                reason="x", status="approved")
    # 5 or 50 cadres, missing check-ins, resolutions, unreturned leave and a month check: same bound.
    with django_assert_max_num_queries(20):
        services.attendance_scan(day=dt.date(2026, 10, 31))
    with django_assert_max_num_queries(20):
        services.attendance_scan(day=WED)
    assert Finding.objects.filter(period="2026-11-18").count() == 4 + extra


def test_run_scans_command_and_task_run_the_same_service(world):
    out = StringIO()
    call_command("run_scans", "--day", "2026-11-18", stdout=out)
    assert "missing: 4" in out.getvalue()
    result = tasks.flag_missing_checkins.apply(args=["2026-11-18"], kwargs={"county_id": world.county.id}).get()
    assert result["missing"] == 2 and result["created"] == 0


def test_run_scans_with_month_end_also_checks_the_month_before(world):
    from assignments.models import Finding

    out = StringIO()
    call_command("run_scans", "--day", "2026-11-18", "--with-month-end", stdout=out)
    assert "attendance 2026-10-31 shortfall" in out.getvalue()
    # Nobody in the world checked in during October: every cadre in post then falls short.
    assert Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL, period="2026-10").exists()


def test_the_task_defaults_to_yesterday_in_shanghai(world, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 11, 19))
    assert tasks.flag_missing_checkins()["day"] == "2026-11-18"


def test_the_nightly_run_rebuilds_earlier_days_summaries_after_a_keeper_correction(world, monkeypatch):
    from attendance.models import DailyPresenceSummary

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 11, 19))
    tasks.flag_missing_checkins()  # the night of the 18th: the 16th has no records
    monday = DailyPresenceSummary.objects.get(township=world.township, day=dt.date(2026, 11, 16))
    assert (monday.in_village, monday.missing) == (0, 2)
    # Two days later the township records the 16th for one cadre, with a reason.
    services.presence_correct(user=world.township_staff, cadre=world.cadre, day=dt.date(2026, 11, 16),
                              kind=PresenceRecord.Kind.IN_VILLAGE, reason="补录：当天在村开会")
    tasks.flag_missing_checkins()  # the next nightly run
    monday = DailyPresenceSummary.objects.get(township=world.township, day=dt.date(2026, 11, 16))
    assert (monday.in_village, monday.missing) == (1, 1)
    # A run for a given day (a button, a re-run) rebuilds only that day.
    assert tasks.flag_missing_checkins("2026-11-18")["summary_rows"] == DailyPresenceSummary.objects.filter(
        day=dt.date(2026, 11, 18)).count()


def test_the_nightly_schedule_exists_at_one_in_the_morning(db):
    from django_celery_beat.models import PeriodicTask
    task = PeriodicTask.objects.get(task="attendance.tasks.flag_missing_checkins")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("1", "0", "Asia/Shanghai")


def test_working_day_edits_by_hand_are_kept_and_resolve_findings(world):
    services.attendance_scan(day=WED)
    WorkingDay.objects.filter(date=WED).update(is_working_day=False, source="manual")
    services.attendance_scan(day=WED)
    assert not Finding.objects.filter(period="2026-11-18", status="open").exists()
    assert WorkingDay.objects.get(date=WED).source == "manual"
    assert Finding.objects.filter(resolution_note__contains="day off").count() == 4
    assert Finding.objects.filter(last_seen__gte=F("first_seen")).count() == 4


def test_present_on_every_working_day_of_a_holiday_month_is_no_shortfall(world):
    # October 2026 has the National Day week: 18 working days, fewer than the 20 of the rule.
    services.working_days_ensure(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    working = list(WorkingDay.objects.filter(date__month=10, date__year=2026, is_working_day=True)
                   .values_list("date", flat=True))
    assert len(working) < 20
    for day in working:
        _present(world.cadre, world.assignment, day)
    for day in working[:-1]:
        _present(world.member, world.member_assignment, day)
    services.attendance_scan(day=dt.date(2026, 10, 31))
    short = set(Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL).values_list("cadre__name", flat=True))
    assert "袁杰" not in short and "李明" in short
    # The finding says the working days were the bound, not "20 a month, pro-rated for 31 days".
    detail = Finding.objects.get(kind=Finding.Kind.PRESENCE_SHORTFALL, cadre=world.member).detail
    assert f"{len(working)} required (the working days while in post" in detail


def test_leave_over_a_weekend_takes_only_its_working_days_off_what_a_holiday_month_asks(world):
    from attendance import selectors

    services.working_days_ensure(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    working = list(WorkingDay.objects.filter(date__month=10, date__year=2026, is_working_day=True)
                   .order_by("date").values_list("date", flat=True))
    friday, weekend = dt.date(2026, 10, 16), [dt.date(2026, 10, 17), dt.date(2026, 10, 18)]
    assert len(working) == 18 and friday in working and not set(weekend) & set(working)
    # 李明: leave Friday to Sunday (3 days, 1 of them working), present on 15 other working days.
    for day in [friday, *weekend]:
        _present(world.member, world.member_assignment, day, kind="leave")
    for day in [d for d in working if d != friday][:15]:
        _present(world.member, world.member_assignment, day)
    services.attendance_scan(day=dt.date(2026, 10, 31))
    # 18 working days − 1 on leave = 17 owed (not 18 − 3 = 15, which 15 days would have met).
    detail = Finding.objects.get(kind=Finding.Kind.PRESENCE_SHORTFALL, cadre=world.member).detail
    assert "15 days in the village in 2026-10; 17 required (the working days while in post, 1 days of leave" in detail
    # The calendar and the monthly report ask the same.
    today = dt.date(2026, 11, 5)
    cal = selectors.month_calendar(user=world.owner, cadre=world.member, month=dt.date(2026, 10, 1), today=today)
    assert (cal["in_village_days"], cal["owed"], cal["met"]) == (15, 17, False)
    _days, rows = selectors.monthly_report_rows(assignments=world.member.assignments.all(),
                                                month=dt.date(2026, 10, 1), today=today)
    assert (rows[0]["totals"]["required"], rows[0]["totals"]["met"]) == (17, False)


def test_run_scans_back_replays_the_nights_before_oldest_first(world):
    out = StringIO()
    call_command("run_scans", "--day", "2026-11-18", "--back", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("attendance 2026-11-16: missing 4") and lines[1].startswith("attendance 2026-11-17:")
    # Monday to Wednesday, nobody checked in: the same assignments missed three days running.
    periods = set(Finding.objects.filter(kind=Finding.Kind.MISSING_CHECKIN).values_list("period", flat=True))
    assert periods == {"2026-11-16", "2026-11-17", "2026-11-18"}
    with pytest.raises(CommandError):
        call_command("run_scans", "--back", "400")


def test_a_replay_judges_only_the_months_it_covers_whole(world):
    # From 2026-10-30: October began before the replay, so its month end is not judged by it...
    out = StringIO()
    call_command("run_scans", "--day", "2026-11-02", "--back", "3", stdout=out)
    assert not Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL).exists()
    # ...but --with-month-end still judges the month before, as on a first run.
    call_command("run_scans", "--day", "2026-11-02", "--back", "3", "--with-month-end", stdout=out)
    assert Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL, period="2026-10").exists()
    # A replay from 2026-10-01 covers October whole and judges it.
    Finding.objects.all().delete()
    call_command("run_scans", "--day", "2026-11-02", "--back", "32", stdout=out)
    assert Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL, period="2026-10").exists()
