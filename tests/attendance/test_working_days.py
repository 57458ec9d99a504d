"""The working-day calendar page: official data or the Monday–Friday fallback, and the
province's edits, which the scans follow and a refill keeps."""
import datetime as dt
import re

import chinese_calendar
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assignments.models import Finding
from attendance import services, tasks
from attendance.models import DailyPresenceSummary, WorkingDay
from attendance.summaries import presence_summaries_refresh

pytestmark = pytest.mark.urls("tests.attendance.urls")

PAGE = "attendance:working_days"
SET = "attendance:working_day_set"
WED, SAT = dt.date(2026, 11, 18), dt.date(2026, 11, 21)
MISSING = Finding.Kind.MISSING_CHECKIN
SCOPED = ["owner", "stranger", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"]
NOT_PROVINCE = [r for r in SCOPED if r != "province_reviewer"]


def _as(client, user):
    client.force_login(user)
    return client


def _cell(html: str, day: dt.date) -> dict:
    """The data attributes of one day's cell in the year grid."""
    match = re.search(rf'data-date="{day.isoformat()}" data-working="(\d)" data-change="(\w*)" data-manual="(\d)"',
                      html)
    assert match, f"no cell for {day}"
    working, change, manual = match.groups()
    return {"working": working == "1", "change": change, "manual": manual == "1"}


def _set(client, day, working: bool, reason="国务院办公厅通知"):
    return client.post(reverse(SET), {"day": day, "is_working_day": "1" if working else "0", "reason": reason})


# --- the page ------------------------------------------------------------------------------------


def test_the_2026_page_shows_national_day_as_rest_and_an_adjusted_working_weekend(client, world):
    html = _as(client, world.township_staff).get(reverse(PAGE), {"year": "2026"}).content.decode()
    assert 'data-source="official"' in html and "No official holiday calendar" not in html
    assert _cell(html, dt.date(2026, 10, 1)) == {"working": False, "change": "holiday", "manual": False}
    assert _cell(html, dt.date(2026, 10, 3)) == {"working": False, "change": "", "manual": False}  # a plain Saturday
    assert _cell(html, dt.date(2026, 10, 9)) == {"working": True, "change": "", "manual": False}
    # 调休: a weekend the package marks as a working day (2026 has several, e.g. 2026-02-14).
    adjusted = sorted(d for d in chinese_calendar.constants.workdays if d.year == 2026 and d.weekday() >= 5)
    assert adjusted, "chinesecalendar lists no adjusted working weekend for 2026"
    for day in adjusted:
        assert _cell(html, day) == {"working": True, "change": "adjusted", "manual": False}
    # The page shows the table the scan reads, and fills the whole year for it.
    assert WorkingDay.objects.filter(date__year=2026).count() == 365
    assert not WorkingDay.objects.get(date=dt.date(2026, 10, 1)).is_working_day


def test_a_year_without_official_data_falls_back_to_monday_to_friday_and_says_so(client, world, monkeypatch):
    # Next year is the last the page offers (assignments.dates): in 2098, 2099 is next year.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2098, 11, 18))
    html = _as(client, world.cadre_user).get(reverse(PAGE), {"year": "2099"}).content.decode()
    assert 'data-source="weekday"' in html
    assert "No official holiday calendar for 2099: Monday to Friday are counted as working days." in html
    assert _cell(html, dt.date(2099, 10, 1)) == {"working": True, "change": "", "manual": False}  # a Thursday
    assert _cell(html, dt.date(2099, 10, 3)) == {"working": False, "change": "", "manual": False}
    assert set(WorkingDay.objects.filter(date__year=2099).values_list("source", flat=True)) == {"weekday"}


@pytest.mark.parametrize("role", SCOPED)
def test_every_scoped_role_reads_the_calendar_but_only_the_province_gets_the_form(client, world, role):
    html = _as(client, getattr(world, role)).get(reverse(PAGE), {"year": "2026"}).content.decode()
    assert 'data-date="2026-12-31"' in html
    assert (reverse(SET) in html) == (role == "province_reviewer")


def test_a_nonsense_year_shows_this_year(client, world):
    year = timezone.localdate().year
    for value in ("abc", "1999", "20260"):
        html = _as(client, world.owner).get(reverse(PAGE), {"year": value}).content.decode()
        assert f'data-date="{year}-01-01"' in html


def test_the_findings_page_and_the_staff_menu_link_to_the_calendar(client, world):
    html = _as(client, world.owner).get(reverse("attendance:finding_list")).content.decode()
    assert html.count(f'href="{reverse(PAGE)}') >= 2  # sub-navigation and next to the calendar notice
    cadre_html = _as(client, world.cadre_user).get(reverse("attendance:finding_list")).content.decode()
    assert cadre_html.count(f'href="{reverse(PAGE)}') == 1  # not in the cadre's sub-navigation


def test_the_findings_fallback_notice_links_to_the_fallback_year(client, world, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2099, 3, 2))
    services.working_days_ensure(start=dt.date(2099, 1, 1), end=dt.date(2099, 1, 31))
    html = _as(client, world.owner).get(reverse("attendance:finding_list")).content.decode()
    assert "No official holiday calendar for 2099" in html
    assert f'href="{reverse(PAGE)}?year=2099"' in html


