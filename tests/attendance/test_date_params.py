"""Months and days in an address: outside the programme's years a page shows this month or
today and says so; no GET writes calendar rows for them, nothing overflows."""
import datetime as dt

import pytest
from django.urls import reverse

from attendance.models import PresenceRecord, WorkingDay

pytestmark = pytest.mark.urls("tests.attendance.urls")

TODAY = dt.date(2026, 11, 18)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _as(client, user):
    client.force_login(user)
    return client


def _far_rows():
    """Calendar rows outside 2015 .. 2027 (the bounds for TODAY)."""
    return WorkingDay.objects.exclude(date__range=(dt.date(2015, 1, 1), dt.date(2027, 12, 31))).count()


@pytest.mark.parametrize("value", ["9999-12", "0001-01", "2014-12", "2028-01", "2026-13", "abc"])
def test_the_calendar_shows_this_month_for_a_month_outside_the_programme_and_writes_nothing(client, world, today,
                                                                                            value):
    response = _as(client, world.owner).get(reverse("attendance:calendar", args=[world.cadre.pk]), {"month": value})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"“{value}” is not a month from 2015-01 to 2027-12 (YYYY-MM)." in html
    assert 'data-date="2026-11-18"' in html  # this month instead
    assert _far_rows() == 0


def test_the_calendar_offers_no_step_past_the_bounds(client, world, today):
    c = _as(client, world.owner)
    url = reverse("attendance:calendar", args=[world.cadre.pk])
    first = c.get(url, {"month": "2015-01"}).content.decode()
    assert 'href="?month=2014-12"' not in first and 'href="?month=2015-02"' in first
    assert "is not a month" not in first
    last = c.get(url, {"month": "2027-12"}).content.decode()
    assert 'href="?month=2028-01"' not in last and 'href="?month=2027-11"' in last
    # Without a month: this month, no message.
    assert "is not a month" not in c.get(url).content.decode()


@pytest.mark.parametrize("value", ["9999-12", "0001-01"])
def test_the_work_logs_show_this_month_for_a_month_outside_the_programme(client, world, today, value):
    response = _as(client, world.owner).get(reverse("attendance:worklog_list"), {"month": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"“{value}” is not a month from 2015-01 to 2027-12" in html
    assert 'name="month" value="2026-11"' in html


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2014-12-31", "2026-02-30"])
def test_the_day_grid_shows_today_for_a_day_outside_the_programme_and_writes_nothing(client, world, today, value):
    response = _as(client, world.township_staff).get(reverse("attendance:keeper_grid"), {"day": value})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"“{value}” is not a day from 2015-01-01 to 2027-12-31 (YYYY-MM-DD)." in html
    assert 'name="day" value="2026-11-18"' in html
    assert _far_rows() == 0


def test_the_day_grid_offers_no_step_before_the_programmes_start(client, world, today):
    html = _as(client, world.township_staff).get(reverse("attendance:keeper_grid"), {"day": "2015-01-01"}).content
    assert b'href="?day=2014-12-31"' not in html and b'min="2015-01-01"' in html


def test_a_day_grid_post_for_a_day_outside_the_programme_saves_nothing(client, world, today):
    response = _as(client, world.township_staff).post(reverse("attendance:keeper_grid"), {
        "day": "0001-01-01", f"kind_{world.cadre.pk}": "in_village"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("attendance:keeper_grid")
    assert "“0001-01-01” is not a day from 2015-01-01" in response.content.decode()
    assert not PresenceRecord.objects.exists() and _far_rows() == 0


@pytest.mark.parametrize("value", ["9999-12", "2014-12"])
def test_the_monthly_report_refuses_a_month_outside_the_programme(client, world, today, value):
    response = _as(client, world.owner).get(reverse("attendance:monthly_report"), {"month": value}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("attendance:report_page")
    assert f"“{value}” is not a month from 2015-01 to 2027-12" in response.content.decode()
    assert _far_rows() == 0


@pytest.mark.parametrize("value", ["2100", "2014", "1999", "20260", "abc"])
def test_the_working_days_page_shows_this_year_for_a_year_outside_the_programme(client, world, today, value):
    html = _as(client, world.owner).get(reverse("attendance:working_days"), {"year": value}).content.decode()
    assert f"“{value}” is not a year from 2015 to 2027." in html
    assert 'data-date="2026-01-01"' in html
    assert _far_rows() == 0


def test_the_monthly_report_job_refuses_a_month_outside_the_programme(world, today):
    from attendance import services

    with pytest.raises(ValueError):
        services.monthly_report_job_build(user=world.owner, params={"month": ["9999-12"], "township": [""]})
    assert _far_rows() == 0
