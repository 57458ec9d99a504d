"""Supervision rules: inspections reconciled with attendance, sampling, the assessment cap rule,
recall and replacement, the benefits ledger and exemplars. Bad input: a clear message and
nothing saved."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assignments.models import (
    AnnualAssessment,
    Assignment,
    BenefitPayment,
    Finding,
    Inspection,
    InspectionMember,
    InspectionSample,
    ReplacementObligation,
)
from assignments.supervision import selectors, services
from attendance.models import LeaveRequest, PresenceRecord

TODAY = dt.date(2026, 11, 18)
DAY = dt.date(2026, 11, 10)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _inspect(world, user=None, absent=(), day=DAY, **kw):
    fields = {"village": world.village, "kind": "unannounced", "date": day, "inspectors": "王组长, 李干事",
              "absent_cadre_ids": absent, **kw}
    return services.inspection_create(user=user or world.owner, **fields)


def _leave(world, status=LeaveRequest.Status.APPROVED, start=DAY, end=DAY, **kw):
    return LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="personal", start=start,
                                       end=end, reason="看病", status=status, **kw)


# --- inspections ---------------------------------------------------------------------------------


def test_inspection_records_every_team_member_present_unless_marked_absent(world, today):
    inspection = _inspect(world)
    outcomes = dict(inspection.members.values_list("cadre_id", "outcome"))
    assert outcomes == {world.cadre.id: "present", world.member.id: "present"}
    assert inspection.county_id == world.county.id
    assert not Finding.objects.exists()


def test_absence_covered_by_approved_leave_is_excused_and_opens_no_finding(world, today):
    _leave(world)
    inspection = _inspect(world, absent=[world.cadre.id])
    row = inspection.members.get(cadre=world.cadre)
    assert row.outcome == "excused" and "Approved leave" in row.excuse
    assert not Finding.objects.exists()


def test_absence_covered_by_an_official_trip_record_is_excused(world, today):
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=DAY, kind="trip",
                                  source="keeper", recorded_at=timezone.now())
    row = _inspect(world, absent=[world.cadre.id]).members.get(cadre=world.cadre)
    assert row.outcome == "excused" and "Official trip" in row.excuse


def test_absence_without_leave_is_unexcused_and_opens_a_warning_finding_for_that_day(world, today):
    _leave(world, status=LeaveRequest.Status.SUBMITTED)  # not approved: no excuse
    _leave(world, start=DAY - dt.timedelta(days=5), end=DAY + dt.timedelta(days=2),
           status=LeaveRequest.Status.RETURNED, actual_return_date=DAY)  # back on the day: no excuse
    inspection = _inspect(world, absent=[world.cadre.id])
    row = inspection.members.get(cadre=world.cadre)
    assert row.outcome == "unexcused"
    finding = Finding.objects.get()
    assert (finding.kind, finding.period, finding.severity, finding.assignment_id, finding.county_id) == (
        Finding.Kind.UNEXCUSED_ABSENCE, DAY.isoformat(), Finding.Severity.WARNING, world.assignment.id, world.county.id)
    assert row.finding_id == finding.id
    # A second inspection the same day (confirmed as a separate visit) refreshes the same
    # finding instead of adding one.
    _inspect(world, absent=[world.cadre.id], repeat_confirmed=True)
    assert Finding.objects.count() == 1


def test_a_check_in_the_inspection_contradicts_stops_counting_and_says_why(world, today):
    now = timezone.now()
    checked_in = PresenceRecord.objects.create(
        cadre=world.cadre, assignment=world.assignment, date=DAY, kind="in_village", source="self",
        recorded_at=now, recorded_by=world.cadre_user)
    teammate = PresenceRecord.objects.create(
        cadre=world.member, assignment=world.member_assignment, date=DAY, kind="in_village", source="self",
        recorded_at=now, recorded_by=world.cadre_user)
    _inspect(world, absent=[world.cadre.id])
    checked_in.refresh_from_db()
    assert checked_in.review_status == PresenceRecord.Review.REJECTED
    assert checked_in.review_note == f"The inspection of {DAY.isoformat()} found the cadre away without leave."
    assert checked_in.reviewed_by == world.owner and checked_in.history.earliest().review_status == "ok"
    teammate.refresh_from_db()
    assert teammate.review_status == PresenceRecord.Review.OK  # found present: untouched


def test_inspection_bad_input_gives_clear_messages_and_saves_nothing(world, today):
    with pytest.raises(ValidationError) as exc:
        _inspect(world, day=TODAY + dt.timedelta(days=1), inspectors=" ", absent=[world.neighbour_cadre.id],
                 rectification_deadline=DAY, issues="")
    errors = exc.value.message_dict
    assert errors["date"] == ["This date is in the future."]
    assert errors["inspectors"] == ["Name the inspectors."]
    assert "Only members of the village's team" in errors["absent"][0]
    assert not Inspection.objects.exists() and not InspectionMember.objects.exists()


def test_only_county_staff_and_reviewers_record_inspections_and_only_in_their_region(world, today):
    for user in (world.township_staff, world.liaison, world.cadre_user):
        with pytest.raises(PermissionDenied):
            _inspect(world, user=user)
    with pytest.raises(ValidationError) as exc:
        _inspect(world, user=world.other_city_reviewer)
    assert exc.value.message_dict["village"] == ["Choose a village in your jurisdiction."]
    with pytest.raises(ValidationError):
        _inspect(world, user=world.stranger)
    assert _inspect(world, user=world.city_reviewer).created_by == world.city_reviewer
    assert _inspect(world, user=world.province_reviewer).pk


def test_rectification_status_is_open_overdue_then_done(world, today):
    inspection = _inspect(world, issues="台账不全", rectification_deadline=TODAY + dt.timedelta(days=3))
    assert inspection.rectification_status == "open"
    assert inspection.rectification_status_on(TODAY + dt.timedelta(days=4)) == "overdue"
    with pytest.raises(ValidationError) as exc:
        services.inspection_rectify(user=world.owner, inspection=inspection, rectified_on=DAY - dt.timedelta(days=1),
                                    note="")
    assert exc.value.message_dict["note"] == ["Say how the issues were rectified."]
    with pytest.raises(PermissionDenied):
        services.inspection_rectify(user=world.stranger, inspection=inspection, rectified_on=TODAY, note="补齐")
    services.inspection_rectify(user=world.owner, inspection=inspection, rectified_on=TODAY, note="台账已补齐")
    inspection.refresh_from_db()
    assert inspection.rectification_status == "done"


# --- sampling --------------------------------------------------------------------------------------


def test_sample_with_the_same_seed_and_data_gives_the_same_villages(world, today):
    first = services.inspection_sample_create(user=world.owner, size=2, seed=12345)
    again = services.inspection_sample_create(user=world.owner, size=2, seed=12345)
    assert first.village_ids == again.village_ids and len(first.village_ids) == 2
    county_villages = {world.village.id, world.village2.id, world.village3.id}
    assert set(first.village_ids) <= county_villages
    city = services.inspection_sample_create(user=world.city_reviewer, size=10, seed=7)
    assert world.far_village.id not in city.village_ids and world.neighbour_village.id in city.village_ids
    assert InspectionSample.objects.get(pk=first.pk).seed == 12345


def test_sample_is_weighted_toward_villages_with_open_findings():
    candidates = [(1, 0), (2, 0), (3, 50), (4, 0), (5, 0)]
    picks = [selectors.sample_draw(candidates=candidates, seed=s, size=1)[0] for s in range(300)]
    assert picks.count(3) > 200  # weight 51 of 55
    assert selectors.sample_draw(candidates=candidates, seed=9, size=3) == selectors.sample_draw(
        candidates=candidates, seed=9, size=3)


def test_sample_without_seed_records_a_random_one_and_bad_sizes_are_refused(world, today):
    sample = services.inspection_sample_create(user=world.owner, size=1)
    assert sample.seed >= 0 and len(sample.village_ids) == 1
    with pytest.raises(ValidationError) as exc:
        services.inspection_sample_create(user=world.owner, size=0)
    assert exc.value.message_dict["size"] == ["Choose between 1 and 500 villages."]
    for user in (world.province_reviewer, world.township_staff, world.liaison):
        with pytest.raises(PermissionDenied):
            services.inspection_sample_create(user=user, size=1)
    assert InspectionSample.objects.count() == 1


# --- annual assessment -----------------------------------------------------------------------------


def _unexcused(world, n):
    for i in range(n):
        _inspect(world, absent=[world.cadre.id], day=DAY - dt.timedelta(days=i))


@pytest.mark.parametrize("absences,refused,allowed", [
    (0, None, "excellent"),
    (1, "excellent", "competent"),
    (2, "competent", "basically_competent"),
    (3, "basically_competent", "incompetent"),
])
def test_cap_rule_refuses_a_grade_above_what_unexcused_absences_allow(world, today, absences, refused, allowed):
    _unexcused(world, absences)
    if refused:
        with pytest.raises(ValidationError) as exc:
            services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade=refused)
        assert f"{absences} unexcused absence(s) found by inspection in 2026" in exc.value.message_dict["grade"][0]
        assert not AnnualAssessment.objects.exists()
    saved = services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade=allowed, comments="好")
    assert (saved.grade, saved.county_id, saved.assessed_by) == (allowed, world.county.id, world.owner)


def test_cap_rule_comes_from_settings(world, today, settings):
    settings.ZHUCUN = {**settings.ZHUCUN, "ASSESSMENT_CAPS": {"2": "competent"}}
    _unexcused(world, 1)
    assert services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade="excellent")


def test_assessment_once_per_year_county_staff_only_and_evidence_counts(world, today):
    _unexcused(world, 1)
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=DAY - dt.timedelta(days=20),
                                  kind="in_village", source="self", recorded_at=timezone.now())
    evidence = selectors.assessment_evidence(cadre=world.cadre, year=2026)
    assert (evidence["unexcused_absences"], evidence["findings"], evidence["days_in_village"], evidence["best_grade"]) \
        == (1, 1, 1, "competent")
    services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade="competent")
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(user=world.colleague, cadre=world.cadre, year=2026, grade="competent")
    assert "has already been assessed for 2026" in exc.value.message_dict["year"][0]
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(user=world.owner, cadre=world.member, year=2027, grade="competent")
    assert exc.value.message_dict["year"] == ["Choose a year from 2000 to 2026."]
    for user in (world.stranger, world.city_reviewer, world.township_staff, world.liaison):
        with pytest.raises(PermissionDenied):
            services.assessment_save(user=user, cadre=world.member, year=2026, grade="competent")
    assert AnnualAssessment.objects.count() == 1


# --- recall and replacement ------------------------------------------------------------------------


def test_recall_ends_the_assignment_and_opens_an_obligation_a_replacement_fulfils(world, today):
    obligation = services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="长期不在岗")
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_reason == Assignment.EndReason.RECALL
    assert world.member_assignment.end_date == TODAY and world.member_assignment.end_note == "长期不在岗"
    assert (obligation.unit, obligation.village, obligation.role, obligation.status) == (
        world.unit, world.village, Assignment.Role.TEAM_MEMBER, "open")
    assert obligation.due_date == TODAY + dt.timedelta(days=30)
    assert selectors.open_obligations_summary(user=world.city_reviewer) == {world.county.id: {"open": 1, "overdue": 0}}

    from tests.factories import CadreFactory

    wrong = CadreFactory(unit=world.other_unit, county=world.county)
    with pytest.raises(ValidationError) as exc:
        services.assignment_create_replacement(user=world.owner, obligation=obligation, cadre=wrong, start_date=TODAY)
    assert exc.value.message_dict["cadre"] == [f"The replacement must be a cadre of {world.unit.name}."]
    fresh = CadreFactory(unit=world.unit, county=world.county)
    new = services.assignment_create_replacement(user=world.owner, obligation=obligation, cadre=fresh, start_date=TODAY)
    obligation.refresh_from_db()
    assert obligation.status == "fulfilled" and obligation.fulfilled_by == new
    assert selectors.open_obligations_summary(user=world.city_reviewer) == {}


def test_a_plain_new_assignment_from_the_unit_fills_the_vacancy_automatically(world, today):
    from assignments.services import assignment_create
    from tests.factories import CadreFactory

    obligation = services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="不胜任")
    fresh = CadreFactory(unit=world.unit, county=world.county)
    new = assignment_create(user=world.owner, cadre=fresh, village=world.village, role="team_member", start_date=TODAY)
    assert not selectors.obligations_open(ReplacementObligation.objects.all()).exists()
    # assignment_create closed the stored obligation itself; a second call finds nothing open.
    obligation.refresh_from_db()
    assert obligation.fulfilled_by == new
    assert services.replacement_fulfil_for(assignment=new) is None


def test_recall_without_reason_or_by_other_roles_changes_nothing(world, today):
    with pytest.raises(ValidationError) as exc:
        services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="  ")
    assert exc.value.message_dict["reason"] == ["Write down the reason: no cadre is recalled without one."]
    for user in (world.stranger, world.city_reviewer, world.liaison):
        with pytest.raises(PermissionDenied):
            services.cadre_recall(user=user, assignment=world.member_assignment, reason="x")
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None and not ReplacementObligation.objects.exists()


def test_recall_refuses_a_due_date_not_after_the_recall_and_changes_nothing(world, today):
    with pytest.raises(ValidationError):
        services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="x",
                              end_date=TODAY, due_date=TODAY)
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None


# --- benefits --------------------------------------------------------------------------------------


def _presence(world, cadre, assignment, days):
    for i in range(days):
        PresenceRecord.objects.create(cadre=cadre, assignment=assignment, date=dt.date(2026, 3, 1) + dt.timedelta(days=i),
                                      kind="in_village", source="self", recorded_at=timezone.now())


def test_arrears_are_entitlement_minus_payments_by_cadre_and_by_unit(world, today, settings):
    settings.ZHUCUN = {**settings.ZHUCUN, "BENEFITS": {
        "WORK_FUNDS_PER_VILLAGE_YEAR": 10000, "LIVING_SUBSIDY_PER_DAY": 50,
        "ACCIDENT_INSURANCE_PER_YEAR": 300, "HEALTH_CHECK_PER_YEAR": 500}}
    _presence(world, world.cadre, world.assignment, 10)
    services.benefit_payment_create(user=world.liaison, kind="living_subsidy", year=2026, amount="200",
                                    paid_on=TODAY, cadre=world.cadre)
    services.benefit_payment_create(user=world.liaison, kind="accident_insurance", year=2026, amount="900",
                                    paid_on=TODAY, cadre=world.cadre)  # overpaid: no negative arrears
    services.benefit_payment_create(user=world.owner, kind="work_funds", year=2026, amount="4000",
                                    paid_on=TODAY, village=world.village, unit=world.unit)
    data = selectors.benefit_arrears(user=world.owner, year=2026)
    cadre = next(r for r in data["cadres"] if r["cadre_id"] == world.cadre.id)
    # due: 10 days × 50 + 300 + 500 = 1300; paid 1100; arrears 300 (subsidy) + 0 + 500 (health)
    assert (cadre["due"], cadre["paid"], cadre["arrears"]) == (Decimal("1300.00"), Decimal("1100.00"), Decimal("800.00"))
    member = next(r for r in data["cadres"] if r["cadre_id"] == world.member.id)
    assert member["arrears"] == Decimal("800.00")  # no days, insurance + health check
    unit = next(u for u in data["units"] if u["unit_id"] == world.unit.id)
    # work funds: the first secretary served all of 2026 → 10000 due, 4000 paid
    assert unit["due"] == Decimal("1300.00") + Decimal("800.00") + Decimal("10000.00")
    assert unit["arrears"] == Decimal("800.00") + Decimal("800.00") + Decimal("6000.00")
    assert unit["villages"][0]["arrears"] == Decimal("6000.00")
    # the city reviewer of 成都市 sees none of it
    other = selectors.benefit_arrears(user=world.other_city_reviewer, year=2026)
    assert world.unit.id not in {u["unit_id"] for u in other["units"]}
    assert world.cadre.id not in {c["cadre_id"] for c in other["cadres"]}


def test_work_funds_are_prorated_by_the_days_the_first_secretary_served(world, today):
    Assignment.objects.filter(pk=world.assignment.pk).update(start_date=dt.date(2026, 7, 2))
    data = selectors.benefit_arrears(user=world.liaison, year=2026)
    unit = data["units"][0]
    assert unit["villages"][0]["due"] == (Decimal(10000) * Decimal(183) / Decimal(365)).quantize(Decimal("0.01"))


def test_liaison_records_payments_only_for_their_unit_and_bad_input_saves_nothing(world, today):
    with pytest.raises(ValidationError) as exc:
        services.benefit_payment_create(user=world.liaison, kind="living_subsidy", year=2026, amount="-5",
                                        paid_on=TODAY + dt.timedelta(days=1), cadre=world.neighbour_cadre)
    errors = exc.value.message_dict
    assert errors["amount"] == ["Enter an amount in yuan greater than zero."]
    assert errors["paid_on"] == ["This date is in the future."]
    assert errors["cadre"] == ["You can record payments only for your own unit's cadres."]
    with pytest.raises(ValidationError) as exc:
        services.benefit_payment_create(user=world.liaison, kind="work_funds", year=2026, amount="1", paid_on=TODAY,
                                        village=world.far_village)
    assert exc.value.message_dict["village"] == ["Your unit has no cadre in this village."]
    with pytest.raises(ValidationError) as exc:
        services.benefit_payment_create(user=world.owner, kind="health_check", year=2026, amount="1", paid_on=TODAY)
    assert exc.value.message_dict["cadre"] == ["This benefit is paid to a cadre: choose the cadre."]
    for user in (world.city_reviewer, world.township_staff, world.cadre_user):
        with pytest.raises(PermissionDenied):
            services.benefit_payment_create(user=user, kind="health_check", year=2026, amount="1", paid_on=TODAY,
                                            cadre=world.cadre)
    assert not BenefitPayment.objects.exists()


# --- exemplars -------------------------------------------------------------------------------------


def test_exemplars_are_county_staff_writes_and_read_in_scope(world, today):
    services.commendation_create(user=world.owner, cadre=world.cadre, level="province", title="优秀第一书记", date=DAY)
    services.case_create(user=world.owner, village=world.village, title="茶叶合作社", text="成立合作社。", date=DAY)
    with pytest.raises(PermissionDenied):
        services.commendation_create(user=world.stranger, cadre=world.cadre, level="county", title="x", date=DAY)
    with pytest.raises(ValidationError) as exc:
        services.case_create(user=world.owner, village=world.village, title="", text="", date=DAY)
    assert set(exc.value.message_dict) == {"title", "text"}
    recent = selectors.exemplars_recent(user=world.city_reviewer, limit=5)
    assert [c.title for c in recent["commendations"]] == ["优秀第一书记"]
    assert [c.title for c in recent["cases"]] == ["茶叶合作社"]
    other = selectors.exemplars_recent(user=world.other_city_reviewer, limit=5)
    assert other == {"commendations": [], "cases": []}
    assert [c.title for c in selectors.exemplars_recent(user=world.liaison)["commendations"]] == ["优秀第一书记"]


# --- dashboard aggregates --------------------------------------------------------------------------


def test_inspections_summary_groups_by_the_level_below_and_counts_unexcused_share(world, today):
    _inspect(world, absent=[world.cadre.id])
    _inspect(world)
    services.inspection_create(user=world.stranger, village=world.neighbour_village, kind="research", date=DAY,
                               inspectors="调研组")
    since = DAY - dt.timedelta(days=1)
    assert selectors.inspections_summary(user=world.province_reviewer, since=since) == {
        world.city.id: {"count": 3, "absent_unexcused": 1, "absent_unexcused_share": 1 / 3}}
    by_county = selectors.inspections_summary(user=world.city_reviewer, since=since)
    assert by_county[world.county.id]["count"] == 2 and by_county[world.neighbour_county.id]["count"] == 1
    assert selectors.inspections_summary(user=world.owner, since=since) == {
        world.township.id: {"count": 2, "absent_unexcused": 1, "absent_unexcused_share": 0.5}}
    assert selectors.inspections_summary(user=world.other_city_reviewer, since=since) == {}


def test_dashboard_selectors_run_a_fixed_number_of_queries(world, today, django_assert_max_num_queries):
    for _ in range(3):
        _inspect(world, absent=[world.cadre.id], repeat_confirmed=True)
    services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="x")
    user = world.province_reviewer
    selectors.inspections_summary(user=user, since=DAY)  # warm the scope cache
    with django_assert_max_num_queries(6):
        selectors.inspections_summary(user=user, since=DAY)
        selectors.open_obligations_summary(user=user)
        selectors.assessments_summary(user=user, year=2026)
        selectors.exemplars_recent(user=user, limit=5)
    with django_assert_max_num_queries(6):
        selectors.benefit_arrears(user=user, year=2026)


def test_the_nightly_task_closes_an_obligation_filled_outside_the_replacement_form(world, today):
    # A roster import creates assignments without the replacement form; the nightly task
    # notices that the unit has filled the post and closes the obligation.
    from assignments import tasks
    from tests.factories import AssignmentFactory, CadreFactory

    obligation = services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="不胜任")
    fresh = CadreFactory(unit=world.unit, county=world.county)
    new = AssignmentFactory(cadre=fresh, village=world.village, role=obligation.role, start_date=TODAY)
    assert tasks.close_filled_replacement_obligations() == 1
    obligation.refresh_from_db()
    assert (obligation.status, obligation.fulfilled_by) == ("fulfilled", new)
    assert tasks.close_filled_replacement_obligations() == 0  # a second night changes nothing


def test_the_obligation_check_is_scheduled_every_night(world):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="assignments.tasks.close_filled_replacement_obligations")
    assert task.enabled and (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "1", "45", "Asia/Shanghai")
