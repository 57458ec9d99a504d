"""Supervision rules: absences counted by day, the recalled cadre never her own replacement, the
benefits ledger's sums, the grades the assessment form offers, free-text limits, the recall's own
wording, overdue replacements, the cap message at the lowest grade, and the inspection date and
team checks."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assignments.models import AnnualAssessment, Assignment, Inspection, ReplacementObligation
from assignments.services import assignment_create
from assignments.supervision import selectors, services
from assignments.supervision.forms import AssessmentForm, InspectionForm, ReplacementForm
from attendance.models import PresenceRecord
from tests.factories import AssignmentFactory, CadreFactory

pytestmark = pytest.mark.urls("tests.supervision.urls")

TODAY = dt.date(2026, 11, 26)
DAY = dt.date(2026, 11, 18)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _inspect(world, absent=(), day=DAY, user=None, **kw):
    fields = {"village": world.village, "kind": "unannounced", "date": day, "inspectors": "督查组",
              "absent_cadre_ids": absent, **kw}
    return services.inspection_create(user=user or world.owner, **fields)


# --- an absence is a day ---------------------------------------------------------------------


def test_two_inspections_the_same_day_count_one_absence_in_the_assessment(world, today):
    # Absent on 11-18, and on 11-25 found by two inspections.
    _inspect(world, absent=[world.cadre.id], day=DAY)
    _inspect(world, absent=[world.cadre.id], day=DAY + dt.timedelta(days=7))
    second = DAY + dt.timedelta(days=7)
    services.inspection_record(village=world.village, kind="research", date=second, inspectors="市委组织部调研组",
                               issues="", rectification_deadline=None, absent={world.cadre.id},
                               team=selectors.team_on(village=world.village, day=second))
    evidence = selectors.assessment_evidence(cadre=world.cadre, year=2026)
    assert (evidence["unexcused_absences"], evidence["best_grade"]) == (2, "basically_competent")
    assert selectors.unexcused_absence_days(cadre_id=world.cadre.id, year=2026) == 2
    saved = services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade="basically_competent")
    assert saved.grade == "basically_competent"


def test_a_repeated_absence_the_same_day_is_asked_to_be_confirmed_and_nothing_is_saved_until_then(world, today):
    _inspect(world, absent=[world.cadre.id])
    with pytest.raises(ValidationError) as exc:
        _inspect(world, absent=[world.cadre.id], inspectors="市委组织部调研组")
    message = exc.value.message_dict["repeat_confirmed"][0]
    assert "already found 袁杰 absent" in message and "counts as one absence" in message
    assert Inspection.objects.count() == 1
    # Another cadre absent, or nobody absent, is no repeat: recorded at once.
    _inspect(world, absent=[world.member.id])
    _inspect(world)
    assert Inspection.objects.count() == 3


def test_the_inspection_page_shows_the_confirmation_box_and_records_once_ticked(client, world, today):
    _inspect(world, absent=[world.cadre.id])
    client.force_login(world.owner)
    data = {"village": world.village.pk, "date": DAY.isoformat(), "kind": "unannounced", "inspectors": "调研组",
            "absent": [world.cadre.pk], "issues": "", "rectification_deadline": ""}
    page = client.post(reverse("supervision:inspection_create"), data)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="repeat-absence"' in html and 'name="repeat_confirmed"' in html
    assert Inspection.objects.count() == 1
    response = client.post(reverse("supervision:inspection_create"), {**data, "repeat_confirmed": "on"})
    assert response.status_code == 302 and Inspection.objects.count() == 2


# --- inspection date and team ---------------------------------------------------------------------


def test_an_inspection_years_ago_is_refused(world, today):
    with pytest.raises(ValidationError) as exc:
        _inspect(world, day=dt.date(2001, 5, 1))
    assert "cannot be before 2024-01-01" in exc.value.message_dict["date"][0]
    assert not Inspection.objects.exists()
    assert _inspect(world, day=dt.date(2025, 12, 30)).pk  # last year's, keyed in late: fine


def test_a_cadre_not_in_post_that_day_is_neither_offered_nor_accepted_as_absent(world, today):
    newcomer = CadreFactory(unit=world.unit, county=world.county)
    AssignmentFactory(cadre=newcomer, village=world.village, start_date=DAY + dt.timedelta(days=1))
    form = InspectionForm(initial={"village": world.village.pk, "date": DAY.isoformat()}, user=world.owner)
    assert newcomer.pk not in dict(form.fields["absent"].choices)
    with pytest.raises(ValidationError) as exc:
        _inspect(world, absent=[newcomer.pk])
    assert "Only members of the village's team" in exc.value.message_dict["absent"][0]
    assert not Inspection.objects.exists()


# --- the recalled cadre is no replacement -----------------------------------------------------


def test_the_recalled_cadre_is_not_offered_and_is_refused_as_her_own_replacement(client, world, today):
    obligation = services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="长期不在岗")
    form = ReplacementForm(user=world.owner, obligation=obligation)
    assert world.member not in form.fields["cadre"].queryset
    with pytest.raises(ValidationError) as exc:
        services.assignment_create_replacement(user=world.owner, obligation=obligation, cadre=world.member,
                                               start_date=TODAY)
    assert "is the cadre who was recalled" in exc.value.message_dict["cadre"][0]
    client.force_login(world.owner)
    response = client.post(reverse("supervision:obligation_fulfil", args=[obligation.pk]),
                           {"cadre": world.member.pk, "start_date": TODAY.isoformat(), "role": "team_member"})
    assert response.status_code == 200
    obligation.refresh_from_db()
    assert obligation.status == "open"
    assert not Assignment.objects.filter(cadre=world.member, end_date__isnull=True).exists()


def test_sending_the_recalled_cadre_back_through_the_plain_form_does_not_fill_the_vacancy(world, today):
    obligation = services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="不胜任",
                                       end_date=DAY)
    assignment_create(user=world.owner, cadre=world.member, village=world.village, role="team_member",
                      start_date=TODAY)
    obligation.refresh_from_db()
    assert obligation.status == "open"
    assert selectors.obligations_open(ReplacementObligation.objects.all()).get() == obligation
    assert services.replacement_obligations_sync() == 0


# --- the ledger sums ----------------------------------------------------------------------------


def test_ledger_sums_on_a_hand_made_ledger(world, today, settings):
    settings.ZHUCUN = {**settings.ZHUCUN, "BENEFITS": {
        "WORK_FUNDS_PER_VILLAGE_YEAR": 10000, "LIVING_SUBSIDY_PER_DAY": 50,
        "ACCIDENT_INSURANCE_PER_YEAR": 300, "HEALTH_CHECK_PER_YEAR": 500}}
    Assignment.objects.filter(pk=world.assignment.pk).update(start_date=dt.date(2026, 1, 1))
    for i in range(10):
        PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment,
                                      date=dt.date(2026, 3, 1) + dt.timedelta(days=i), kind="in_village",
                                      source="self", recorded_at=timezone.now())
    # A cadre of the unit who served only in 2025 and got a 2026 payment by mistake.
    former = CadreFactory(name="赵前", unit=world.unit, county=world.county)
    AssignmentFactory(cadre=former, village=world.village2, start_date=dt.date(2024, 1, 1),
                      end_date=dt.date(2025, 6, 30), end_reason="rotation", end_note="期满")

    def pay(kind, amount, **who):
        services.benefit_payment_create(user=world.owner, kind=kind, year=2026, amount=amount, paid_on=TODAY, **who)

    pay("living_subsidy", "200", cadre=world.cadre)        # due 500: 300 owed
    pay("accident_insurance", "900", cadre=world.cadre)    # due 300: 600 overpaid
    #                                                       health check due 500: 500 owed
    pay("living_subsidy", "1000", cadre=world.member)      # no days: 1000 overpaid
    pay("accident_insurance", "300", cadre=world.member)
    pay("health_check", "500", cadre=world.member)
    pay("health_check", "500", cadre=former)               # nothing due in 2026: overpaid
    pay("work_funds", "4000", village=world.village, unit=world.unit)  # due 10000: 6000 owed

    data = selectors.benefit_arrears(user=world.owner, year=2026)
    rows = {r["cadre_id"]: r for r in data["cadres"]}
    D = Decimal
    assert {k: rows[world.cadre.id][k] for k in ("due", "paid", "arrears", "overpaid")} == {
        "due": D("1300.00"), "paid": D("1100.00"), "arrears": D("800.00"), "overpaid": D("600.00")}
    assert (rows[world.member.id]["arrears"], rows[world.member.id]["overpaid"]) == (D(0), D("1000.00"))
    assert (rows[former.id]["due"], rows[former.id]["paid"], rows[former.id]["overpaid"]) == (D(0), D(500), D(500))
    unit = next(u for u in data["units"] if u["unit_id"] == world.unit.id)
    assert {k: unit[k] for k in ("due", "paid", "arrears", "overpaid", "cadre_arrears", "cadres_in_arrears",
                                 "work_funds_arrears", "villages_in_arrears")} == {
        "due": D("12100.00"), "paid": D("7400.00"), "arrears": D("6800.00"), "overpaid": D("2100.00"),
        "cadre_arrears": D("800.00"), "cadres_in_arrears": 1, "work_funds_arrears": D("6000.00"),
        "villages_in_arrears": 1}
    # The headline is the rows' sum, every payment in scope counts as paid, and nothing is netted.
    assert data["total_paid"] == sum(p.amount for p in selectors.payments_for_user(world.owner).filter(year=2026))
    for key in ("due", "paid", "arrears", "overpaid"):
        assert data[f"total_{key}"] == sum((u[key] for u in data["units"]), D(0))
    assert data["total_due"] - data["total_paid"] == data["total_arrears"] - data["total_overpaid"]
    assert data["total_arrears"] == sum((r["arrears"] for r in data["cadres"]), D(0)) + sum(
        (v["arrears"] for u in data["units"] for v in u["villages"]), D(0))


def test_every_unit_in_arrears_names_who_is_owed(world, today):
    # Work funds only: the unit owes a village, not a cadre, and the page says so.
    data = selectors.benefit_arrears(user=world.owner, year=2026)
    for u in data["units"]:
        assert u["arrears"] == u["cadre_arrears"] + u["work_funds_arrears"]
        assert (u["cadre_arrears"] > 0) == (u["cadres_in_arrears"] > 0)
        assert (u["work_funds_arrears"] > 0) == (u["villages_in_arrears"] > 0)
        assert u["arrears"] == 0 or u["cadres_in_arrears"] + u["villages_in_arrears"] >= 1


def test_the_benefits_page_says_how_arrears_are_counted(client, world, today):
    client.force_login(world.owner)
    html = client.get(reverse("supervision:benefit_arrears"), {"year": 2026}).content.decode()
    assert 'id="how-counted"' in html and "never offset against another" in html
    assert "Overpaid" in html and "Villages in arrears" in html


# --- the grades offered ------------------------------------------------------------------


def test_the_assessment_form_offers_only_the_allowed_grades_and_says_why(client, world, today):
    for i in range(3):
        _inspect(world, absent=[world.cadre.id], day=DAY - dt.timedelta(days=i))
    client.force_login(world.owner)
    page = client.get(reverse("supervision:assessment_create"), {"cadre": world.cadre.pk, "year": 2026})
    grade = page.context["form"].fields["grade"]
    assert [v for v, _ in grade.choices] == ["", "incompetent"]  # "Choose a grade", then the one allowed
    assert grade.help_text == ("3 unexcused absence(s) found by inspection in 2026: the grade can only be "
                               "“Incompetent”.")
    assert "the grade can only be" in page.content.decode()
    # The service is still the last line.
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade="basically_competent")
    assert exc.value.message_dict["grade"][0].endswith("the grade can only be “Incompetent”.")


def test_without_a_cap_every_grade_is_offered_and_one_absence_drops_excellent(world, today):
    assert len(AssessmentForm(evidence={"best_grade": None}, year=2026).fields["grade"].choices) == 1 + 4
    form = AssessmentForm(evidence={"best_grade": "competent", "unexcused_absences": 1}, year=2026,
                          initial={"grade": "excellent"})
    assert [v for v, _ in form.fields["grade"].choices] == ["", "competent", "basically_competent", "incompetent"]
    assert "can be at most “Competent”" in form.fields["grade"].help_text
    assert "grade" not in form.initial  # the grade no longer allowed is not swapped for a guess


# --- free-text limits and truncated lists -------------------------------------------------------


def test_very_long_free_text_is_refused_by_services_and_forms(world, today):
    with pytest.raises(ValidationError) as exc:
        _inspect(world, issues="问" * 20000)
    assert exc.value.message_dict["issues"] == ["Keep this to 2000 characters (it has 20000)."]
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade="competent",
                                 comments="评" * 50000)
    assert "Keep this to 2000 characters" in exc.value.message_dict["comments"][0]
    with pytest.raises(ValidationError) as exc:
        services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="因" * 5000)
    assert "reason" in exc.value.message_dict
    assert not Inspection.objects.exists() and not AnnualAssessment.objects.exists()
    form = AssessmentForm({"year": 2026, "grade": "competent", "comments": "评" * 50000})
    assert not form.is_valid() and "comments" in form.errors


def test_list_tables_cut_long_text_and_keep_it_in_the_title(client, world, today):
    issues = "台账不全" * 100
    _inspect(world, issues=issues)
    services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade="competent", comments="好" * 1500)
    client.force_login(world.owner)
    html = client.get(reverse("supervision:inspection_list")).content.decode()
    assert f'title="{issues}"' in html and html.count(issues) == 1
    html = client.get(reverse("supervision:assessment_list"), {"year": 2026}).content.decode()
    assert html.count("好" * 1500) == 1 and "好" * 79 + "…" in html


# --- recall wording, overdue replacements -----------------------------------------------


def test_a_recall_too_far_ahead_has_its_own_wording(world, today):
    with pytest.raises(ValidationError) as exc:
        services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="x",
                              end_date=TODAY + dt.timedelta(days=60))
    assert exc.value.message_dict["end_date"] == ["A recall can be recorded at most a month before it takes effect."]
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None


def test_overdue_replacements_are_badged_and_listed_first(client, world, today):
    late = services.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="x",
                                 end_date=dt.date(2026, 6, 1), due_date=dt.date(2026, 7, 1))  # 4 months past
    # Due earlier, but filled by an assignment made outside the form (a roster import): not overdue.
    recalled = CadreFactory(unit=world.unit, county=world.county)
    filled = services.cadre_recall(
        user=world.owner, reason="y", end_date=dt.date(2026, 4, 1), due_date=dt.date(2026, 5, 1),
        assignment=AssignmentFactory(cadre=recalled, village=world.village2, start_date=dt.date(2026, 1, 1)))
    AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county), village=world.village2,
                      start_date=dt.date(2026, 4, 2))
    client.force_login(world.owner)
    page = client.get(reverse("supervision:obligation_list"))
    assert [o.pk for o in page.context["page"]] == [late.pk, filled.pk]
    html = page.content.decode()
    assert f'data-overdue="{late.pk}"' in html and f'data-overdue="{filled.pk}"' not in html
