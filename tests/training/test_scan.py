"""The nightly scan: unmet -> finding, met -> resolved with a note, idempotent, severity by
months left, and a bounded number of queries whatever the number of cadres."""
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.models import Finding
from tests.factories import AssignmentFactory, CadreFactory, VillageFactory
from training.models import OrganiserLevel, TrainingCourse, TrainingRecord, TrainingRequirement
from training.services import training_scan
from training.tasks import flag_unmet_training

D = dt.date
# World assignments run 2025-06-01 .. 2027-06-01: half-way 2026-06-01, 6 months left on
# 2026-12-01, 3 months left on 2027-03-01.
NOTICE_DAY, WARNING_DAY, CRITICAL_DAY = D(2026, 7, 1), D(2026, 12, 15), D(2027, 3, 10)


def findings(status="open"):
    return {(f.cadre.name, f.period, f.severity) for f in Finding.objects.filter(
        kind=Finding.Kind.UNMET_TRAINING, status=status).select_related("cadre")}


def test_unmet_requirement_becomes_a_finding_and_met_does_not(tw):
    result = training_scan(today=NOTICE_DAY)
    key = f"req{tw.requirement.id}"
    # 袁杰 and 张华 attended a 3-day county course in their tenure; 李明 and 王强 did not.
    assert findings() == {("李明", key, 1), ("王强", key, 1)}
    assert (result.created, result.unmet, result.assignments) == (2, 2, 4)
    f = Finding.objects.get(cadre=tw.member)
    assert (f.county, f.village, f.assignment) == (tw.county, tw.village, tw.member_assignment)
    assert "0 of 1 courses" in f.detail and "11 months left (until 2027-06-01)" in f.detail


def test_before_half_way_nothing_is_flagged(tw):
    training_scan(today=D(2026, 5, 1))
    assert findings() == set()


@pytest.mark.parametrize("day,severity", [(NOTICE_DAY, 1), (WARNING_DAY, 2), (CRITICAL_DAY, 3)])
def test_severity_rises_as_the_tenure_end_nears(tw, day, severity):
    training_scan(today=day)
    assert Finding.objects.get(cadre=tw.member).severity == severity


def test_severity_thresholds_are_settings(tw, settings):
    settings.ZHUCUN = {**settings.ZHUCUN, "TRAINING_WARNING_MONTHS": 12}
    training_scan(today=NOTICE_DAY)
    assert Finding.objects.get(cadre=tw.member).severity == Finding.Severity.WARNING


def test_a_new_qualifying_record_resolves_the_finding_on_the_next_run(tw):
    training_scan(today=NOTICE_DAY)
    TrainingRecord.objects.create(cadre=tw.member, course=tw.course, days_attended=3)
    result = training_scan(today=NOTICE_DAY)
    f = Finding.objects.get(cadre=tw.member)
    assert (f.status, result.resolved) == ("resolved", 1)
    assert f.resolution_note == "Resolved automatically: the training requirement is now met."
    assert f.resolved_by is None


@pytest.mark.parametrize("change", ["two_days", "township_course", "absent", "before_tenure"])
def test_records_that_do_not_count(tw, change):
    level, days, start, result = OrganiserLevel.COUNTY, Decimal(2), D(2025, 10, 1), "partial"
    if change == "township_course":
        level, days = OrganiserLevel.TOWNSHIP, Decimal(3)
    if change == "absent":
        days, result = Decimal(0), "absent"
    if change == "before_tenure":
        days, start = Decimal(3), D(2025, 1, 10)
    course = TrainingCourse.objects.create(
        title="x", organiser_level=level, region=tw.township if level == "township" else tw.county,
        managed_by=tw.county, start_date=start, end_date=start + dt.timedelta(days=2), days=3)
    TrainingRecord.objects.create(cadre=tw.member, course=course, days_attended=days, result=result)
    training_scan(today=NOTICE_DAY)
    assert Finding.objects.filter(cadre=tw.member, status="open").exists()


def test_two_runs_give_the_same_findings_and_the_second_writes_nothing(tw):
    first = training_scan(today=WARNING_DAY)
    before = list(Finding.objects.values_list("id", "severity", "detail", "last_seen", "status").order_by("id"))
    second = training_scan(today=WARNING_DAY)
    after = list(Finding.objects.values_list("id", "severity", "detail", "last_seen", "status").order_by("id"))
    assert before == after and len(after) == 2
    assert (first.created, second.created, second.updated, second.resolved) == (2, 0, 0, 0)


def test_severity_is_updated_in_place(tw):
    training_scan(today=NOTICE_DAY)
    first = Finding.objects.get(cadre=tw.member)
    result = training_scan(today=CRITICAL_DAY)
    again = Finding.objects.get(cadre=tw.member)
    assert (again.id, again.first_seen, again.severity, result.updated) == (first.id, first.first_seen, 3, 2)


def test_a_finding_resolved_by_a_person_stays_resolved(tw):
    training_scan(today=NOTICE_DAY)
    Finding.objects.filter(cadre=tw.member).update(status="resolved", resolved_at=tw.record.created_at,
                                                  resolved_by=tw.owner, resolution_note="证书后补")
    training_scan(today=WARNING_DAY)
    f = Finding.objects.get(cadre=tw.member)
    assert (f.status, f.resolution_note) == ("resolved", "证书后补")


def test_ended_assignment_resolves_its_finding(tw):
    training_scan(today=NOTICE_DAY)
    tw.member_assignment.end_date, tw.member_assignment.end_reason = NOTICE_DAY, "other"
    tw.member_assignment.save()
    training_scan(today=NOTICE_DAY)
    assert Finding.objects.get(cadre=tw.member).resolution_note.startswith(
        "Resolved automatically: the requirement no longer applies")


def test_a_county_requirement_applies_only_in_its_county_and_per_year(tw):
    req = TrainingRequirement.objects.create(
        name="每年至少32学时", region=tw.county, levels=",province,city,county,township,", min_days_per_course=0,
        courses_required=0, period="year", min_hours=Decimal(32))
    training_scan(today=D(2026, 11, 1))
    per_year = {f.cadre.name for f in Finding.objects.filter(period=f"req{req.id}-2026").select_related("cadre")}
    # 袁杰's 24 hours were in 2025; nobody outside 苍溪县 is asked.
    assert per_year == {"袁杰", "李明"}


def test_inactive_requirement_is_ignored_and_its_findings_resolved(tw):
    training_scan(today=NOTICE_DAY)
    TrainingRequirement.objects.update(active=False)
    result = training_scan(today=NOTICE_DAY)
    assert findings() == set() and result.resolved == 2


def test_the_task_wraps_the_scan(tw):
    assert flag_unmet_training(day=NOTICE_DAY.isoformat(), county_id=tw.county.id)["created"] == 1
    assert {f.cadre for f in Finding.objects.all()} == {tw.member}


def test_the_scan_runs_in_a_few_queries_whatever_the_number_of_cadres(tw):
    for i in range(30):
        v = VillageFactory(township=tw.township, code=f"510824100{300 + i}")
        c = CadreFactory(unit=tw.unit, county=tw.county)
        AssignmentFactory(cadre=c, village=v)
        if i % 2:
            TrainingRecord.objects.create(cadre=c, course=tw.course, days_attended=3)
    with CaptureQueriesContext(connection) as ctx:
        training_scan(today=NOTICE_DAY)
    assert Finding.objects.filter(status="open").count() == 2 + 15
    sql = [q["sql"][:80] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "SET "))]
    assert len(sql) <= 8, sql
