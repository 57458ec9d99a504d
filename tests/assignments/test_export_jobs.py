"""Large exports are built by a worker and downloaded from /exports/ by the user who asked."""
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from assignments import export_jobs
from assignments.models import ExportJob


@pytest.fixture
def small_limit(settings):
    # One cadre is "large": the world's county has two.
    settings.ZHUCUN = {**settings.ZHUCUN, "EXPORT_SYNC_MAX_ROWS": 1}


def _names(data: bytes) -> set[str]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}


def test_a_small_roster_downloads_at_once(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("roster_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not ExportJob.objects.exists()


def test_a_large_roster_is_built_by_a_worker_with_the_pages_filters(client, world, small_limit,
                                                                    django_capture_on_commit_callbacks):
    client.force_login(world.owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(reverse("roster_export"), {"status": "active"})
    assert response["Location"] == reverse("export_list")
    job = ExportJob.objects.get()
    assert (job.user, job.kind, job.params, job.rows, job.status) == (world.owner, "roster", {"status": ["active"]},
                                                                      2, "queued")
    assert len(callbacks) == 1  # the worker is asked once the job is committed
    page = client.get(reverse("export_list")).content.decode()
    assert 'http-equiv="refresh"' in page  # waits for the file

    export_jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.filename.startswith("花名册-") and job.finished_at
    page = client.get(reverse("export_list")).content.decode()
    assert reverse("export_download", args=[job.pk]) in page and 'http-equiv="refresh"' not in page
    download = client.get(reverse("export_download", args=[job.pk]))
    assert _names(b"".join(download.streaming_content) if download.streaming else download.content) == {
        world.cadre.name, world.member.name}


def test_a_job_is_built_once_even_if_the_task_arrives_twice(world, small_limit):
    job = ExportJob.objects.create(user=world.owner, kind="roster", params={})
    export_jobs.export_job_run(job_id=job.pk)
    first = ExportJob.objects.get(pk=job.pk).finished_at
    assert export_jobs.export_job_run(job_id=job.pk).finished_at == first


def test_the_job_holds_only_what_its_owner_may_see(world):
    # A liaison's job: their unit's cadres only, whatever the filters say.
    job = ExportJob.objects.create(user=world.liaison, kind="roster", params={"county": [str(world.far_county.pk)]})
    export_jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert world.far_cadre.name not in _names(bytes(job.content))


def test_only_the_owner_downloads_and_only_a_finished_file(client, world):
    job = ExportJob.objects.create(user=world.owner, kind="roster", params={})
    client.force_login(world.owner)
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 404  # not built yet
    export_jobs.export_job_run(job_id=job.pk)
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 200
    for other in (world.colleague, world.province_reviewer, world.stranger):
        client.force_login(other)
        assert client.get(reverse("export_download", args=[job.pk])).status_code == 404
        assert reverse("export_download", args=[job.pk]) not in client.get(reverse("export_list")).content.decode()


def test_a_failing_build_is_shown_as_failed(client, world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setitem(export_jobs.BUILDERS, "roster", broken)
    job = ExportJob.objects.create(user=world.owner, kind="roster", params={})
    assert export_jobs.export_job_run(job_id=job.pk).status == "failed"
    job.refresh_from_db()
    assert "disk full" in job.error and job.content is None
    client.force_login(world.owner)
    assert "请重试" in client.get(reverse("export_list")).content.decode()  # Chinese, the default


def test_jobs_are_kept_for_a_week(world, django_capture_on_commit_callbacks):
    old = ExportJob.objects.create(user=world.owner, kind="roster", params={})
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    other = ExportJob.objects.create(user=world.colleague, kind="roster", params={})
    ExportJob.objects.filter(pk=other.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert not export_jobs.export_jobs_for_user(world.owner).filter(pk=old.pk).exists()
    with django_capture_on_commit_callbacks():
        export_jobs.export_job_start(user=world.owner, kind="roster", params={}, rows=2)
    assert not ExportJob.objects.filter(pk=old.pk).exists()  # dropped when the owner asks again
    assert ExportJob.objects.filter(pk=other.pk).exists()  # another user's is theirs to renew


def test_a_job_left_unfinished_for_half_an_hour_stops_the_page_waiting(client, world):
    job = ExportJob.objects.create(user=world.owner, kind="roster", params={})
    client.force_login(world.owner)
    assert 'http-equiv="refresh"' in client.get(reverse("export_list")).content.decode()
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=31))
    page = client.get(reverse("export_list")).content.decode()
    assert 'http-equiv="refresh"' not in page and "请重试" in page


def test_old_jobs_of_every_user_are_dropped_each_night(world):
    from assignments import tasks

    old = ExportJob.objects.create(user=world.owner, kind="roster", params={}, content=b"xlsx")
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    fresh = ExportJob.objects.create(user=world.colleague, kind="roster", params={}, content=b"xlsx")
    assert tasks.export_jobs_prune() == 1
    assert not ExportJob.objects.filter(pk=old.pk).exists() and ExportJob.objects.filter(pk=fresh.pk).exists()
    assert tasks.export_jobs_prune() == 0


def test_the_prune_is_scheduled_every_night(world):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="assignments.tasks.export_jobs_prune")
    assert task.enabled and (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "1", "50", "Asia/Shanghai")


def test_a_job_the_broker_cannot_take_is_failed_at_once(client, world, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    from assignments import tasks

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.export_job_run, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.export_job_start(user=world.owner, kind="roster", params={}, rows=2)
    job.refresh_from_db()
    assert job.status == "failed" and "not queued" in job.error and job.finished_at is not None
    client.force_login(world.owner)
    page = client.get(reverse("export_list")).content.decode()
    assert 'http-equiv="refresh"' not in page and "请重试" in page


def test_an_empty_list_says_how_many_days_exports_are_kept(client, world, settings, monkeypatch):
    monkeypatch.setattr(export_jobs, "EXPORT_KEEP_DAYS", 3)
    client.force_login(world.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("export_list")).content.decode()
    assert "No exports in the last 3 days." in page
    monkeypatch.setattr(export_jobs, "EXPORT_KEEP_DAYS", 1)
    assert "No exports in the last 1 day." in client.get(reverse("export_list")).content.decode()
