"""Benchmark: generate the Sichuan-scale demo data set (`seed_demo --scale sichuan`).

    createdb -h 127.0.0.1 -U postgres zhucun_seedbench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_seedbench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/seed.py

Runs on the database in DATABASE_URL (PostgreSQL; SQLite works as a smoke run only). Times
load_regions, then seed_demo --scale sichuan phase by phase, then the same command again
(which must create nothing: seeding tops up), and prints the row counts. Start from an empty
database for first-run numbers; on a seeded one the first run is a top-up too and says so.

Options: --seed S (default: seed_demo's), --once (skip the second, no-op run), --days D (also
generate D days of attendance history; default 0).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from assignments.management.commands import seed_demo  # noqa: E402
from assignments.models import Assignment, Cadre, DispatchingUnit, Profile, Region, Village  # noqa: E402


def row_counts() -> dict[str, int]:
    counts = {
        "regions (province/city/county)": Region.objects.exclude(level=Region.Level.TOWNSHIP).count(),
        "townships": Region.objects.filter(level=Region.Level.TOWNSHIP).count(),
        "villages": Village.objects.count(),
        "dispatching units": DispatchingUnit.objects.count(),
        "cadres": Cadre.objects.count(),
        "cadre history rows": Cadre.history.count(),
        "assignments (active)": Assignment.objects.filter(end_date__isnull=True).count(),
        "assignments (ended)": Assignment.objects.filter(end_date__isnull=False).count(),
        "assignment history rows": Assignment.history.count(),
        "demo profiles": Profile.objects.filter(user__username__startswith="demo_").count(),
    }
    if apps.is_installed("attendance"):
        from attendance.models import LeaveRequest, PresenceRecord, WorkLog

        counts |= {
            "presence records": PresenceRecord.objects.count(),
            "leave requests": LeaveRequest.objects.count(),
            "work logs": WorkLog.objects.count(),
        }
    return counts


def seed_once(seed: int, days: int) -> tuple[float, list[tuple[str, int, float]]]:
    command = seed_demo.Command()
    out = io.StringIO()
    started = time.perf_counter()
    call_command(command, scale="sichuan", seed=seed, days=days, stdout=out)
    return time.perf_counter() - started, command.timings


def print_phases(title: str, total: float, timings) -> None:
    print(f"\n{title}: {total:.2f} s")
    print(f"  {'phase':<12} {'created':>8} {'seconds':>8}")
    for label, created, seconds in timings:
        print(f"  {label:<12} {created:>8} {seconds:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=seed_demo.DEFAULT_SEED)
    parser.add_argument("--days", type=int, default=0, help="days of attendance history to generate too")
    parser.add_argument("--once", action="store_true", help="skip the second (no-op) run")
    args = parser.parse_args()

    vendor = connection.vendor
    if vendor != "postgresql":
        print(f"WARNING: database is {vendor}, not PostgreSQL: these numbers say nothing about production.")
    with connection.cursor() as cursor:
        cursor.execute("select version()" if vendor == "postgresql" else "select sqlite_version()")
        print(f"database: {connection.settings_dict['NAME']} ({cursor.fetchone()[0].split(' on ')[0]})")
    print(f"cpus: {os.cpu_count()}")
    if Village.objects.exists():
        print(f"NOTE: {Village.objects.count()} villages already exist: the first run below is a top-up.")

    started = time.perf_counter()
    call_command("load_regions", stdout=io.StringIO())
    print(f"\nload_regions: {time.perf_counter() - started:.2f} s")

    total, timings = seed_once(args.seed, args.days)
    print_phases(f"seed_demo --scale sichuan --days {args.days} (first run)", total, timings)
    if not args.once:
        total, timings = seed_once(args.seed, args.days)
        print_phases("seed_demo --scale sichuan (second run, must create nothing)", total, timings)
        if any(created for _, created, _ in timings):
            print("ERROR: the second run created rows; seeding is not idempotent.")
            sys.exit(1)

    print("\nrows:")
    for label, n in row_counts().items():
        print(f"  {label:<32} {n:>8}")


if __name__ == "__main__":
    main()