# --- the province's edits ------------------------------------------------------------------------


def test_province_turns_a_working_day_into_rest_and_the_scan_expects_no_check_in(client, world):
    services.attendance_scan(day=WED)
    assert Finding.objects.filter(kind=MISSING, period=WED.isoformat(), status="open").count() == 4
    response = _set(_as(client, world.province_reviewer), "2026-11-18", working=False, reason="抗洪抢险，全省放假一天")
    assert response.status_code == 302 and response["Location"] == f"{reverse(PAGE)}?year=2026"
    wd = WorkingDay.objects.get(date=WED)
    assert (wd.is_working_day, wd.source, wd.edited_by, wd.edit_reason) == (
        False, "manual", world.province_reviewer, "抗洪抢险，全省放假一天")
    assert wd.edited_at is not None
    # The day's open findings close at once, saying why; the next scan raises none.
    assert not Finding.objects.filter(period=WED.isoformat(), status="open").exists()
    assert Finding.objects.filter(resolution_note__contains="day off").count() == 4
    result = tasks.flag_missing_checkins.apply(args=[WED.isoformat()]).get()
    assert result["working_day"] is False and result["missing"] == 0
    assert not Finding.objects.filter(kind=MISSING, period=WED.isoformat(), status="open").exists()


def test_province_turns_a_saturday_into_a_working_day_and_the_scan_expects_check_ins(client, world):
    assert services.attendance_scan(day=SAT).missing == 0
    _set(_as(client, world.province_reviewer), SAT.isoformat(), working=True, reason="调休上班")
    result = services.attendance_scan(day=SAT)
    assert result.working_day and result.missing == 4
    assert Finding.objects.filter(kind=MISSING, period=SAT.isoformat(), status="open").count() == 4


def test_the_page_marks_the_edit_and_says_who_and_why(client, world):
    c = _as(client, world.province_reviewer)
    page = c.post(reverse(SET), {"day": "2026-11-18", "is_working_day": "0", "reason": "抗洪抢险"}, follow=True)
    html = page.content.decode()
    assert "2026-11-18 is now a rest day." in html
    assert _cell(html, WED) == {"working": False, "change": "holiday", "manual": True}
    edits = html[html.index('id="edits"'):]
    assert "2026-11-18" in edits and "抗洪抢险" in edits and world.province_reviewer.username in edits


