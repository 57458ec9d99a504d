"""Training history for seed_demo: courses by level and who attended them.

Courses over the last two and a half years: a few provincial ones (5 days, in 成都), two a year
per city (3-4 days), three a year per county (mostly 3 days, some 2) and four a year at
township level per county (1-2 days). Every cadre in post attends courses that started in
their tenure: most (about 82%) one county-level-or-above course of at least 3 days, so
the Sichuan requirement is met, plus two to four others (some partly, a few absent).
At Sichuan scale (34,000 cadres) that is about 100,000 records (fewer for recent starters).

Every choice is a hash of (seed, ...), so a rerun finds the same courses and records and
creates nothing; a rerun after new assignments adds only theirs.
"""
from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from decimal import Decimal

from assignments.models import Assignment, Region

BATCH = 5000

COUNTY_TITLES = ["驻村干部能力提升培训班", "乡村振兴专题培训班", "驻村第一书记示范培训班", "基层党建业务培训班"]
CITY_TITLES = ["驻村第一书记集中轮训班", "乡村治理专题研修班"]
PROVINCE_TITLES = ["全省驻村第一书记示范培训班", "全省驻村帮扶干部乡村振兴专题培训班"]
TOWNSHIP_TITLES = ["驻村工作队业务培训", "防止返贫监测帮扶培训", "农村实用技术培训"]
TOPIC_SETS = [",party,economy,", ",economy,service,", ",party,governance,", ",governance,service,",
              ",party,economy,governance,service,", ",policy,skills,"]


def h(*parts) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


def _day(year: int, n: int) -> dt.date:
    """A weekday-ish date in `year` picked by n (March to November, when courses run)."""
    return dt.date(year, 3, 1) + dt.timedelta(days=n % 250)


