"""Celery tasks: thin wrappers around attendance.services, so the scan is the same code
whether beat, a button or `manage.py run_scans` starts it."""
from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from assignments.models import Region

from .services import attendance_scan


@shared_task(name="attendance.tasks.flag_missing_checkins")
def flag_missing_checkins(day: str | None = None, county_id: int | None = None) -> dict:
    """Scan one day (ISO date; default yesterday in Asia/Shanghai) for the province or one county."""
    scan_day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    county = Region.objects.get(pk=county_id) if county_id else None
    result = attendance_scan(day=scan_day, county=county).as_dict()
    # The dashboards read the day's presence from summaries: refresh them after the scan
    # (whole province, one INSERT … SELECT; a county scan refreshes everyone, it is cheap).
    from .summaries import presence_summaries_refresh

    result["summary_rows"] = presence_summaries_refresh(days=[scan_day])
    return result


@shared_task(name="attendance.tasks.refresh_presence_summaries")
def refresh_presence_summaries(day: str | None = None) -> int:
    """Rebuild one day's dashboard summaries (default yesterday); the nightly scan calls it too."""
    from .summaries import presence_summaries_refresh

    summary_day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    return presence_summaries_refresh(days=[summary_day])
