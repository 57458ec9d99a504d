"""Dashboard figures on the world fixture (hand-computed), scope, query count, summaries, exports."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from assignments.dashboard.selectors import dashboard_for_region
from assignments.models import Assignment, Commendation, Finding
from attendance.models import DailyPresenceSummary, PresenceRecord, WorkingDay
from attendance.services import working_days_ensure
from attendance.summaries import presence_summaries_refresh
from tests.factories import AssignmentFactory, CadreFactory, VillageFactory

URL = "/dashboard/"


def _last_working_day(today: dt.date) -> dt.date:
    working_days_ensure(start=today - dt.timedelta(days=40), end=today)
    return WorkingDay.objects.filter(date__lt=today, is_working_day=True).order_by("-date").first().date


def _row(board, region):
    return next(r for r in board.rows if r.id == region.id)


def test_province_figures_by_city_match_the_world(world):
    board = dashboard_for_region(region=world.province, today=timezone.localdate())
    guangyuan, chengdu = _row(board, world.city), _row(board, world.other_city)
    # 广元市: 山水村 (first secretary + member), 白桥村 and 红星村 (empty), 柳沟村 (first secretary alone).
    assert (guangyuan.villages, guangyuan.villages_with_team, guangyuan.active_cadres) == (4, 2, 3)
    assert guangyuan.no_first_secretary == 2  # 白桥村, 红星村
    assert guangyuan.understaffed == 3  # teams under 2: 白桥村, 红星村, 柳沟村
    # 成都市: 三星村 with one team member and no first secretary.
    assert (chengdu.villages, chengdu.active_cadres, chengdu.no_first_secretary, chengdu.understaffed) == (1, 1, 1, 1)
    assert board.total.active_cadres == 4 and board.child_level == "city"


def test_presence_rate_comes_from_the_summaries(world):
    today = timezone.localdate()
    day = _last_working_day(today)
    now = timezone.now()
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=day, kind="in_village",
                                  source="self", recorded_at=now)
    # A rejected check-in counts as missing, not present.
    PresenceRecord.objects.create(cadre=world.member, assignment=world.member_assignment, date=day,
                                  kind="in_village", source="self", recorded_at=now, review_status="rejected")
    presence_summaries_refresh(days=[day])
    board = dashboard_for_region(region=world.county, today=today)
    township = _row(board, world.township)
    assert (township.expected_yesterday, township.present_yesterday, township.rate_yesterday) == (2, 1, 50.0)
    assert board.as_of is not None
    assert board.trend[-1]["day"] == day.isoformat() and board.trend[-1]["rate"] == 50.0
    # The township's own dashboard (by village) computes the same from the raw rows.
    village_board = dashboard_for_region(region=world.township, today=today)
    assert _row(village_board, world.village).rate_yesterday == 50.0


def test_the_cadre_table_counts_records_entered_after_the_nightly_summary_as_its_note_says(world, client):
    today = timezone.localdate()
    day = _last_working_day(today)
    presence_summaries_refresh(days=[day])  # last night: nobody had checked in
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=day, kind="trip",
                                  source="keeper", recorded_at=timezone.now())  # entered this morning
    client.force_login(world.owner)
    response = client.get(URL)
    board = response.context["board"]
    assert _row(board, world.township).present_yesterday == 0  # the rates: still the summary's
    assert next(c for c in board.cadres if c["cadre_id"] == world.cadre.id)["present"] == 1
    html = response.content.decode()
    assert "read from the attendance records when this page opened" in html
    assert "(from the records, up to now)" not in html


def test_exemplars_name_the_commendation_level_as_a_level(world, client):
    Commendation.objects.create(cadre=world.cadre, level=Commendation.Level.COUNTY, title="优秀第一书记",
                                date=dt.date(2026, 10, 29))
    client.force_login(world.owner)
    html = client.get(URL).content.decode()
    assert "2026-10-29 · County-level</span> 优秀第一书记" in html


def test_trend_leaves_a_gap_for_days_without_any_presence_data(world, client):
    today = timezone.localdate()
    day = _last_working_day(today)
    earlier = WorkingDay.objects.filter(date__lt=day, is_working_day=True).order_by("-date").first().date
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=day, kind="in_village",
                                  source="self", recorded_at=timezone.now())
    # `earlier`: cadres in post, but not one record in the county (before the system was used).
    presence_summaries_refresh(days=[earlier, day])
    board = dashboard_for_region(region=world.county, today=today)
    trend = {t["day"]: t for t in board.trend}
    assert trend[earlier.isoformat()]["expected"] == 2 and trend[earlier.isoformat()]["rate"] is None
    assert trend[day.isoformat()]["rate"] == 50.0
    # The table's 30-day rate leaves the day without data out too: 1 of 2, not 1 of 4.
    township = _row(board, world.township)
    assert (township.expected_30, township.present_30, township.rate_30) == (2, 1, 50.0)
    # A record anywhere in the scope makes it a day with data: there 0 % is a real 0 %.
    PresenceRecord.objects.create(cadre=world.member, assignment=world.member_assignment, date=earlier,
                                  kind="absent", source="keeper", recorded_at=timezone.now())
    presence_summaries_refresh(days=[earlier])
    trend = {t["day"]: t for t in dashboard_for_region(region=world.county, today=today).trend}
    assert trend[earlier.isoformat()]["rate"] == 0.0

    PresenceRecord.objects.filter(date=earlier).delete()
    presence_summaries_refresh(days=[earlier])
    client.force_login(world.owner)
    page = client.get(URL)
    chart = {t["day"]: t["rate"] for t in page.context["chart_data"]["trend"]}
    assert chart[earlier.isoformat()] is None
    assert f'"day": "{earlier.isoformat()}", "expected": 2, "present": 0, "rate": null' in page.content.decode()
    ws = load_workbook(io.BytesIO(client.get(reverse("dashboard:export"), {"table": "trend"}).content)).active
    rows = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows[earlier.isoformat()][1:] == (2, 0, None)  # empty rate cell, not 0
    assert rows[day.isoformat()][1:] == (2, 1, 50)


def test_export_title_and_file_name_are_chinese_by_default(world, client, settings):
    import re
    from urllib.parse import unquote

    settings.LANGUAGE_CODE = "zh-hans"  # the project default; this package's conftest sets English
    client.force_login(world.owner)
    for summaries in (False, True):
        if summaries:
            presence_summaries_refresh(days=[_last_working_day(timezone.localdate())])
        with translation.override("zh-hans"):
            response = client.get(reverse("dashboard:export"))
        wb = load_workbook(io.BytesIO(response.content))
        titles = {wb[name]["A1"].value for name in wb.sheetnames}
        assert len(titles) == 1
        title = titles.pop()
        assert title.startswith("广元市苍溪县 · ") and "其他数据截至" in title
        assert ("考勤数据截至" in title) is summaries
        assert not re.search(r"[A-Za-z]", title), title
        filename = unquote(response["Content-Disposition"].split("''", 1)[1])
        assert filename.startswith("数据看板-苍溪县-") and filename.endswith(".xlsx")


def _cards(html: str) -> dict[str, str]:
    """The text of each figure card of the page, by its data-testid (one line per card)."""
    import re

    return {m.group(1): re.sub(r"<[^>]+>", " ", m.group(2))
            for m in re.finditer(r'<div class="col" data-testid="card-([a-z]+)">(.*)', html)}


def test_each_card_caption_speaks_of_its_own_figure(world, client):
    from attendance.models import LeaveRequest

    today = timezone.localdate()
    last_month = f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    now = timezone.now()
    Finding.objects.create(kind=Finding.Kind.PRESENCE_SHORTFALL, cadre=world.member,
                           assignment=world.member_assignment, village=world.village, county=world.county,
                           period=last_month, first_seen=now, last_seen=now)
    LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="personal", start=today, end=today,
                                reason="家中有事", status=LeaveRequest.Status.APPROVED)
    client.force_login(world.owner)
    cards = _cards(client.get(URL).content.decode())
    assert set(cards) == {"teams", "cadres", "vacancies", "presence", "leave", "shortfalls", "training",
                          "inspections"}
    assert cards["leave"].split() == ["On", "leave", "today", "1", "/", "2"]
    assert cards["shortfalls"].split() == ["Presence", "shortfalls", "last", "month", "1", last_month]
    assert "inspection" not in cards["training"].lower() and "Training requirement met" in cards["training"]
    assert cards["inspections"].split() == ["Inspections", "this", "quarter", "0"]


def test_summaries_refresh_is_idempotent(world):
    day = _last_working_day(timezone.localdate())
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=day, kind="trip",
                                  source="keeper", recorded_at=timezone.now())
    first = presence_summaries_refresh(days=[day])
    snapshot = sorted(DailyPresenceSummary.objects.filter(day=day).values_list(
        "township_id", "expected", "in_village", "trip", "leave", "absent", "missing"))
    second = presence_summaries_refresh(days=[day])
    again = sorted(DailyPresenceSummary.objects.filter(day=day).values_list(
        "township_id", "expected", "in_village", "trip", "leave", "absent", "missing"))
    assert first == second == 3  # 陵江镇, 普安镇, 赵镇: one row per township with someone in post
    assert snapshot == again
    assert (world.township.id, 2, 0, 1, 0, 0, 1) in snapshot


def test_findings_changes_and_leave_are_counted_by_city(world):
    today = timezone.localdate()
    now = timezone.now()
    Finding.objects.create(kind=Finding.Kind.MISSING_CHECKIN, cadre=world.cadre, assignment=world.assignment,
                           village=world.village, county=world.county, period="2026-01-05", first_seen=now,
                           last_seen=now)
    Finding.objects.create(kind=Finding.Kind.MISSING_CHECKIN, cadre=world.far_cadre, assignment=world.far_assignment,
                           village=world.far_village, county=world.far_county, period="2026-01-05",
                           first_seen=now, last_seen=now, status="resolved", resolved_at=now)
    ended = AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county), village=world.village2,
                              start_date=dt.date(today.year - 1, 1, 1))
    Assignment.objects.filter(pk=ended.pk).update(end_date=today, end_reason=Assignment.EndReason.RECALL)
    board = dashboard_for_region(region=world.province, today=today)
    guangyuan, chengdu = _row(board, world.city), _row(board, world.other_city)
    assert guangyuan.open_findings == 1 and chengdu.open_findings == 0
    assert guangyuan.findings_by_kind == {"missing_checkin": 1}
    assert guangyuan.changes_by_reason == {"recall": 1}
    assert board.top_units == [{"id": world.unit.id, "name": world.unit.name, "open_findings": 1}]


def test_open_findings_by_kind_open_the_findings_list_on_the_same_area(world, client):
    now = timezone.now()
    Finding.objects.create(kind=Finding.Kind.MISSING_CHECKIN, cadre=world.cadre, assignment=world.assignment,
                           village=world.village, county=world.county, period="2026-01-05", first_seen=now,
                           last_seen=now)
    client.force_login(world.city_reviewer)
    html = client.get(URL, {"region": world.county.id}).content.decode()
    link = f"/attendance/findings/?kind=missing_checkin&amp;county={world.county.id}"
    assert link in html
    listed = client.get(link.replace("&amp;", "&")).context["page"]
    assert [f.cadre for f in listed] == [world.cadre]


def test_city_reviewer_sees_only_their_city(world, client):
    client.force_login(world.city_reviewer)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "苍溪县" in html and "剑阁县" in html and "金堂县" not in html
    # Drill-down, export and map of another city's region: 404, as if it did not exist.
    for name in ("dashboard:index", "dashboard:export", "dashboard:map"):
        for region in (world.other_city, world.far_county, world.far_township, world.province):
            assert client.get(reverse(name), {"region": region.id}).status_code == 404, (name, region)
    assert client.get(URL, {"region": world.county.id}).status_code == 200
    assert client.get(URL, {"region": "abc"}).status_code == 404


def test_province_drills_to_city_county_and_township(world, client):
    client.force_login(world.province_reviewer)
    assert f"?region={world.city.id}" in client.get(URL).content.decode()
    city = client.get(URL, {"region": world.city.id}).content.decode()
    assert f"?region={world.county.id}" in city
    county = client.get(URL, {"region": world.county.id}).content.decode()
    assert reverse("cadre_detail", args=[world.cadre.id]) in county
    township = client.get(URL, {"region": world.township.id}).content.decode()
    assert reverse("village_detail", args=[world.village.id]) in township


def test_roles_without_a_region_have_no_dashboard(world, client):
    for user in (world.liaison, world.cadre_user):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.get(reverse("dashboard:export")).status_code == 403


def test_export_has_the_region_table_and_respects_scope(world, client):
    client.force_login(world.city_reviewer)
    response = client.get(reverse("dashboard:export"), {"table": "regions"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["By region"]
    names = [row[0] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert names == ["剑阁县", "苍溪县", "Total"]
    header = [c.value for c in ws[2]]
    cadres_col = header.index("Cadres in post")
    assert [row[cadres_col] for row in ws.iter_rows(min_row=3, values_only=True)] == [1, 2, 3]
    everything = load_workbook(io.BytesIO(client.get(reverse("dashboard:export")).content))
    assert {"By region", "Open findings", "Presence trend", "Units"} <= set(everything.sheetnames)
    assert client.get(reverse("dashboard:export"), {"table": "nope"}).status_code == 404


def test_export_columns_are_as_wide_as_their_english_headers(world, client):
    from assignments.roster import display_width

    client.force_login(world.city_reviewer)
    wb = load_workbook(io.BytesIO(client.get(reverse("dashboard:export")).content))
    widths = {}
    for ws in wb.worksheets:
        for cell in ws[2]:
            widths[(ws.title, cell.value)] = ws.column_dimensions[cell.column_letter].width
    assert widths[("By region", "Inspections finding an unexcused absence (%)")] >= 45
    assert all(width >= display_width(header) for (_title, header), width in widths.items()), widths


def test_per_village_the_table_says_yes_or_no_instead_of_counting_one_village(world, client):
    client.force_login(world.owner)
    html = client.get(URL, {"region": world.township.id}).content.decode()
    table = html[html.index('data-testid="region-table"'):html.index("</table>", html.index('data-testid="region-table"'))]
    assert ">Villages</th>" not in table
    assert "Total (2 villages)" in table
    # 山水村 has a full team with its first secretary; 白桥村 has nobody.
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', table)
    assert cells[:4] == ["Yes", "2", "No", "No"] and cells[13:17] == ["No", "0", "Yes", "Yes"]
    ws = load_workbook(io.BytesIO(client.get(reverse("dashboard:export"),
                                             {"region": world.township.id, "table": "regions"}).content))["By region"]
    header = [c.value for c in ws[2]]
    assert header[:3] == ["Village", "Villages with a team", "Cadres in post"]
    rows = {row[0]: row for row in ws.iter_rows(min_row=3, values_only=True)}
    assert rows["山水村"][1:5] == ("Yes", 2, "No", "No")
    assert rows["白桥村"][1:5] == ("No", 0, "Yes", "Yes")
    assert rows["Total (2 villages)"][1:3] == (1, 2)


def test_per_village_yes_and_no_stay_chinese_in_chinese(world, client, settings):
    client.force_login(world.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(URL, {"region": world.township.id}).content.decode()
    table = html[html.index('data-testid="region-table"'):html.index("</table>", html.index('data-testid="region-table"'))]
    assert re.findall(r'<td class="text-end">([^<]*)</td>', table)[:4] == ["是", "2", "否", "否"]


def test_page_says_as_of_when(world, client):
    client.force_login(world.owner)
    html = client.get(URL).content.decode()
    assert "Presence summaries have not been computed yet." in html
    day = _last_working_day(timezone.localdate())
    presence_summaries_refresh(days=[day])
    assert "Presence figures as of" in client.get(URL).content.decode()


def _grow(world, n: int) -> None:
    for _i in range(n):
        for township in (world.township, world.neighbour_township, world.far_township):
            v = VillageFactory(township=township)
            AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=township.parent), village=v,
                              role=Assignment.Role.FIRST_SECRETARY)


@pytest.mark.parametrize("user_attr", ["province_reviewer", "city_reviewer", "owner", "township_staff"])
def test_query_count_does_not_grow_with_the_data(world, client, django_assert_max_num_queries, user_attr):
    client.force_login(getattr(world, user_attr))
    day = _last_working_day(timezone.localdate())
    presence_summaries_refresh(days=[day])
    client.get(URL)  # warm: session and the calendar
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    _grow(world, 5)
    presence_summaries_refresh(days=[day])
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as large:
        assert client.get(URL).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_map_knows_which_figures_are_rates(world, client):
    # The page's script widens the colour scale of a rate to at least 10 points (dashboard.js).
    client.force_login(world.city_reviewer)
    assert client.get(URL).context["chart_data"]["map"]["percent"] is True
    assert client.get(URL, {"figure": "open_findings"}).context["chart_data"]["map"]["percent"] is False


def test_before_the_nightly_summary_the_last_summarised_day_stands_in_for_yesterday(world):
    today = timezone.localdate()
    day = _last_working_day(today)
    before = WorkingDay.objects.filter(date__lt=day, is_working_day=True).order_by("-date").first().date
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=before, kind="in_village",
                                  source="self", recorded_at=timezone.now())
    presence_summaries_refresh(days=[before])  # the last working day itself is not summarised yet
    board = dashboard_for_region(region=world.county, today=today)
    assert board.yesterday == before and _row(board, world.township).rate_yesterday == 50.0
