"""Benchmark: import a 34,000-row cadre roster (Sichuan's whole programme) in one file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_excel .venv/bin/python bench/roster_import.py

Needs a migrated database. It creates (once, committed) a throwaway geography that cannot clash
with real division codes: province 990000 › city 990100 › county 990101 with 60 townships and
12,000 villages, 100 dispatching units and a county officer `bench_roster`. Every run then
builds the xlsx in memory, imports it inside a transaction that is rolled back at the end (so
runs repeat; pass --keep to commit), and prints parse / validate / write times separately,
then the time of re-importing the same file (all rows unchanged) and of exporting it.

Options: --rows N (default 34000), --keep.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from assignments.idcard import check_character  # noqa: E402
from assignments.models import Cadre, DispatchingUnit, Profile, Region, Village  # noqa: E402
from assignments.roster import COLUMNS, roster_export, roster_import  # noqa: E402
from assignments.selectors import cadres_for_user  # noqa: E402

TOWNSHIPS, VILLAGES_PER_TOWNSHIP, UNITS = 60, 200, 100


def ensure_world():
    """The throwaway county, its villages and units, and its officer (idempotent)."""
    province, _ = Region.objects.get_or_create(code="990000", defaults={"name": "基准省", "level": "province"})
    city, _ = Region.objects.get_or_create(code="990100", defaults={"name": "基准市", "level": "city", "parent": province})
    county, _ = Region.objects.get_or_create(
        code="990101", defaults={"name": "基准县", "level": "county", "parent": city}
    )
    if not Region.objects.filter(parent=county).exists():
        Region.objects.bulk_create(
            Region(code=f"990101{t:03d}", name=f"基准镇{t}", level="township", parent=county)
            for t in range(1, TOWNSHIPS + 1)
        )
    townships = list(Region.objects.filter(parent=county).order_by("code"))
    if not Village.objects.filter(county=county).exists():
        Village.objects.bulk_create(
            (
                Village(code=f"{t.code}{v:03d}", name=f"{t.name}{v}村", township=t, county=county)
                for t in townships
                for v in range(1, VILLAGES_PER_TOWNSHIP + 1)
            ),
            batch_size=2000,
        )
    if not DispatchingUnit.objects.filter(home_region=county).exists():
        DispatchingUnit.objects.bulk_create(
            DispatchingUnit(name=f"基准县派出单位{u:03d}", level="county", kind="party_gov", home_region=county)
            for u in range(UNITS)
        )
    user, created = get_user_model().objects.get_or_create(username="bench_roster")
    if created or not Profile.objects.filter(user=user).exists():
        Profile.objects.create(user=user, role=Profile.Role.COUNTY, region=county)
    return county, user


def build_xlsx(n: int, county: Region) -> bytes:
    """n rows: three cadres per village in code order, the first of each the first secretary."""
    villages = list(Village.objects.filter(county=county).order_by("code").values_list("code", "name"))
    units = list(DispatchingUnit.objects.filter(home_region=county).order_by("name").values_list("name", flat=True))
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(list(COLUMNS))
    genders, education = ("男", "女"), ("研究生", "大学本科", "大学专科", "中专及以下")
    start = dt.date(2025, 6, 1)
    for i in range(n):
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=i // 1000)
        first17 = f"990101{birth:%Y%m%d}{i % 1000:03d}"
        code, vname = villages[i // 3 % len(villages)]
        assigned = i % 17 != 16  # a few cadres between assignments
        ws.append([
            f"干部{i}", genders[i % 2], birth, "汉族", "中共党员", education[i % 4], "四级主任科员",
            first17 + check_character(first17), f"139{i:08d}", units[i % len(units)],
            code if assigned else None, vname if assigned else None,
            ("第一书记" if i % 3 == 0 else "工作队员") if assigned else None,
            start if assigned else None, None,
        ])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=34_000)
    parser.add_argument("--keep", action="store_true", help="commit the import instead of rolling it back")
    args = parser.parse_args()

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    county, user = ensure_world()
    if Cadre.objects.filter(county=county).exists():
        sys.exit("The bench county already has cadres (a --keep run); drop the database or delete them first.")

    t = time.perf_counter()
    data = build_xlsx(args.rows, county)
    print(f"built {args.rows} rows: {len(data) / 1e6:.1f} MB xlsx in {time.perf_counter() - t:.1f} s (not timed below)")

    with transaction.atomic():
        timings: dict = {}
        t = time.perf_counter()
        result = roster_import(user=user, data=data, timings=timings)
        total = time.perf_counter() - t
        if not result.ok:
            for e in result.errors[:20]:
                print(f"  row {e.row} {e.column}: {e.message}")
            sys.exit(f"import refused with {len(result.errors)} errors")
        print(
            f"import: {total:.1f} s total = parse {timings['parse']:.1f} s + validate {timings['validate']:.1f} s"
            f" + write {timings['write']:.1f} s"
        )
        print(f"  created {result.created_cadres} cadres, {result.created_assignments} assignments")

        timings = {}
        t = time.perf_counter()
        again = roster_import(user=user, data=data, timings=timings)
        print(
            f"re-import unchanged: {time.perf_counter() - t:.1f} s (parse {timings['parse']:.1f} + validate"
            f" {timings['validate']:.1f} + write {timings['write']:.1f}); unchanged={again.unchanged}"
        )
        assert again.ok and again.unchanged == args.rows, again

        t = time.perf_counter()
        exported = roster_export(user=user, cadres=cadres_for_user(user))
        print(f"export: {time.perf_counter() - t:.1f} s, {len(exported) / 1e6:.1f} MB")

        if not args.keep:
            transaction.set_rollback(True)
            print("rolled back (pass --keep to commit)")


if __name__ == "__main__":
    main()
