"""Celery tasks: thin wrappers around attendance.services, so the scan is the same code
whether beat, a button or `manage.py run_scans` starts it."""
from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from assignments.models import Region

from .services import attendance_scan, presence_positions_erase


@shared_task(name="attendance.tasks.flag_missing_checkins")
def flag_missing_checkins(day: str | None = None, county_id: int | None = None) -> dict:
    """Scan one day (ISO date; default yesterday in Asia/Shanghai) for the province or one county."""
    scan_day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    county = Region.objects.get(pk=county_id) if county_id else None
    result = attendance_scan(day=scan_day, county=county).as_dict()
    # The dashboards read presence from daily summaries: refresh them after the scan (whole
    # province, one INSERT … SELECT a day; a county scan refreshes everyone, it is cheap). The
    # nightly run (no day given) also rebuilds the weeks before it, because a keeper's
    # correction, a review or a leave decision can change an earlier day's records.
    from .selectors import rule
    from .summaries import presence_summaries_refresh

    window = 1 if day else max(1, rule("SUMMARY_REFRESH_DAYS"))
    result["summary_rows"] = presence_summaries_refresh(
        days=[scan_day - dt.timedelta(days=i) for i in range(window)])
    return result


@shared_task(name="attendance.tasks.refresh_presence_summaries")
def refresh_presence_summaries(day: str | None = None) -> int:
    """Rebuild one day's dashboard summaries (default yesterday); the nightly scan calls it too."""
    from .summaries import presence_summaries_refresh

    summary_day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    return presence_summaries_refresh(days=[summary_day])


@shared_task(name="attendance.tasks.erase_old_positions")
def erase_old_positions() -> int:
    """Nightly: erase check-in positions past ZHUCUN["POSITION_KEEP_DAYS"] (see the service)."""
    return presence_positions_erase()
