"""Celery tasks of the core app: thin wrappers around services, like attendance's and training's."""
from __future__ import annotations

from celery import shared_task

from .supervision.services import replacement_obligations_sync


@shared_task(name="assignments.tasks.close_filled_replacement_obligations")
def close_filled_replacement_obligations(county_id: int | None = None) -> int:
    """Close open replacement obligations that an assignment has filled without going through
    the replacement form (a roster import, the plain assignment form in another county's
    hands): the vacancy list must not keep showing a post that is taken."""
    return replacement_obligations_sync(county_id=county_id)


@shared_task(name="assignments.tasks.export_job_run")
def export_job_run(job_id: int) -> str:
    """Build a large export (a province's roster) off the web request; see export_jobs.py."""
    from .export_jobs import export_job_run as run

    return run(job_id=job_id).status


@shared_task(name="assignments.tasks.export_jobs_prune")
def export_jobs_prune() -> int:
    """Nightly: drop export files past their keeping time (see export_jobs.py)."""
    from .export_jobs import export_jobs_prune as prune

    return prune()
