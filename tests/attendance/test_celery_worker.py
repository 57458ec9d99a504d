"""The scan through the real Redis broker to a real Celery worker (a subprocess this test starts).

Needs REDIS_URL and PostgreSQL: the worker is another process, so it must read the same test
database, which only a server database allows (and the test data must be committed, hence
transactional_db). A private queue keeps other workers on the same Redis out of the way.
"""
import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from assignments.models import Finding
from attendance import tasks

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_the_scan_runs_on_a_real_worker_through_redis(world, transactional_db):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a server database (PostgreSQL)")
    s = connection.settings_dict
    db_url = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    queue = f"attendance-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        started = time.monotonic()
        result = tasks.flag_missing_checkins.apply_async(args=["2026-11-18"], queue=queue)
        summary = result.get(timeout=60)
        assert summary["missing"] == 4 and summary["created"] == 4
        assert Finding.objects.filter(period="2026-11-18").count() == 4
        assert time.monotonic() - started < 60
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
    # The eager path (used by the other tests) is the same code: a second run adds nothing.
    assert tasks.flag_missing_checkins.apply(args=["2026-11-18"]).get()["created"] == 0
    assert dt.date(2026, 11, 18).isoformat() in set(Finding.objects.values_list("period", flat=True))
