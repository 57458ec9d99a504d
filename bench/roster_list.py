"""Benchmark: the county roster list page (/cadres/) at Sichuan scale.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db with seed_demo --scale sichuan>
    .venv/bin/python bench/roster_list.py [--runs 20]

Requests the cadre list as demo_county (county staff), demo_city and demo_province through
Django's test client (full middleware, templates, the scoping gate), unfiltered and filtered,
on the first and a deep page, and prints the median server time and the number of SQL queries
per request. The query count must be the same for every page and filter: the list prefetches
the active assignment instead of asking once per row.
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from assignments.models import Assignment, Cadre  # noqa: E402


def measure(client: Client, url: str, runs: int) -> tuple[float, int, int]:
    client.get(url)  # warm caches (templates, connection)
    times, queries, status = [], 0, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        queries, status = len(ctx.captured_queries), response.status_code
    return statistics.median(times), queries, status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
          f"cadres {Cadre.objects.count():,}, active assignments "
          f"{Assignment.objects.filter(end_date__isnull=True).count():,}")
    users = get_user_model().objects
    for username in ("demo_county", "demo_city", "demo_province"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(users.get(username=username))
        urls = ["/cadres/", "/cadres/?page=5", "/cadres/?role=first_secretary", "/cadres/?name=王", "/cadres/?page=last"]
        for url in urls:
            ms, queries, status = measure(client, url, args.runs)
            print(f"{username:14} {url:32} status {status}  median {ms:7.1f} ms  queries {queries}")


if __name__ == "__main__":
    main()
