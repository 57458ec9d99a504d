"""Celery task: a thin wrapper around training.services.training_scan, so beat, a button and
`manage.py run_scans` run the same code."""
from __future__ import annotations

import datetime as dt

from celery import shared_task

from assignments.models import Region

from .services import training_scan


@shared_task(name="training.tasks.flag_unmet_training")
def flag_unmet_training(day: str | None = None, county_id: int | None = None) -> dict:
    """Scan as of `day` (ISO date; default today in Asia/Shanghai) for the province or one county."""
    today = dt.date.fromisoformat(day) if day else None
    county = Region.objects.get(pk=county_id) if county_id else None
    return training_scan(today=today, county=county).as_dict()