def seed_training(*, seed: int, today: dt.date, county_ids: list[int]) -> dict[str, int]:
    """Top up demo courses and records for the counties given. Returns counts created."""
    from training.models import TrainingCourse, TrainingRecord

    counties = list(Region.objects.filter(id__in=county_ids).select_related("parent", "parent__parent"))
    townships = defaultdict(list)
    for tid, pid, name in Region.objects.filter(parent_id__in=county_ids, level=Region.Level.TOWNSHIP).order_by(
            "code").values_list("id", "parent_id", "name"):
        townships[pid].append((tid, name))
    years = range(today.year - 2, today.year + 1)
    wanted: list[TrainingCourse] = []

    def course(level, title, region, managed_by, start, days, location, key):
        days = Decimal(days)
        wanted.append(TrainingCourse(
            title=title, organiser_level=level, region=region, managed_by=managed_by, start_date=start,
            end_date=start + dt.timedelta(days=int(days.to_integral_value(rounding="ROUND_CEILING")) - 1),
            days=days, hours=days * 8, location=location, topics=TOPIC_SETS[h(seed, "topics", key) % len(TOPIC_SETS)],
        ))

    cities = {c.parent_id: c.parent for c in counties}
    provinces = {c.parent.parent_id: c.parent.parent for c in counties}
    for year in years:
        for p in provinces.values():
            for i, title in enumerate(PROVINCE_TITLES):
                start = _day(year, h(seed, "p", p.code, year, i))
                course("province", f"{year}年{title}", p, p, start, 5, "成都市 四川省委党校", (p.code, year, i))
        for c in cities.values():
            for i, title in enumerate(CITY_TITLES):
                start = _day(year, h(seed, "c", c.code, year, i))
                course("city", f"{year}年{c.name}{title}", c, c, start, 3 + h(seed, "cd", c.code, year, i) % 2,
                       f"{c.name}委党校", (c.code, year, i))
        for county in counties:
            for i in range(3):
                title = COUNTY_TITLES[(i + year) % len(COUNTY_TITLES)]
                start = _day(year, h(seed, "k", county.code, year, i))
                days = 2 if h(seed, "kd", county.code, year, i) % 5 == 0 else 3
                course("county", f"{year}年{county.name}{title}（第{i + 1}期）", county, county, start, days,
                       f"{county.name}委党校", (county.code, year, i))
            tlist = townships.get(county.id, [])
            for i in range(4 if tlist else 0):
                tid, tname = tlist[h(seed, "t", county.code, year, i) % len(tlist)]
                start = _day(year, h(seed, "td", county.code, year, i))
                course("township", f"{year}年{tname}{TOWNSHIP_TITLES[i % len(TOWNSHIP_TITLES)]}" + ("（第2期）" if i >= len(TOWNSHIP_TITLES) else ""),
                       Region(id=tid), county, start, 1 + h(seed, "tn", county.code, year, i) % 2, f"{tname}便民服务中心",
                       (county.code, year, "t", i))
    existing = set(TrainingCourse.objects.filter(managed_by__in=[*county_ids, *cities, *provinces]).values_list(
        "managed_by_id", "title", "start_date"))
    new_courses = [c for c in wanted if (c.managed_by.id, c.title, c.start_date) not in existing]
    for c in new_courses:
        c.region_id, c.managed_by_id = c.region.id, c.managed_by.id
    TrainingCourse.objects.bulk_create(new_courses, batch_size=BATCH)

    # Courses each county's cadres can attend: their county's own, their city's, the province's.
    courses = list(TrainingCourse.objects.filter(
        managed_by__in=[*county_ids, *cities, *provinces], start_date__lte=today,
    ).values_list("id", "organiser_level", "managed_by_id", "start_date", "days", "hours", "title"))
    by_manager = defaultdict(list)
    for row in courses:
        by_manager[row[2]].append(row)
    county_parent = {c.id: (c.parent_id, c.parent.parent_id) for c in counties}
    assignments = list(Assignment.objects.filter(
        end_date__isnull=True, village__county_id__in=county_ids, start_date__lte=today,
    ).values_list("cadre_id", "village__county_id", "start_date"))
    have = set(TrainingRecord.objects.filter(cadre__county_id__in=county_ids).values_list("cadre_id", "course_id"))
    records = []
    for cadre_id, county_id, start in assignments:
        city_id, province_id = county_parent[county_id]
        pool = [c for m in (county_id, city_id, province_id) for c in by_manager.get(m, ()) if c[3] >= start]
        if not pool:
            continue
        pool.sort(key=lambda c: h(seed, "pick", cadre_id, c[0]))
        picks = []
        qualifying = [c for c in pool if c[1] in ("province", "city", "county") and c[4] >= 3]
        if qualifying and h(seed, "meets", cadre_id) % 100 < 82:
            picks.append((qualifying[0], "completed"))
        # The others: township courses and short county ones first, so the ~18% who skipped
        # a qualifying course mostly stay unmet (something for the scan and the report).
        others = [c for c in pool if c not in qualifying] or pool
        for c in others[: 2 + h(seed, "extra", cadre_id) % 3]:
            if all(c[0] != p[0][0] for p in picks):
                r = h(seed, "result", cadre_id, c[0]) % 100
                picks.append((c, "absent" if r < 3 else "partial" if r < 12 else "completed"))
        for (cid, _level, _m, cstart, days, hours, _t), result in picks:
            if (cadre_id, cid) in have:
                continue
            attended = days if result == "completed" else Decimal(0) if result == "absent" else max(days - 1, Decimal("0.5"))
            records.append(TrainingRecord(
                cadre_id=cadre_id, course_id=cid, days_attended=attended,
                hours_attended=(hours * attended / days).quantize(Decimal("0.1")), result=result,
                certificate_no=f"PX{cstart:%Y}{cid:05d}{cadre_id % 100000:05d}" if result == "completed" else "",
            ))
    TrainingRecord.objects.bulk_create(records, batch_size=BATCH)
    return {"courses": len(new_courses), "training records": len(records)}
