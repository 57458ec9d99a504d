"""Supervision pages: who may open what (404 out of scope, 403 not allowed) and that they work,
exports included."""
import datetime as dt
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assignments.models import (
    AnnualAssessment,
    Assignment,
    BenefitPayment,
    Finding,
    Inspection,
    InspectionSample,
    ReplacementObligation,
)
from assignments.supervision import selectors, services
from attendance.models import LeaveRequest
from tests.factories import CadreFactory

pytestmark = pytest.mark.urls("tests.supervision.urls")

TODAY = dt.date(2026, 11, 18)
DAY = dt.date(2026, 11, 10)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _as(client, user):
    client.force_login(user)
    return client


def _inspection(world, village=None, user=None, absent=(), **kw):
    return services.inspection_create(user=user or world.owner, village=village or world.village, kind="unannounced",
                                      date=DAY, inspectors="督查组", absent_cadre_ids=absent, **kw)


def test_anonymous_users_are_sent_to_login(client, world):
    response = client.get(reverse("supervision:inspection_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_city_reviewer_records_an_inspection_and_the_absence_is_reconciled(client, world, today):
    LeaveRequest.objects.create(cadre=world.member, assignment=world.member_assignment, kind="sick", start=DAY,
                                end=DAY, reason="病", status=LeaveRequest.Status.APPROVED)
    c = _as(client, world.city_reviewer)
    form = c.get(reverse("supervision:inspection_create"), {"village": world.village.pk, "date": DAY.isoformat()})
    html = form.content.decode()
    assert world.cadre.name in html and world.member.name in html and world.far_village.name not in html
    response = c.post(reverse("supervision:inspection_create"), {
        "village": world.village.pk, "date": DAY.isoformat(), "kind": "unannounced", "inspectors": "市委组织部 张三",
        "absent": [world.cadre.pk, world.member.pk], "issues": "", "rectification_deadline": "",
    }, follow=True)
    inspection = Inspection.objects.get()
    assert response.redirect_chain[-1][0] == reverse("supervision:inspection_detail", args=[inspection.pk])
    outcomes = dict(inspection.members.values_list("cadre_id", "outcome"))
    assert outcomes == {world.cadre.pk: "unexcused", world.member.pk: "excused"}
    assert Finding.objects.get().cadre == world.cadre
    assert "Absent without leave" in response.content.decode()


def test_inspection_form_refuses_bad_input_with_messages_and_saves_nothing(client, world, today):
    c = _as(client, world.owner)
    response = c.post(reverse("supervision:inspection_create"), {
        "village": world.village.pk, "date": (TODAY + dt.timedelta(days=2)).isoformat(), "kind": "unannounced",
        "inspectors": "x",
    })
    assert response.status_code == 200 and "This date is in the future." in response.content.decode()
    response = c.post(reverse("supervision:inspection_create"), {
        "village": world.far_village.pk, "date": DAY.isoformat(), "kind": "unannounced", "inspectors": "x"})
    assert "Select a valid choice" in response.content.decode()
    assert not Inspection.objects.exists()


def test_inspection_pages_are_scoped_404_outside_and_403_for_roles_that_do_not_record(client, world, today):
    ours = _inspection(world, absent=[world.cadre.pk])
    theirs = _inspection(world, village=world.far_village, user=world.province_reviewer)
    c = _as(client, world.other_city_reviewer)
    assert c.get(reverse("supervision:inspection_detail", args=[ours.pk])).status_code == 404
    assert c.get(reverse("supervision:inspection_detail", args=[theirs.pk])).status_code == 200
    listing = c.get(reverse("supervision:inspection_list")).content.decode()
    assert world.far_village.name in listing and world.village.name not in listing
    for user in (world.township_staff, world.liaison, world.cadre_user):
        c = _as(client, user)
        assert c.get(reverse("supervision:inspection_create")).status_code == 403
        assert c.get(reverse("supervision:inspection_detail", args=[ours.pk])).status_code == 200
        assert c.get(reverse("supervision:inspection_detail", args=[theirs.pk])).status_code == 404


def test_sample_is_drawn_shown_and_scoped(client, world, today):
    c = _as(client, world.owner)
    response = c.post(reverse("supervision:sample_create"), {"size": 2, "seed": 42}, follow=True)
    sample = InspectionSample.objects.get()
    assert sample.seed == 42 and "42" in response.content.decode()
    assert c.post(reverse("supervision:sample_create"), {"size": 0}).status_code == 400
    assert InspectionSample.objects.count() == 1
    assert _as(client, world.city_reviewer).get(reverse("supervision:sample_detail", args=[sample.pk])).status_code == 200
    assert _as(client, world.stranger).get(reverse("supervision:sample_detail", args=[sample.pk])).status_code == 404
    assert _as(client, world.other_city_reviewer).get(
        reverse("supervision:sample_detail", args=[sample.pk])).status_code == 404
    assert _as(client, world.province_reviewer).post(reverse("supervision:sample_create"), {"size": 1}).status_code == 403


def test_inspection_page_closes_the_rectification_with_a_button_that_says_so(client, world, today):
    inspection = _inspection(world, issues="台账不全", rectification_deadline=TODAY + dt.timedelta(days=3))
    c = _as(client, world.owner)
    url = reverse("supervision:inspection_detail", args=[inspection.pk])
    assert '<button type="submit" class="btn btn-success">Mark as rectified</button>' in c.get(url).content.decode()
    c.post(reverse("supervision:inspection_rectify", args=[inspection.pk]),
           {"rectified_on": TODAY.isoformat(), "note": "台账已补齐"})
    inspection.refresh_from_db()
    assert inspection.rectification_status == "done"
    assert "Mark as rectified" not in c.get(url).content.decode()  # nothing left to close


@pytest.mark.parametrize("size, drawn", [(1, "1 village drawn at"), (2, "2 villages drawn at")])
def test_sample_page_counts_the_villages_drawn_in_singular_or_plural(client, world, today, size, drawn):
    c = _as(client, world.owner)
    c.post(reverse("supervision:sample_create"), {"size": size, "seed": 7})
    page = c.get(reverse("supervision:sample_detail", args=[InspectionSample.objects.get().pk])).content.decode()
    assert drawn in page


def test_assessment_starts_from_the_countys_cadres_named_with_village_and_unit(client, world, today):
    page = _as(client, world.owner).get(reverse("supervision:assessment_create")).content.decode()
    assert f"{world.cadre.name} · {world.village.name} · {world.cadre.unit.name}" in page
    assert world.far_cadre.name not in page


def test_assessment_form_shows_evidence_and_refuses_a_grade_above_the_cap(client, world, today):
    _inspection(world, absent=[world.cadre.pk])
    c = _as(client, world.owner)
    page = c.get(reverse("supervision:assessment_create"), {"cadre": world.cadre.pk, "year": 2026})
    assert 'id="evidence"' in page.content.decode() and "Unexcused absences found by inspection" in page.content.decode()
    response = c.post(reverse("supervision:assessment_create"), {
        "cadre": world.cadre.pk, "year": 2026, "grade": "excellent", "comments": ""})
    assert "the grade can be at most" in response.content.decode()
    assert not AnnualAssessment.objects.exists()
    c.post(reverse("supervision:assessment_create"), {"cadre": world.cadre.pk, "year": 2026, "grade": "competent"})
    assert AnnualAssessment.objects.get().grade == "competent"
    assert _as(client, world.city_reviewer).get(reverse("supervision:assessment_create")).status_code == 403
    assert _as(client, world.stranger).get(reverse("supervision:assessment_create"),
                                           {"cadre": world.cadre.pk}).status_code == 404


def _grade_options(html: str) -> list[tuple[str, bool]]:
    select = html[html.index('<select name="grade"'):html.index("</select>", html.index('<select name="grade"'))]
    return [(value, bool(selected)) for value, selected in re.findall(r'<option value="([^"]*)"( selected)?', select)]


def test_assessment_form_chooses_no_grade_and_saving_without_one_is_refused(client, world, today, settings):
    c = _as(client, world.owner)
    html = c.get(reverse("supervision:assessment_create"), {"cadre": world.cadre.pk, "year": 2025}).content.decode()
    options = _grade_options(html)
    assert options[0] == ("", True) and not any(selected for _value, selected in options[1:])
    assert [v for v, _s in options[1:]] == ["excellent", "competent", "basically_competent", "incompetent"]
    assert ">Choose a grade</option>" in html
    # What one click of Save sends: no grade.
    response = c.post(reverse("supervision:assessment_create"), {"cadre": world.cadre.pk, "year": 2025, "grade": ""})
    assert response.status_code == 200 and response.context["form"].errors["grade"] == ["Choose a grade."]
    assert not AnnualAssessment.objects.exists()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = c.post(reverse("supervision:assessment_create"), {"cadre": world.cadre.pk, "year": 2025})
    assert "请选择考核等次。" in response.content.decode() and not AnnualAssessment.objects.exists()


def test_under_the_cap_rule_the_form_still_starts_without_a_grade(client, world, today):
    _inspection(world, absent=[world.cadre.pk])
    c = _as(client, world.owner)
    html = c.get(reverse("supervision:assessment_create"), {"cadre": world.cadre.pk, "year": 2026}).content.decode()
    options = _grade_options(html)
    assert options[0] == ("", True) and "excellent" not in [v for v, _s in options]
    assert not any(selected for _value, selected in options[1:])
    # Editing an assessment whose grade the cap now forbids does not swap in another grade either.
    assessment = AnnualAssessment.objects.create(cadre=world.cadre, county=world.county, year=2026, grade="excellent")
    options = _grade_options(c.get(reverse("supervision:assessment_edit", args=[assessment.pk])).content.decode())
    assert options[0] == ("", True) and not any(selected for _value, selected in options[1:])


def test_assessments_list_never_shows_another_citys_assessments(client, world, today):
    services.assessment_save(user=world.owner, cadre=world.cadre, year=2026, grade="competent")
    assert world.cadre.name in _as(client, world.city_reviewer).get(
        reverse("supervision:assessment_list"), {"year": 2026}).content.decode()
    assert world.cadre.name not in _as(client, world.other_city_reviewer).get(
        reverse("supervision:assessment_list"), {"year": 2026}).content.decode()


def test_recall_then_replacement_through_the_pages(client, world, today):
    c = _as(client, world.owner)
    assert c.post(reverse("supervision:recall", args=[world.member_assignment.pk]),
                  {"end_date": TODAY.isoformat(), "reason": ""}).status_code == 200
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None
    c.post(reverse("supervision:recall", args=[world.member_assignment.pk]),
           {"end_date": TODAY.isoformat(), "reason": "工作不力，群众反映强烈"})
    obligation = ReplacementObligation.objects.get()
    unit_page = c.get(reverse("unit_detail", args=[world.unit.pk])).content.decode()
    liaison_list = _as(client, world.liaison).get(reverse("supervision:obligation_list")).content.decode()
    assert world.village.name in liaison_list
    fresh = CadreFactory(name="周新", unit=world.unit, county=world.county)
    c = _as(client, world.owner)
    c.post(reverse("supervision:obligation_fulfil", args=[obligation.pk]),
           {"cadre": fresh.pk, "start_date": TODAY.isoformat(), "role": "team_member"})
    obligation.refresh_from_db()
    assert obligation.status == "fulfilled"
    assert Assignment.objects.get(cadre=fresh, end_date__isnull=True).village == world.village
    assert _as(client, world.stranger).get(
        reverse("supervision:recall", args=[world.assignment.pk])).status_code == 404
    assert _as(client, world.city_reviewer).get(
        reverse("supervision:recall", args=[world.assignment.pk])).status_code == 403
    # the unit's page lists the vacancy it owes
    assert 'id="unit-obligations"' in unit_page and world.village.name in unit_page


def test_benefits_page_and_export_show_only_the_users_scope(client, world, today):
    services.benefit_payment_create(user=world.liaison, kind="health_check", year=2026, amount="500",
                                    paid_on=TODAY, cadre=world.cadre)
    services.benefit_payment_create(user=world.owner, kind="health_check", year=2026, amount="500", paid_on=TODAY,
                                    cadre=world.member)
    c = _as(client, world.city_reviewer)
    assert world.cadre.name in c.get(reverse("supervision:benefit_arrears"), {"year": 2026}).content.decode()
    response = _as(client, world.other_city_reviewer).get(reverse("supervision:benefit_export"), {"year": 2026})
    wb = load_workbook(BytesIO(response.content))
    cells = {str(cell.value) for ws in wb.worksheets for row in ws.iter_rows() for cell in row}
    assert world.cadre.name not in cells and world.unit.name not in cells and world.far_cadre.name in cells
    response = _as(client, world.owner).get(reverse("supervision:benefit_export"), {"year": 2026})
    ws = load_workbook(BytesIO(response.content))["By cadre"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(rows[world.cadre.name][6])) == Decimal("300")  # insurance only: health check paid
    units = load_workbook(BytesIO(response.content))["By unit"]
    total = [r for r in units.iter_rows(min_row=3, values_only=True)][-1]
    data = selectors.benefit_arrears(user=world.owner, year=2026)
    assert total[0] == "Total" and Decimal(str(total[3])) == data["total_arrears"]  # the page's headline
    assert units.freeze_panes == "A3"
    for user in (world.township_staff, world.cadre_user):
        assert _as(client, user).get(reverse("supervision:benefit_arrears")).status_code == 403
        assert _as(client, user).get(reverse("supervision:benefit_export")).status_code == 403


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_benefits_page_shows_every_amount_with_thousands_separators_and_two_decimals(client, world, today, settings,
                                                                                    language):
    services.benefit_payment_create(user=world.owner, kind="work_funds", year=2026, amount="5000", paid_on=TODAY,
                                    village=world.village, unit=world.unit)
    c = _as(client, world.owner)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = c.get(reverse("supervision:benefit_arrears"), {"year": 2026}).content.decode()
    if language == "en":
        assert "Rules: work funds 10,000.00 yuan per village a year" in html
        assert "living subsidy 50.00 yuan per day" in html
    else:
        assert "10,000.00" in html and "10000" not in html
    payments = html[html.index('id="payments"'):]
    assert '<td class="text-end">5,000.00</td>' in payments
    totals = re.sub(r"<[^>]+>", "", html[html.index('id="totals"'):html.index("</p>", html.index('id="totals"'))])
    figures = re.findall(r"[\d,.]+\d", totals)
    assert len(figures) == 4 and all(re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d", f) for f in figures), figures
    data = selectors.benefit_arrears(user=world.owner, year=2026)
    assert f"{data['total_due']:,.2f}" in totals and data["total_due"] >= 1000


def test_benefits_export_keeps_amounts_numeric_formatted_and_columns_as_wide_as_their_headers(client, world, today):
    from assignments.roster import display_width

    services.benefit_payment_create(user=world.owner, kind="health_check", year=2026, amount="500", paid_on=TODAY,
                                    cadre=world.cadre)
    response = _as(client, world.owner).get(reverse("supervision:benefit_export"), {"year": 2026})
    wb = load_workbook(BytesIO(response.content))
    units, cadres = wb["By unit"], wb["By cadre"]
    for ws, header_row in ((units, 2), (cadres, 1)):
        for cell in ws[header_row]:
            assert ws.column_dimensions[cell.column_letter].width >= display_width(cell.value), cell.value
    row = next(r for r in cadres.iter_rows(min_row=2) if r[0].value == world.cadre.name)
    assert isinstance(row[3].value, int) and row[3].number_format == "General"  # days
    for cell in row[4:8]:  # due, paid, arrears, overpaid
        assert isinstance(cell.value, (int, float)) and cell.number_format == "#,##0.00"
    assert row[5].value == 500


def test_liaison_records_a_payment_and_bad_input_shows_the_message(client, world, today):
    c = _as(client, world.liaison)
    response = c.post(reverse("supervision:payment_create"), {
        "kind": "living_subsidy", "cadre": world.cadre.pk, "year": 2026, "amount": "0", "paid_on": TODAY.isoformat()})
    assert "Enter an amount in yuan greater than zero." in response.content.decode() or \
        "greater than or equal" in response.content.decode()
    assert not BenefitPayment.objects.exists()
    c.post(reverse("supervision:payment_create"), {
        "kind": "living_subsidy", "cadre": world.cadre.pk, "year": 2026, "amount": "1500.50",
        "paid_on": TODAY.isoformat()})
    payment = BenefitPayment.objects.get()
    assert (payment.unit, payment.amount, payment.recorded_by) == (world.unit, Decimal("1500.50"), world.liaison)
    assert _as(client, world.city_reviewer).get(reverse("supervision:payment_create")).status_code == 403


def test_exemplar_pages(client, world, today):
    c = _as(client, world.owner)
    c.post(reverse("supervision:commendation_create"), {
        "cadre": world.cadre.pk, "level": "city", "title": "优秀驻村干部", "date": DAY.isoformat()})
    c.post(reverse("supervision:case_create"), {
        "village": world.village.pk, "title": "院坝会议事", "text": "每月一次院坝会。", "date": DAY.isoformat()})
    case = world.village.good_practices.get()
    assert "优秀驻村干部" in _as(client, world.liaison).get(reverse("supervision:commendation_list")).content.decode()
    assert _as(client, world.township_staff).get(reverse("supervision:case_detail", args=[case.pk])).status_code == 200
    assert _as(client, world.other_city_reviewer).get(
        reverse("supervision:case_detail", args=[case.pk])).status_code == 404
    assert _as(client, world.city_reviewer).get(reverse("supervision:case_create")).status_code == 403


def test_list_pages_run_a_bounded_number_of_queries(client, world, today, django_assert_max_num_queries):
    for _ in range(5):
        _inspection(world, absent=[world.cadre.pk], repeat_confirmed=True)
        services.commendation_create(user=world.owner, cadre=world.cadre, level="county", title="t", date=DAY)
    c = _as(client, world.province_reviewer)
    for name in ("inspection_list", "commendation_list", "obligation_list", "assessment_list", "benefit_arrears"):
        with django_assert_max_num_queries(14):
            assert c.get(reverse(f"supervision:{name}")).status_code == 200


def test_a_replacement_with_no_free_cadre_says_to_register_one(client, world, today):
    from assignments.supervision import services as sup

    obligation = sup.cadre_recall(user=world.owner, assignment=world.member_assignment, reason="长期不在岗")
    page = _as(client, world.owner).get(reverse("supervision:obligation_fulfil", args=[obligation.pk]))
    body = page.content.decode()
    assert 'id="form-notice"' in body and reverse("cadre_create") in body
    assert _as(client, world.owner).get(reverse("supervision:assessment_create"), {"cadre": "abc"}).status_code == 404


def test_the_inspection_form_preselects_a_date_from_the_address_only_within_the_programmes_years(client, world,
                                                                                                 today):
    c = _as(client, world.owner)
    html = c.get(reverse("supervision:inspection_create"), {"date": DAY.isoformat()}).content.decode()
    assert 'name="date" value="2026-11-10"' in html and "is not a day" not in html
    html = c.get(reverse("supervision:inspection_create"), {"date": "9999-12-31"}).content.decode()
    assert 'name="date" value="2026-11-18"' in html
    assert "“9999-12-31” is not a day from 2015-01-01 to 2027-12-31 (YYYY-MM-DD)." in html
