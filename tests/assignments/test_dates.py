"""The one parser for months, days and years in an address (assignments.dates)."""
import datetime as dt

import pytest

from assignments import dates

TODAY = dt.date(2026, 11, 18)


def test_the_bounds_run_from_the_programmes_start_to_the_end_of_next_year():
    assert dates.date_bounds(today=TODAY) == (dt.date(2015, 1, 1), dt.date(2027, 12, 31))
    assert dates.year_bounds(today=TODAY) == (2015, 2027)


@pytest.mark.parametrize("value,expected", [
    ("2026-11", dt.date(2026, 11, 1)),
    ("2015-01", dt.date(2015, 1, 1)),
    ("2027-12", dt.date(2027, 12, 1)),
    ("2014-12", None), ("2028-01", None), ("9999-12", None), ("0001-01", None),
    ("2026-13", None), ("abc", None), ("", None), (None, None), ("2026-11-18", None),
])
def test_parse_month_accepts_only_months_within_the_bounds(value, expected):
    assert dates.parse_month(value, today=TODAY) == expected


@pytest.mark.parametrize("value,expected", [
    ("2026-11-18", dt.date(2026, 11, 18)),
    ("2015-01-01", dt.date(2015, 1, 1)),
    ("2027-12-31", dt.date(2027, 12, 31)),
    ("2014-12-31", None), ("2028-01-01", None), ("0001-01-01", None), ("9999-12-31", None),
    ("2026-02-30", None), ("x", None), ("", None), (None, None),
])
def test_parse_day_accepts_only_days_within_the_bounds(value, expected):
    assert dates.parse_day(value, today=TODAY) == expected


@pytest.mark.parametrize("value,expected", [
    ("2026", 2026), ("2015", 2015), ("2027", 2027), (" 2026 ", 2026),
    ("2014", None), ("2028", None), ("20260", None), ("0002026", None), ("-2026", None), ("", None), (None, None),
])
def test_parse_year_accepts_only_years_within_the_bounds(value, expected):
    assert dates.parse_year(value, today=TODAY) == expected


def test_neighbour_months_stop_at_the_bounds():
    assert dates.neighbour_months(dt.date(2026, 11, 1), today=TODAY) == ("2026-10", "2026-12")
    assert dates.neighbour_months(dt.date(2026, 1, 1), today=TODAY) == ("2025-12", "2026-02")
    assert dates.neighbour_months(dt.date(2015, 1, 1), today=TODAY) == (None, "2015-02")
    assert dates.neighbour_months(dt.date(2027, 12, 1), today=TODAY) == ("2027-11", None)