def test_a_refill_from_the_official_calendar_keeps_the_edit(world):
    # 2026-10-01 is National Day in the package; the province opens it (say, for flood duty).
    services.working_day_set(user=world.province_reviewer, day=dt.date(2026, 10, 1), is_working_day=True,
                             reason="防汛值班")
    services.working_days_ensure(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    wd = WorkingDay.objects.get(date=dt.date(2026, 10, 1))
    assert (wd.is_working_day, wd.source, wd.edit_reason) == (True, "manual", "防汛值班")
    assert not WorkingDay.objects.get(date=dt.date(2026, 10, 2)).is_working_day  # the rest came from the package
    assert WorkingDay.objects.filter(date__year=2026).count() == 365


def test_an_edit_of_a_summarised_day_rebuilds_its_dashboard_summary(world):
    presence_summaries_refresh(days=[WED])
    assert DailyPresenceSummary.objects.filter(day=WED, working_day=True, expected__gt=0).exists()
    services.working_day_set(user=world.province_reviewer, day=WED, is_working_day=False, reason="抗洪抢险")
    assert DailyPresenceSummary.objects.filter(day=WED).exists()
    assert not DailyPresenceSummary.objects.filter(day=WED, working_day=True).exists()
    assert not DailyPresenceSummary.objects.filter(day=WED, expected__gt=0).exists()


def test_an_edit_can_be_edited_again(world):
    services.working_day_set(user=world.province_reviewer, day=WED, is_working_day=False, reason="first")
    services.working_day_set(user=world.province_reviewer, day=WED, is_working_day=True, reason="  second  ")
    wd = WorkingDay.objects.get(date=WED)
    assert (wd.is_working_day, wd.source, wd.edit_reason) == (True, "manual", "second")


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_change_without_a_reason_is_refused_and_nothing_is_saved(client, world, reason):
    services.working_days_ensure(start=WED, end=WED)
    response = _set(_as(client, world.province_reviewer), WED.isoformat(), working=False, reason=reason)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was changed" in html and "Say why this day changes" in html
    wd = WorkingDay.objects.get(date=WED)
    assert (wd.is_working_day, wd.source, wd.edited_by) == (True, "official", None)


@pytest.mark.parametrize("data,message", [
    # The programme's years, to the end of next year (today is WED, in 2026).
    ({"day": "2014-12-31", "is_working_day": "0"}, "Choose a date between 2015 and 2027."),
    ({"day": "2028-01-01", "is_working_day": "0"}, "Choose a date between 2015 and 2027."),
    ({"day": "2026-13-01", "is_working_day": "0"}, "Give the date as YYYY-MM-DD."),
    ({"day": "", "is_working_day": "0"}, "Choose the date to change."),
    ({"day": "2026-11-18", "is_working_day": ""}, "Choose working day or rest day."),
])
def test_bad_dates_and_choices_are_refused_with_a_clear_message(client, world, data, message, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: WED)
    response = _as(client, world.province_reviewer).post(reverse(SET), {**data, "reason": "原因"})
    assert response.status_code == 200 and message in response.content.decode()
    assert not WorkingDay.objects.filter(source="manual").exists()


@pytest.mark.parametrize("role", NOT_PROVINCE)
def test_only_the_province_changes_the_calendar(client, world, role):
    services.working_days_ensure(start=WED, end=WED)
    response = _set(_as(client, getattr(world, role)), WED.isoformat(), working=False)
    assert response.status_code == 403
    assert WorkingDay.objects.get(date=WED).is_working_day
    assert not WorkingDay.objects.filter(source="manual").exists()


def test_the_service_refuses_other_roles_and_bad_input_itself(world):
    with pytest.raises(PermissionDenied):
        services.working_day_set(user=world.owner, day=WED, is_working_day=False, reason="x")
    with pytest.raises(ValidationError) as exc:
        services.working_day_set(user=world.province_reviewer, day=dt.date(1999, 1, 1), is_working_day=False,
                                 reason="")
    assert set(exc.value.message_dict) == {"day", "reason"}
    assert not WorkingDay.objects.exists()


def test_the_set_address_takes_posts_only(client, world):
    assert _as(client, world.province_reviewer).get(reverse(SET)).status_code == 405


def test_fallback_days_become_official_once_the_package_knows_their_year(world):
    # As if the table had been filled before chinesecalendar knew 2026: National Day as a
    # plain Thursday, with a missing check-in flagged on it; a hand-edited day beside it.
    national_day, thursday_after = dt.date(2026, 10, 1), dt.date(2026, 10, 15)
    WorkingDay.objects.create(date=national_day, is_working_day=True, source=WorkingDay.Source.WEEKDAY)
    WorkingDay.objects.create(date=thursday_after, is_working_day=False, source=WorkingDay.Source.MANUAL,
                              edit_reason="县里统一安排")
    finding = Finding.objects.create(
        kind=Finding.Kind.MISSING_CHECKIN, cadre=world.cadre, assignment=world.assignment, village=world.village,
        county=world.county, period=national_day.isoformat(), first_seen=timezone.now(), last_seen=timezone.now())
    services.working_days_ensure(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    upgraded = WorkingDay.objects.get(date=national_day)
    assert (upgraded.source, upgraded.is_working_day) == (WorkingDay.Source.OFFICIAL, False)
    assert WorkingDay.objects.get(date=thursday_after).source == WorkingDay.Source.MANUAL  # edits are kept
    finding.refresh_from_db()
    assert finding.status == Finding.Status.RESOLVED and "day off" in finding.resolution_note
    assert WorkingDay.objects.filter(date__range=(national_day, dt.date(2026, 10, 31))).count() == 31


def test_a_year_the_package_still_does_not_know_stays_on_the_fallback_without_writes(world, django_assert_num_queries):
    services.working_days_ensure(start=dt.date(2099, 1, 1), end=dt.date(2099, 1, 31))
    with django_assert_num_queries(1):  # the one count; nothing to fill or upgrade
        services.working_days_ensure(start=dt.date(2099, 1, 1), end=dt.date(2099, 1, 31))
    assert set(WorkingDay.objects.filter(date__year=2099).values_list("source", flat=True)) == {"weekday"}
