"""Bench: the attendance scans at Sichuan scale on PostgreSQL, beside the alternatives.

Prepare once (your own database):
    createdb -h 127.0.0.1 -U postgres zhucun_att
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_att DJANGO_DEBUG=0
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --scale sichuan --days 90
Run:
    .venv/bin/python bench/attendance_scan.py [--day YYYY-MM-DD] [--loop-limit N] [--skip-http]

Measures, in one run:
1. the daily scan (missing check-ins, auto-resolution, unreturned leave), writes included, first
   run and an idempotent second run; beside one hand-written SQL query that finds the same
   assignments, and beside a loop asking about one cadre at a time (the usual ORM way);
2. the month check (presence shortfall) for the last complete month, writes included, beside
   the bare aggregate over the month's rows;
3. check-in requests through gunicorn against a bare Django view served the same way
   (see bench/attendance_http.py).
Findings of the attendance kinds are deleted first: this database is the bench's own.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "0")
# Sessions, users and cadre scopes live in the cache; for the check-in part it must be Redis,
# shared with the gunicorn workers, as in production.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Max, Q  # noqa: E402

from assignments.models import Assignment, Finding  # noqa: E402
from attendance.models import LeaveRequest, PresenceRecord, WorkingDay  # noqa: E402
from attendance.selectors import active_on, month_bounds  # noqa: E402
from attendance.services import attendance_scan, scan_presence_shortfall  # noqa: E402

KINDS = [Finding.Kind.MISSING_CHECKIN, Finding.Kind.PRESENCE_SHORTFALL, Finding.Kind.UNRETURNED_LEAVE]

HAND_SQL = """
SELECT a.id FROM assignments_assignment a
WHERE a.start_date <= %(d)s AND (a.end_date IS NULL OR a.end_date >= %(d)s)
  AND NOT EXISTS (SELECT 1 FROM attendance_presencerecord p
                  WHERE p.cadre_id = a.cadre_id AND p.date = %(d)s AND p.review_status <> 'rejected')
  AND NOT EXISTS (SELECT 1 FROM attendance_leaverequest l
                  WHERE l.cadre_id = a.cadre_id AND l.start <= %(d)s
                    AND ((l.status = 'approved' AND l."end" >= %(d)s)
                         OR (l.status = 'returned' AND l.actual_return_date > %(d)s)))
"""

BARE_MONTH_SQL = """
SELECT assignment_id,
       count(*) FILTER (WHERE kind IN ('in_village', 'trip') AND review_status <> 'rejected'),
       count(*) FILTER (WHERE kind = 'leave')
FROM attendance_presencerecord WHERE date BETWEEN %(a)s AND %(b)s GROUP BY assignment_id
"""


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - started


def best_of(n, fn, *args, **kwargs):
    times, value = [], None
    for _ in range(n):
        value, seconds = timed(fn, *args, **kwargs)
        times.append(seconds)
    return value, min(times)


def hand_sql(day):
    with connection.cursor() as cur:
        cur.execute(HAND_SQL, {"d": day})
        return {r[0] for r in cur.fetchall()}


def bare_month(first, last):
    with connection.cursor() as cur:
        cur.execute(BARE_MONTH_SQL, {"a": first, "b": last})
        return len(cur.fetchall())


def one_at_a_time(day, limit):
    """The usual way: for each assignment in post, ask the ORM about that one cadre."""
    missing = []
    assignments = Assignment.objects.filter(active_on(day)).only("id", "cadre_id").order_by("id")
    if limit:
        assignments = assignments[:limit]
    n = 0
    for a in assignments.iterator(chunk_size=2000):
        n += 1
        if PresenceRecord.objects.filter(cadre_id=a.cadre_id, date=day).exclude(review_status="rejected").exists():
            continue
        if LeaveRequest.objects.filter(cadre_id=a.cadre_id, start__lte=day).filter(
            Q(status="approved", end__gte=day) | Q(status="returned", actual_return_date__gt=day)
        ).exists():
            continue
        missing.append(a.id)
    return n, missing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--day", help="Day to scan (default: the last working day with presence data).")
    parser.add_argument("--loop-limit", type=int, default=0, help="Only time the one-at-a-time loop on N assignments "
                        "and extrapolate (default: all of them).")
    parser.add_argument("--skip-http", action="store_true", help="Skip the gunicorn check-in part.")
    opts = parser.parse_args()
    assert connection.vendor == "postgresql", "run this on PostgreSQL (DATABASE_URL)"

    last_data = PresenceRecord.objects.aggregate(m=Max("date"))["m"]
    if opts.day:
        day = dt.date.fromisoformat(opts.day)
    else:
        day = WorkingDay.objects.filter(date__lte=last_data, is_working_day=True).order_by("-date").first().date
    active = Assignment.objects.filter(active_on(day)).count()
    print(f"PostgreSQL {connection.pg_version}, database {connection.settings_dict['NAME']}")
    print(f"presence records: {PresenceRecord.objects.count():,}; leave requests: {LeaveRequest.objects.count():,}; "
          f"assignments in post on {day}: {active:,}")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    print("\n== 1. daily scan ==")
    Finding.objects.filter(kind__in=KINDS).delete()
    first, t_first = timed(attendance_scan, day=day)
    second, t_second = timed(attendance_scan, day=day)
    print(f"scan {day}, first run (writes {first.created:,} findings): {t_first * 1000:.0f} ms; "
          f"missing {first.missing:,}, escalated {first.escalated:,}, unreturned {first.unreturned:,}")
    print(f"second run (must change nothing: created {second.created}, updated {second.updated}, "
          f"resolved {second.resolved}): {t_second * 1000:.0f} ms")
    ids, t_hand = best_of(3, hand_sql, day)
    flagged = set(Finding.objects.filter(kind=Finding.Kind.MISSING_CHECKIN, period=day.isoformat())
                  .values_list("assignment_id", flat=True))
    print(f"hand-written SQL, same question: {t_hand * 1000:.1f} ms (best of 3), {len(ids):,} assignments; "
          f"same set as the scan's findings: {ids == flagged}")
    (n, missing), t_loop = timed(one_at_a_time, day, opts.loop_limit)
    per_all = t_loop / max(n, 1) * active
    note = "" if n == active else f" (timed on {n:,}, extrapolated to {active:,})"
    print(f"one cadre at a time (ORM, reads only, no writes): {per_all:.2f} s{note}; "
          f"scan is {per_all / t_first:.0f}x faster (first run, writes included)")

    print("\n== 2. month check ==")
    month = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    a, b = month_bounds(month)
    rows_in_month = PresenceRecord.objects.filter(date__range=(a, b)).count()
    Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL).delete()
    (short, created, _u, _r), t_month = timed(scan_presence_shortfall, month=month)
    (_s, created2, updated2, resolved2), t_month2 = timed(scan_presence_shortfall, month=month)
    groups, t_bare = best_of(3, bare_month, a, b)
    print(f"month {month:%Y-%m}: {rows_in_month:,} presence rows")
    print(f"shortfall check, first run (writes {created:,} findings): {t_month * 1000:.0f} ms; second run "
          f"(created {created2}, updated {updated2}, resolved {resolved2}): {t_month2 * 1000:.0f} ms")
    print(f"bare aggregate over the month: {t_bare * 1000:.0f} ms (best of 3), {groups:,} groups")

    if not opts.skip_http:
        print("\n== 3. check-in through gunicorn ==")
        from bench import attendance_http

        attendance_http.run()


if __name__ == "__main__":
    main()
