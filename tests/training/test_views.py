"""Training pages: who may open what (404 out of scope, 403 not allowed), the forms, the
report's query bound and its .xlsx export."""
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories import AssignmentFactory, CadreFactory, VillageFactory
from training.models import TrainingCourse, TrainingRecord

pytestmark = pytest.mark.urls("tests.training.urls")

TODAY = dt.date(2026, 11, 20)
ALL = ["owner", "colleague", "stranger", "province_reviewer", "city_reviewer", "other_city_reviewer",
       "township_staff", "liaison", "cadre_user"]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _as(client, user):
    client.force_login(user)
    return client


# Expected GET access per role: (URL name, kwargs from the world, roles allowed).
ACCESS = [
    ("course_list", None, set(ALL)),
    ("course_create", None, {"owner", "colleague", "stranger", "province_reviewer", "city_reviewer",
                             "other_city_reviewer"}),
    ("course_detail", lambda w: {"pk": w.course.pk},
     {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"}),
    ("course_detail", lambda w: {"pk": w.far_course.pk}, {"province_reviewer", "other_city_reviewer"}),
    ("course_edit", lambda w: {"pk": w.course.pk}, {"owner", "colleague"}),
    ("course_edit", lambda w: {"pk": w.far_course.pk}, set()),
    ("record_bulk", lambda w: {"pk": w.course.pk}, {"owner", "colleague"}),
    ("record_bulk", lambda w: {"pk": w.far_course.pk}, set()),
    ("record_import", lambda w: {"pk": w.course.pk}, {"owner", "colleague"}),
    ("cadre_training", lambda w: {"pk": w.cadre.pk},
     {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"}),
    ("cadre_training", lambda w: {"pk": w.far_cadre.pk}, {"province_reviewer", "other_city_reviewer"}),
    ("requirement_list", None, set(ALL)),
    ("report", None, {"owner", "colleague", "stranger", "province_reviewer", "city_reviewer",
                      "other_city_reviewer", "township_staff", "liaison"}),
    # A liaison's report is their unit's cadres whatever region is asked for.
    ("report_export", lambda w: {"region": w.county.pk},
     {"owner", "colleague", "province_reviewer", "city_reviewer", "liaison"}),
]


@pytest.mark.parametrize("name,kwargs,allowed", ACCESS)
def test_access_by_role(client, tw, name, kwargs, allowed):
    for role in ALL:
        client.force_login(getattr(tw, role))
        args = kwargs(tw) if kwargs else {}
        if name == "report_export":
            url = reverse(f"training:{name}") + f"?region={args['region']}"
        else:
            url = reverse(f"training:{name}", kwargs=args)
        status = client.get(url).status_code
        if role in allowed:
            assert status == 200, f"{role} should open {name} {args}: {status}"
        else:
            assert status in (403, 404), f"{role} should be denied {name} {args}: {status}"


def test_anonymous_users_are_sent_to_login(client, tw):
    response = client.get(reverse("training:course_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_out_of_scope_is_404_and_not_allowed_is_403(client, tw):
    _as(client, tw.stranger)
    assert client.get(reverse("training:course_detail", kwargs={"pk": tw.course.pk})).status_code == 404
    _as(client, tw.township_staff)
    assert client.get(reverse("training:record_bulk", kwargs={"pk": tw.course.pk})).status_code == 403
    assert client.get(reverse("training:course_create")).status_code == 403


def test_county_staff_create_a_course_then_record_attendance(client, tw):
    c = _as(client, tw.owner)
    response = c.post(reverse("training:course_create"), {
        "title": "乡村振兴培训班", "organiser_level": "county", "start_date": "2026-10-12", "end_date": "2026-10-14",
        "days": "3", "hours": "24", "location": "县委党校", "topics": ["party", "service"]})
    course = TrainingCourse.objects.get(title="乡村振兴培训班")
    assert response["Location"] == reverse("training:record_bulk", kwargs={"pk": course.pk})
    page = c.get(response["Location"]).content.decode()
    assert "李明" in page and "王强" not in page  # only cadres in scope are offered
    response = c.post(response["Location"], {"cadres": [tw.member.pk, tw.cadre.pk], "days_attended": "3",
                                              "hours_attended": "24", "result": "completed"})
    assert response.status_code == 302
    assert set(course.records.values_list("cadre__name", flat=True)) == {"李明", "袁杰"}


def test_a_course_entered_ahead_of_time_opens_its_page_not_the_attendance_form(client, tw):
    from django.utils import timezone

    start = timezone.localdate() + dt.timedelta(days=20)
    response = _as(client, tw.owner).post(reverse("training:course_create"), {
        "title": "明年培训班", "organiser_level": "county", "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=2)).isoformat(), "days": "3", "hours": "24", "location": "县委党校"})
    course = TrainingCourse.objects.get(title="明年培训班")
    assert response["Location"] == reverse("training:course_detail", kwargs={"pk": course.pk})


def test_bad_course_shows_the_reason_and_saves_nothing(client, tw):
    response = _as(client, tw.owner).post(reverse("training:course_create"), {
        "title": "x", "organiser_level": "county", "start_date": "2026-10-12", "end_date": "2026-10-10", "days": "3"})
    assert response.status_code == 200
    assert "The course cannot end before it starts." in response.content.decode()
    assert not TrainingCourse.objects.filter(title="x").exists()


def test_bulk_record_above_course_days_is_refused(client, tw):
    response = _as(client, tw.owner).post(reverse("training:record_bulk", kwargs={"pk": tw.course.pk}), {
        "cadres": [tw.member.pk], "days_attended": "5", "result": "completed"})
    # Every picked cadre gets the same days, so the form says it once, next to the field.
    assert response.context["form"].errors["days_attended"] == ["Attended days (5) cannot exceed the course's 3 days."]
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()


def test_bulk_form_does_not_offer_a_cadre_out_of_scope(client, tw):
    response = _as(client, tw.owner).post(reverse("training:record_bulk", kwargs={"pk": tw.course.pk}), {
        "cadres": [tw.neighbour_cadre.pk], "days_attended": "3", "result": "completed"})
    assert response.status_code == 200 and "cadres" in response.context["form"].errors
    assert not TrainingRecord.objects.filter(cadre=tw.neighbour_cadre).exists()


def test_import_page_lists_bad_rows(client, tw):
    wb = Workbook()
    wb.active.append(["身份证号", "姓名", "参训天数"])
    wb.active.append([tw.member.id_number, "李明", 9])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "list.xlsx"
    response = _as(client, tw.owner).post(reverse("training:record_import", kwargs={"pk": tw.course.pk}),
                                          {"file": buf})
    page = response.content.decode()
    assert "Nothing was imported" in page and "cannot exceed the course" in page and "Days attended" in page
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()


def test_cadre_page_shows_requirement_met_with_the_counting_record(client, tw):
    page = _as(client, tw.cadre_user).get(reverse("training:cadre_training", kwargs={"pk": tw.cadre.pk}))
    statuses = page.context["training"]["requirements"]
    assert [(s.requirement, s.met, s.counting) for s in statuses] == [(tw.requirement, True, [tw.record])]
    member = _as(client, tw.owner).get(reverse("training:cadre_training", kwargs={"pk": tw.member.pk}))
    assert [s.met for s in member.context["training"]["requirements"]] == [False]
    assert "Not met" in member.content.decode()


def test_cadre_page_counts_courses_hours_and_days_in_singular_or_plural(client, tw):
    def progress(cadre):
        html = _as(client, tw.owner).get(reverse("training:cadre_training", kwargs={"pk": cadre.pk})).content.decode()
        section = html[html.index('id="cadre-training"'):html.index("<table", html.index('id="cadre-training"'))]
        return " ".join(re.sub(r"<[^>]+>", " ", section).split())

    assert tw.requirement.courses_required == 1 and tw.requirement.min_hours is None
    assert ": 1 of 1 required course counted" in progress(tw.cadre) and "(3 days)" in progress(tw.cadre)
    assert ": 0 of 1 required course counted" in progress(tw.member)
    TrainingRecord.objects.filter(pk=tw.record.pk).update(days_attended=1)
    type(tw.requirement).objects.filter(pk=tw.requirement.pk).update(courses_required=2, min_hours=Decimal(1),
                                                                     min_days_per_course=Decimal(1))
    text = progress(tw.cadre)
    assert ": 1 of 2 required courses counted · 24 of 1 hour ·" in text and "(1 day)" in text
    type(tw.requirement).objects.filter(pk=tw.requirement.pk).update(min_hours=Decimal("40.5"))
    assert "· 24 of 40.5 hours ·" in progress(tw.cadre)


def test_report_counts_the_cadres_in_post_in_singular_or_plural(client, tw):
    # 苍溪县 has 袁杰 and 李明 in post, 剑阁县 王强 alone.
    assert "2 cadres in post on 2026-11-20." in _as(client, tw.owner).get(reverse("training:report")).content.decode()
    assert "1 cadre in post on 2026-11-20." in _as(client, tw.stranger).get(reverse("training:report")).content.decode()


@pytest.mark.parametrize("days, shown", [(Decimal(1), "1 day"), (Decimal("0.5"), "0.5 days"), (Decimal(3), "3 days")])
def test_the_record_pages_give_the_course_length_in_singular_or_plural(client, tw, days, shown):
    TrainingCourse.objects.filter(pk=tw.course.pk).update(days=days, end_date=tw.course.start_date, hours=4)
    c = _as(client, tw.owner)
    for name in ("record_bulk", "record_import"):
        html = c.get(reverse(f"training:{name}", kwargs={"pk": tw.course.pk})).content.decode()
        assert f"· {shown}</p>" in html, name


def test_levels_read_the_same_for_courses_units_and_commendations(client, tw):
    from assignments.models import Commendation, DispatchingUnit
    from training.models import OrganiserLevel

    units, commendations, organisers = (dict(DispatchingUnit.Level.choices), dict(Commendation.Level.choices),
                                        dict(OrganiserLevel.choices))
    for code in ("province", "city", "county"):
        assert str(units[code]) == str(commendations[code]) == str(organisers[code]) == f"{code.title()}-level"
    assert str(units["township"]) == str(organisers["township"]) == "Township-level"
    html = _as(client, tw.owner).get(reverse("training:course_detail", kwargs={"pk": tw.course.pk})).content.decode()
    assert ">County-level</dd>" in html


def test_the_template_tag_renders_the_cadre_section(tw):
    from django.template import Context, Template

    html = Template("{% load training_tags %}{% cadre_training cadre %}").render(Context({"cadre": tw.cadre}))
    assert 'id="cadre-training"' in html and "苍溪县驻村干部培训班" in html and "Met" in html


def test_county_report_shares_unmet_list_and_days_by_level(client, tw):
    report = _as(client, tw.owner).get(reverse("training:report")).context["report"]
    (line,) = report["requirements"]
    assert (line.applicable, line.met) == (2, 1)
    assert [(u["cadre"], u["months_left"]) for u in line.unmet] == [("李明", 6)]
    county = next(lv for lv in report["levels"] if lv["records"])
    assert (county["days"], county["records"], county["cadres"]) == (3, 1, 1)


def test_township_report_covers_only_the_township(client, tw):
    v = VillageFactory(township=tw.other_township, code="510824101299")
    AssignmentFactory(cadre=CadreFactory(unit=tw.unit, county=tw.county), village=v)
    c = _as(client, tw.owner)
    whole = c.get(reverse("training:report")).context["report"]
    township = c.get(reverse("training:report") + f"?region={tw.township.pk}").context["report"]
    assert (whole["active"], township["active"]) == (3, 2)
    # A township outside the user's regions is a 404.
    assert c.get(reverse("training:report") + f"?region={tw.neighbour_township.pk}").status_code == 404


def test_reviewer_picks_a_county_and_a_city_reviewer_starts_on_the_whole_city(client, tw):
    c = _as(client, tw.city_reviewer)
    city = c.get(reverse("training:report")).context
    assert city["region"] == tw.city and city["report"]["active"] >= 2  # the city's, without picking
    assert c.get(reverse("training:report") + f"?region={tw.county.pk}").context["report"]["active"] == 2
    assert c.get(reverse("training:report") + f"?region={tw.far_county.pk}").status_code == 404
    assert city["show_county"] is True
    # The province starts on the shares by city and picks a city or a county for the names (the
    # whole province's list is too large for a page).
    p = _as(client, tw.province_reviewer)
    assert p.get(reverse("training:report")).context["report"] is None
    assert 'id="choose-area"' not in p.get(reverse("training:report")).content.decode()
    assert p.get(reverse("training:report"), {"region": tw.county.pk}).context["show_county"] is False
    assert p.get(reverse("training:report"), {"region": tw.city.pk}).context["report"]["active"] == \
        city["report"]["active"]


def test_a_liaison_follows_the_training_of_their_units_cadres(client, tw):
    import io

    import openpyxl

    c = _as(client, tw.liaison)
    page = c.get(reverse("training:report")).context
    assert page["area"] == tw.unit.name and page["report"] is not None
    from assignments.selectors import cadres_for_user

    theirs = set(cadres_for_user(tw.liaison).values_list("name", flat=True))
    unmet = {u["cadre"] for line in page["report"]["requirements"] for u in line.unmet}
    assert unmet and unmet <= theirs
    ws = openpyxl.load_workbook(io.BytesIO(c.get(reverse("training:report_export")).content))["Not meeting"]
    # The unit's cadres serve in several counties: each row names its county, as on the page.
    assert [c.value for c in ws[2]][1:5] == ["County", "Township", "Village", "Cadre"]
    assert {r[4] for r in ws.iter_rows(min_row=3, values_only=True)} == unmet


def test_report_renders_in_a_constant_number_of_queries(client, tw, django_assert_max_num_queries):
    c = _as(client, tw.owner)
    c.get(reverse("training:report"))  # warm the session and scope caches

    def add_cadres(n, start):
        for i in range(n):
            v = VillageFactory(township=tw.township, code=f"510824100{start + i}")
            cadre = CadreFactory(unit=tw.unit, county=tw.county)
            AssignmentFactory(cadre=cadre, village=v)
            TrainingRecord.objects.create(cadre=cadre, course=tw.course, days_attended=2 if i % 2 else 3)

    add_cadres(3, 300)
    with django_assert_max_num_queries(14) as small:
        c.get(reverse("training:report"))
    add_cadres(30, 400)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = c.get(reverse("training:report"))
    assert response.context["report"]["active"] == 35


def test_report_export_is_an_xlsx_with_the_unmet_list(client, tw):
    response = _as(client, tw.owner).get(reverse("training:report_export") + f"?region={tw.county.pk}")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    summary, unmet = wb.worksheets
    assert [c.value for c in summary[3]] == [tw.requirement.name, 2, 1, 0.5]
    assert [c.value for c in unmet[3]][1:4] == ["陵江镇", "山水村", "李明"]


# --- bounds in the forms, the import page's wording, the report's unmet sheet -----------


def test_course_form_refuses_absurd_hours_and_dates(client, tw):
    c = _as(client, tw.owner)
    response = c.post(reverse("training:course_create"), {
        "title": "学时过多", "organiser_level": "county", "start_date": "2026-10-12", "end_date": "2026-10-14",
        "days": "3", "hours": "5000"})
    assert response.context["form"].errors["hours"] == ["A course of 3 days has at most 72 hours (24 a day)."]
    response = c.post(reverse("training:course_create"), {
        "title": "日期错误", "organiser_level": "county", "start_date": "1900-10-12", "end_date": "2030-10-14",
        "days": "3"})
    errors = response.context["form"].errors
    assert errors["start_date"] == ["Courses before 2015-01-01 predate the stationed-cadre programme; check the year."]
    assert "end_date" in errors
    assert not TrainingCourse.objects.filter(title__in=["学时过多", "日期错误"]).exists()


def test_bulk_record_refuses_hours_above_the_course(client, tw):
    response = _as(client, tw.owner).post(reverse("training:record_bulk", kwargs={"pk": tw.course.pk}), {
        "cadres": [tw.member.pk], "days_attended": "3", "hours_attended": "9999", "result": "completed"})
    assert response.context["form"].errors["hours_attended"] == [
        "Attended hours (9999) cannot exceed the course's 24 hours."]
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()


def test_a_course_not_started_yet_takes_no_attendance(client, tw):
    course = TrainingCourse.objects.create(
        title="下月培训", organiser_level="county", region=tw.county, managed_by=tw.county,
        start_date=dt.date(2026, 12, 7), end_date=dt.date(2026, 12, 9), days=3, hours=24)
    c = _as(client, tw.owner)
    message = "This course starts on 2026-12-07; record attendance once it has started."
    for name in ("record_bulk", "record_import"):
        page = c.get(reverse(f"training:{name}", kwargs={"pk": course.pk}))
        assert page.context["closed"] == message and 'id="recording-closed"' in page.content.decode()
    response = c.post(reverse("training:record_bulk", kwargs={"pk": course.pk}), {
        "cadres": [tw.member.pk], "days_attended": "3", "hours_attended": "24", "result": "completed"})
    assert response.context["form"].non_field_errors() == [message]
    assert not course.records.exists()


def test_import_of_absurd_hours_shows_the_row_and_the_pages_still_open(client, tw):
    wb = Workbook()
    wb.active.append(["身份证号", "姓名", "参训天数", "学时", "结果", "证书编号"])
    wb.active.append([tw.member.id_number, "李明", -1, 99999, "完成", "X" * 300])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "list.xlsx"
    c = _as(client, tw.owner)
    response = c.post(reverse("training:record_import", kwargs={"pk": tw.course.pk}), {"file": buf})
    errors = [(e.row, e.column, e.message) for e in response.context["result"].errors]
    assert errors == [
        (2, "Days attended", "Enter the days attended (0 or more)."),
        (2, "Hours attended", "Attended hours (99999) cannot exceed the course's 24 hours."),
        (2, "Certificate number", "At most 40 characters."),
    ]
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()
    for url in (reverse("training:course_detail", kwargs={"pk": tw.course.pk}),
                reverse("training:cadre_training", kwargs={"pk": tw.member.pk})):
        assert c.get(url).status_code == 200


def test_import_page_names_the_columns_by_the_headers_the_importer_reads(client, tw, settings):
    url = reverse("training:record_import", kwargs={"pk": tw.course.pk})
    html = _as(client, tw.owner).get(url).content.decode()
    # In English: the English header, with the Chinese one beside it.
    assert ("The first row names the columns: ID number (身份证号) and Days attended (参训天数) are required; "
            "Name (姓名), Hours attended (学时), Result (结果) and Certificate number (证书编号) are optional.") in html
    line = re.search(r'<p class="small text-muted" id="import-columns">(.*?)</p>', html).group(1)
    shown = [re.fullmatch(r"(.+) \((.+)\)", name).groups() for name in line.split(" · ")]
    assert [chinese for _english, chinese in shown] == ["身份证号", "姓名", "参训天数", "学时", "结果", "证书编号"]

    # A sheet headed with the English names the page shows is read: the record is imported.
    wb = Workbook()
    wb.active.append([english for english, _chinese in shown])
    wb.active.append([tw.member.id_number, "李明", 2, 16, "completed", "CERT-1"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "list.xlsx"
    assert client.post(url, {"file": buf}).status_code == 302
    record = TrainingRecord.objects.get(cadre=tw.member, course=tw.course)
    assert (record.days_attended, record.hours_attended, record.certificate_no) == (2, 16, "CERT-1")

    # In Chinese, the Chinese headers alone.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(url).content.decode()
    assert '<p class="small text-muted" id="import-columns">身份证号 · 姓名 · 参训天数 · 学时 · 结果 · 证书编号</p>' in html


@pytest.mark.parametrize("role, full", [("owner", True), ("city_reviewer", False), ("province_reviewer", False)])
def test_report_export_titles_the_sheets_and_lists_id_unit_and_village(client, tw, role, full):
    response = _as(client, getattr(tw, role)).get(reverse("training:report_export") + f"?region={tw.county.pk}")
    summary, unmet = load_workbook(io.BytesIO(response.content)).worksheets
    title = "Training report: 广元市苍溪县, as of 2026-11-20"
    assert summary["A1"].value == title and unmet["A1"].value == title
    assert [c.value for c in unmet[2]] == ["Requirement", "Township", "Village", "Cadre", "ID number",
                                           "Dispatching unit", "Courses that count", "Hours", "Period ends",
                                           "Months left"]
    row = [c.value for c in unmet[3]]
    expected_id = tw.member.id_number if full else tw.member.masked_id_number
    assert row[1:6] == ["陵江镇", "山水村", "李明", expected_id, "苍溪县农业农村局"]
    assert ("*" in row[4]) is not full


def test_a_cadre_reaches_their_own_training_from_the_menu(client, tw):
    c = _as(client, tw.cadre_user)
    menu_link = reverse("training:cadre_training", kwargs={"pk": tw.cadre.pk})
    assert menu_link in c.get(reverse("attendance:checkin")).content.decode()
    assert c.get(menu_link).status_code == 200


def _shares(overview) -> list[tuple]:
    return [(r.region.name, [(line.met, line.applicable) for line in r.lines]) for r in overview["rows"]] + [
        ("total", [(line.met, line.applicable) for line in overview["total"]])]


def test_the_province_starts_on_each_citys_share_and_a_city_on_each_countys(client, tw):
    page = _as(client, tw.province_reviewer).get(reverse("training:report"))
    overview = page.context["overview"]
    # 广元市: 袁杰 met it, 李明 (苍溪县) and 王强 (剑阁县) not; 成都市: 张华 met it in 金堂县.
    assert _shares(overview) == [("成都市", [(1, 1)]), ("广元市", [(1, 3)]), ("total", [(2, 4)])]
    html = page.content.decode()
    assert f'href="?region={tw.city.pk}">广元市</a>' in html and "33.3%" in html
    city = _as(client, tw.city_reviewer).get(reverse("training:report")).context
    assert _shares(city["overview"]) == [("剑阁县", [(0, 1)]), ("苍溪县", [(1, 2)]), ("total", [(1, 3)])]
    assert city["report"]["requirements"][0].met == 1  # and the city's names below, as before
    # A county's report has no overview; a city reviewer's never reaches another city.
    assert _as(client, tw.owner).get(reverse("training:report")).context["overview"] is None
    other = _as(client, tw.other_city_reviewer).get(reverse("training:report")).context["overview"]
    assert _shares(other) == [("金堂县", [(1, 1)]), ("total", [(1, 1)])]


def test_the_province_overview_exports_as_one_sheet_by_city(client, tw):
    response = _as(client, tw.province_reviewer).get(reverse("training:report_export"))
    (ws,) = load_workbook(io.BytesIO(response.content)).worksheets
    assert ws.title == "By city" and ws["A1"].value.startswith("Training report: 四川省, as of ")
    name = tw.requirement.name
    assert [c.value for c in ws[2]] == ["City / prefecture", f"{name}: Active cadres it applies to",
                                        f"{name}: Meeting it", f"{name}: Share"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=3)] == [
        ["成都市", 1, 1, 1], ["广元市", 3, 1, 0.3333], ["Total", 4, 2, 0.5]]
    # A city's file: its summary, by county, and the names with each one's county.
    wb = load_workbook(io.BytesIO(_as(client, tw.city_reviewer).get(reverse("training:report_export")).content))
    assert wb.sheetnames == ["Summary", "By county", "Not meeting"]
    unmet = wb["Not meeting"]
    assert [c.value for c in unmet[2]][:4] == ["Requirement", "County", "Township", "Village"]
    assert {(r[1], r[4]) for r in unmet.iter_rows(min_row=3, values_only=True)} == {("苍溪县", "李明"), ("剑阁县", "王强")}


def test_the_overview_takes_the_same_queries_for_more_cadres(client, tw, django_assert_max_num_queries):
    c = _as(client, tw.province_reviewer)
    c.get(reverse("training:report"))  # warm the session and scope caches
    with django_assert_max_num_queries(20) as few:
        c.get(reverse("training:report"))
    for i in range(20):
        v = VillageFactory(township=tw.far_township, code=f"510121100{300 + i}")
        cadre = CadreFactory(unit=tw.unit, county=tw.far_county)
        AssignmentFactory(cadre=cadre, village=v)
        TrainingRecord.objects.create(cadre=cadre, course=tw.far_course, days_attended=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        overview = c.get(reverse("training:report")).context["overview"]
    assert _shares(overview)[0] == ("成都市", [(21, 21)])


def test_a_reviewer_records_their_course_by_name_not_by_importing_id_numbers(client, tw):
    from training import services

    course = services.course_create(user=tw.city_reviewer, title="广元市培训班", organiser_level="city",
                                    start_date=dt.date(2026, 10, 12), end_date=dt.date(2026, 10, 14),
                                    days=Decimal(3))
    c = _as(client, tw.city_reviewer)
    page = c.get(reverse("training:course_detail", kwargs={"pk": course.pk})).content.decode()
    assert reverse("training:record_bulk", kwargs={"pk": course.pk}) in page
    assert reverse("training:record_import", kwargs={"pk": course.pk}) not in page
    response = c.get(reverse("training:record_import", kwargs={"pk": course.pk}))
    assert response.status_code == 403 and "Importing by ID number is for county staff" in response.content.decode()
    assert c.post(reverse("training:record_import", kwargs={"pk": course.pk})).status_code == 403


def test_the_attendance_form_links_to_the_import_only_for_those_who_may_import(client, tw):
    from training.models import OrganiserLevel

    city_course = TrainingCourse.objects.create(
        title="广元市驻村第一书记培训班", organiser_level=OrganiserLevel.CITY, region=tw.city, managed_by=tw.city,
        start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 9, 3), days=Decimal(3))
    form_url = reverse("training:record_bulk", kwargs={"pk": city_course.pk})
    import_url = reverse("training:record_import", kwargs={"pk": city_course.pk})
    # The city reviewer records the city's course with the form (by name), not by ID number.
    html = _as(client, tw.city_reviewer).get(form_url).content.decode()
    assert f'href="{import_url}"' not in html and client.get(import_url).status_code == 403
    html = _as(client, tw.owner).get(form_url).content.decode()
    assert f'href="{import_url}"' in html and client.get(import_url).status_code == 200
