"""Spreadsheets built by a Celery worker instead of inside the web request.

A county's roster comes back in well under a second; a province's (34,000 rows) takes about
20 s, too close to gunicorn's 30 s worker timeout and a long wait on a spinning page. Above
ZHUCUN["EXPORT_SYNC_MAX_ROWS"] rows the page starts an ExportJob instead and sends the user to
/exports/, where the file appears when it is ready (kept for EXPORT_KEEP_DAYS days).

The writes (export_job_start, export_job_run) and reads (export_jobs_for_user) of this one
feature live together here: it builds on roster.py, which itself imports services.py.
The worker builds the file as the user who asked, through the same scoping gate and filters as
the page, so a job can never hold more than its owner may see.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from . import selectors
from .models import ExportJob

logger = logging.getLogger(__name__)

EXPORT_KEEP_DAYS = 7


def _kept_since(now: dt.datetime | None = None) -> dt.datetime:
    """Jobs asked for before this are past their keeping time."""
    return (now or timezone.now()) - dt.timedelta(days=EXPORT_KEEP_DAYS)


def sync_max_rows() -> int:
    return settings.ZHUCUN.get("EXPORT_SYNC_MAX_ROWS", 5000)


def _querydict(params: dict[str, list[str]]) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, values in params.items():
        q.setlist(key, values)
    return q


def roster_queryset(*, user, params: QueryDict | None):
    """The cadres of the roster page with its filters, inside the user's scope (the page and
    the worker use the same function)."""
    from .filters import CadreFilter

    qs = selectors.cadres_for_user(user).order_by("name", "id")
    return CadreFilter(params or None, queryset=qs, user=user)


def _build_roster(*, user, params: dict) -> tuple[bytes, str, int]:
    from .roster import roster_export

    cadres = roster_queryset(user=user, params=_querydict(params)).qs
    data = roster_export(user=user, cadres=cadres)
    return data, f"花名册-{timezone.localdate():%Y%m%d}.xlsx", cadres.count()


# kind -> builder(user=, params=) -> (file, file name, rows). Apps built on this one add theirs
# when they are ready (attendance: the monthly report), so a worker knows every kind.
BUILDERS: dict[str, Callable[..., tuple[bytes, str, int]]] = {
    ExportJob.Kind.ROSTER: _build_roster,
}



def export_job_start(*, user, kind: str, params: dict[str, list[str]], rows: int) -> ExportJob:
    """Queue a job for `user` (the worker starts once the transaction commits) and drop the
    user's jobs older than the keeping time."""
    if kind not in BUILDERS:
        raise ValueError(kind)
    with transaction.atomic():
        ExportJob.objects.filter(user=user, created_at__lt=_kept_since()).delete()
        job = ExportJob.objects.create(user=user, kind=kind, params=params, rows=rows)
        transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: ExportJob) -> None:
    """Hand the job to the worker. When the broker cannot be reached the job is marked failed at
    once, so the user reads "try again" on /exports/ instead of an error page now and a job that
    waits half an hour before it says it will never finish."""
    from .tasks import export_job_run as task

    try:
        task.delay(job.pk)
    except Exception as exc:  # kombu's OperationalError and whatever the transport raises
        logger.exception("export job %s could not be queued", job.pk)
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.FAILED, error=f"not queued: {type(exc).__name__}: {exc}"[:500],
            finished_at=timezone.now())


def export_jobs_prune(*, now: dt.datetime | None = None) -> int:
    """Drop every user's jobs (and their files) past the keeping time; nightly, so a file does
    not stay in the database until its owner happens to export again. Returns how many."""
    deleted, _by_model = ExportJob.objects.filter(created_at__lt=_kept_since(now)).delete()
    return deleted


def export_job_run(*, job_id: int) -> ExportJob:
    """Build a queued job's file. A job is claimed with one UPDATE, so a task delivered twice
    builds it once; a failure is stored on the job (and logged) for the user to see."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING)
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if not claimed:
        return job
    try:
        data, filename, rows = BUILDERS[job.kind](user=job.user, params=job.params)
    except Exception as exc:  # the user sees that it failed; the log has the traceback
        logger.exception("export job %s failed", job_id)
        job.status, job.error = ExportJob.Status.FAILED, f"{type(exc).__name__}: {exc}"[:500]
    else:
        job.status, job.content, job.filename, job.rows = ExportJob.Status.DONE, data, filename, rows
    job.finished_at = timezone.now()
    job.save()
    return job


def export_jobs_for_user(user) -> QuerySet[ExportJob]:
    """The user's own jobs of the keeping time, without their files."""
    return ExportJob.objects.filter(user=user, created_at__gte=_kept_since()).defer("content")
