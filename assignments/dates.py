"""The dates a page may be asked about, and the one parser for months and days in an address.

A `?month=` or `?day=` is typed, edited or bookmarked by people, so it may be anything. Pages
built from it fill the working-day calendar for what they show and step to the neighbouring
month or day, so an absurd value (9999-12, 0001-01-01) used to write calendar rows for it from a
GET and then overflow. Every month or day a page reads goes through `parse_month` / `parse_day`,
which accept only the programme's years, and every year the working-day calendar offers stays
inside the same bounds.
"""
from __future__ import annotations

import datetime as dt

# The stationed first-secretary system as run now began with the central notice of April 2015:
# no attendance, course or inspection of it can be older. A fixed date, not "ten years back", so
# that nothing recorded turns unreachable just because time passed.
PROGRAMME_START = dt.date(2015, 1, 1)


def date_bounds(*, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day a page may show: the programme's start to the end of next year.
    Whole years, because the working-day calendar is kept by the year (the State Council
    publishes next year's holidays late in the year, and the province enters them then)."""
    return PROGRAMME_START, dt.date(today.year + 1, 12, 31)


def year_bounds(*, today: dt.date) -> tuple[int, int]:
    low, high = date_bounds(today=today)
    return low.year, high.year


def parse_month(value: str | None, *, today: dt.date) -> dt.date | None:
    """The first day of the month `value` names (YYYY-MM) if it lies within date_bounds;
    None for anything else."""
    try:
        month = dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None
    low, high = date_bounds(today=today)
    return month if low <= month <= high else None


def parse_day(value: str | None, *, today: dt.date) -> dt.date | None:
    """The day `value` names (YYYY-MM-DD) if it lies within date_bounds; None for anything else."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    low, high = date_bounds(today=today)
    return day if low <= day <= high else None


def parse_year(value: str | None, *, today: dt.date) -> int | None:
    """The year `value` names if it lies within year_bounds; None for anything else."""
    low, high = year_bounds(today=today)
    value = (value or "").strip()
    if value.isdigit() and len(value) <= 4 and low <= int(value) <= high:
        return int(value)
    return None


def neighbour_months(month: dt.date, *, today: dt.date) -> tuple[str | None, str | None]:
    """The months before and after `month` as YYYY-MM, None past date_bounds (no link to a
    month the parser would refuse)."""
    low, high = date_bounds(today=today)
    prev = (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (f"{prev:%Y-%m}" if prev >= low else None), (f"{nxt:%Y-%m}" if nxt <= high else None)
