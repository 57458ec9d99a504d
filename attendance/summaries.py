"""Daily presence summaries for the dashboards: one row per township and day.

Set-based on purpose: a day is refreshed for the whole province with one DELETE and one
INSERT … SELECT (the SELECT is the ORM's GROUP BY over the assignments in post that day,
left-joined to that day's presence records), so a refresh costs the same few statements
whether Sichuan has 12,000 villages or 120. Deleting the day first makes a refresh
idempotent and drops rows of townships that no longer have anyone in post.

The nightly scan (attendance.tasks.flag_missing_checkins) rebuilds the last
ZHUCUN["SUMMARY_REFRESH_DAYS"] days (35: about 5 s for all Sichuan), because a keeper's
correction, a review or a leave decision can change an earlier day; `manage.py
refresh_summaries --days N` rebuilds the last N days, e.g. after loading data.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import BooleanField, Count, DateField, DateTimeField, FilteredRelation, Q, Value
from django.utils import timezone

from assignments.models import Assignment

from .models import DailyPresenceSummary, PresenceRecord, WorkingDay
from .selectors import active_on
from .services import working_days_ensure

Kind = PresenceRecord.Kind
# Plain strings: the SELECT's parameters go to the cursor directly, not through a field.
REJECTED = str(PresenceRecord.Review.REJECTED.value)

_COLUMNS = ["township_id", "county_id", "city_id", "day", "working_day", "refreshed_at",
            "expected", "in_village", "trip", "leave", "absent", "missing"]


def _day_select(day: dt.date, working: bool, now):
    """The SELECT of one day's rows, in _COLUMNS order, as (sql, params)."""
    rec = ~Q(rec__review_status=REJECTED)
    recorded = Count("rec", filter=rec)
    qs = (
        Assignment.objects.filter(active_on(day))
        .annotate(rec=FilteredRelation("presence_records", condition=Q(presence_records__date=day)))
        .values("village__township_id", "village__county_id", "village__county__parent_id")
        .annotate(
            d=Value(day, output_field=DateField()),
            w=Value(working, output_field=BooleanField()),
            at=Value(now, output_field=DateTimeField()),
            expected=Count("id") if working else Value(0),
            in_village=Count("rec", filter=rec & Q(rec__kind=Kind.IN_VILLAGE.value)),
            trip=Count("rec", filter=rec & Q(rec__kind=Kind.TRIP.value)),
            leave=Count("rec", filter=rec & Q(rec__kind=Kind.LEAVE.value)),
            absent=Count("rec", filter=rec & Q(rec__kind=Kind.ABSENT.value)),
            missing=(Count("id") - recorded) if working else Value(0),
        )
        .order_by()
    )
    return qs.query.sql_with_params()


def presence_summaries_refresh(*, days: Iterable[dt.date], now=None) -> int:
    """Rebuild the summaries of `days` for every township. Returns the rows written."""
    days = sorted(set(days))
    if not days:
        return 0
    now = now or timezone.now()
    working_days_ensure(start=days[0], end=days[-1])
    working = dict(WorkingDay.objects.filter(date__in=days).values_list("date", "is_working_day"))
    table = connection.ops.quote_name(DailyPresenceSummary._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    written = 0
    for day in days:
        select_sql, params = _day_select(day, working[day], now)
        with transaction.atomic(), connection.cursor() as cursor:
            DailyPresenceSummary.objects.filter(day=day).delete()
            cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql}", params)
            written += max(cursor.rowcount, 0)
    if connection.vendor == "postgresql" and len(days) > 1:
        # A bulk rebuild changes the table's size a lot: fresh statistics keep the dashboards'
        # plans right (autovacuum would get there, later).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return written


def presence_summaries_refresh_recent(*, days: int, today: dt.date | None = None) -> int:
    """The last `days` days up to yesterday (today's check-ins are still coming in)."""
    today = today or timezone.localdate()
    return presence_summaries_refresh(days=[today - dt.timedelta(days=i) for i in range(1, days + 1)])


def presence_summaries_as_of(*, since: dt.date | None = None):
    """When the summaries were last refreshed (None if never)."""
    qs = DailyPresenceSummary.objects.all()
    if since is not None:
        qs = qs.filter(day__gte=since)
    return qs.order_by("-refreshed_at").values_list("refreshed_at", flat=True).first()


__all__ = ["presence_summaries_refresh", "presence_summaries_refresh_recent", "presence_summaries_as_of"]
