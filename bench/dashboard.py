"""Dashboard bench: median server time and SQL queries of /dashboard/ per level.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_att \
        .venv/bin/python bench/dashboard.py [--runs 20]

Needs seeded data (`seed_demo --scale sichuan --days 90`) and the summaries
(`manage.py refresh_summaries --days 90`). Creates bench users (bench_<level>) if missing.
Runs in-process through Django's test client (no network, no gunicorn): server time only.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402

from assignments.models import Profile, Region  # noqa: E402
from config import urls as project_urls  # noqa: E402

if not any(getattr(p, "namespace", None) == "dashboard" for p in project_urls.urlpatterns):
    project_urls.urlpatterns.append(path("dashboard/", include("assignments.dashboard.urls")))


def bench_user(level: str, region: Region):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=f"bench_{level}")
    Profile.objects.update_or_create(user=user, defaults={"role": level, "region": region, "unit": None})
    return user


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    for level in ("province", "city", "county", "township"):
        # The largest region of the level by villages, the worst case.
        region = (Region.objects.filter(level=level).order_by("code").first() if level == "province" else
                  max(Region.objects.filter(level=level)[:400], key=lambda r: r.code))
        client = Client()
        client.force_login(bench_user(level, region))
        for url in ("/dashboard/", "/dashboard/export.xlsx"):
            client.get(url)  # warm-up
            times, queries = [], 0
            for _ in range(args.runs):
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.status_code
                queries = len(ctx.captured_queries)
            print(f"{level:9} {region.name:8} {url:24} median {statistics.median(times):6.1f} ms  "
                  f"p90 {sorted(times)[int(len(times) * 0.9) - 1]:6.1f} ms  queries {queries}")


if __name__ == "__main__":
    main()
