"""Realistic demo data: townships, villages, dispatching units, cadres, teams and demo logins.

`seed_demo` (small: 60 villages, 150 cadres, most in 广元市苍溪县) or `seed_demo --scale sichuan`
(12,000 villages, 34,000 cadres over all 183 counties). Every run "tops up": it works out per
county how many townships, villages and cadres the options ask for, compares with what is
there, and generates only the difference, so a second run with the same options creates
nothing and `--scale sichuan` after the small default grows the same data set.

Speed: everything is computed in Python from a handful of up-front queries, then written
with bulk_create in batches (with simple-history rows for cadres and assignments), one
transaction per phase. No per-row queries.
"""
from __future__ import annotations

import datetime as dt
import heapq
import math
import random
import time
import zlib
from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np
import shapely
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from faker import Faker
from simple_history.utils import bulk_create_with_history

from assignments.idcard import check_character
from assignments.models import Assignment, Cadre, DispatchingUnit, Profile, Region, Village, VillageCategory
from assignments.roster import display_width

from . import _demo_names as names

BATCH = 2000
PROVINCE_CODE = "510000"
DEMO_COUNTY = "510824"  # 广元市苍溪县
DEMO_CITY = "510800"  # 广元市
# The small default: the demo county holds most of the roster, a few neighbours the rest
# (剑阁县 in the same city, 昭觉县 in 凉山 for 彝族 cadres, 金堂县 in 成都 for another city).
FOCUS_COUNTIES = [(DEMO_COUNTY, 0.60), ("510823", 0.15), ("513431", 0.15), ("510121", 0.10)]
SCALES = {"sichuan": (12_000, 34_000)}
DEFAULT_SEED = 20220301
DEFAULT_PASSWORD = "zhucun-demo"
HISTORY_REASON = "seed_demo"


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `total` over keys in proportion to weights (largest remainder), deterministically."""
    wsum = sum(weights.values()) or 1.0
    exact = {k: total * w / wsum for k, w in weights.items()}
    out = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(out.values())
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[:rest]:
        out[k] += 1
    return out


def stable_int(*parts) -> int:
    """A number that depends only on its inputs (not on run order), for per-row choices."""
    return zlib.crc32(":".join(map(str, parts)).encode())


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class Seeder:
    def __init__(self, *, villages: int, cadres: int, scale: str | None, seed: int, out, style):
        self.villages_target = villages
        self.cadres_target = cadres
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        self.out = out
        self.style = style
        self.today = dt.date.today()
        self.timings: list[tuple[str, int, float]] = []
        # Province-wide spread (all 183 counties) rather than the few focus counties.
        self.big = scale == "sichuan" or villages >= 2000

    # ------------------------------------------------------------------ helpers
    def phase(self, label: str, func):
        # Each phase draws from its own seeded generators, so what a phase makes does not
        # depend on how much earlier phases had to make (reproducible top-ups too).
        phase_seed = stable_int(self.seed, label)
        self.rng = random.Random(phase_seed)
        self.np_rng = np.random.default_rng(phase_seed)
        self.faker.seed_instance(phase_seed)
        started = time.perf_counter()
        with transaction.atomic():
            created = func()
        elapsed = time.perf_counter() - started
        self.timings.append((label, created, elapsed))
        self.out.write(f"  {label:<12} {created:>7} created  {elapsed:7.2f} s")
        return created

    def random_date(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    # ------------------------------------------------------------------ targets
    def load_geography(self):
        counties = list(
            Region.objects.filter(level=Region.Level.COUNTY, code__startswith="51")
            .select_related("parent")
            .only("id", "code", "name", "parent__id", "parent__code", "parent__name")
        )
        if not counties:
            raise CommandError("No Sichuan counties: run load_regions first.")
        self.counties = {c.code: c for c in counties}
        self.province = Region.objects.get(code=PROVINCE_CODE)
        dup = {n for n, k in Counter(c.name for c in counties).items() if k > 1}
        # 市中区 exists in both 乐山 and 内江: unit names qualify such counties with their city.
        self.county_label = {c.code: (c.parent.name + c.name if c.name in dup else c.name) for c in counties}

        if self.big:
            weights = {}
            for code, county in sorted(self.counties.items()):
                # Urban districts have few villages; counties and county-level cities many.
                base = 0.35 if county.name.endswith("区") else 1.15
                weights[code] = base * self.rng.uniform(0.6, 1.4)
        else:
            weights = {code: w for code, w in FOCUS_COUNTIES if code in self.counties}
        self.village_alloc = {k: v for k, v in allocate(self.villages_target, weights).items() if v > 0}
        self.cadre_alloc = allocate(self.cadres_target, {k: float(v) for k, v in self.village_alloc.items()})
        self.target_codes = sorted(self.village_alloc)
        self.target_ids = [self.counties[c].pk for c in self.target_codes]

    # ------------------------------------------------------------------ townships
    def make_townships(self) -> int:
        existing = defaultdict(list)
        for t in Region.objects.filter(level=Region.Level.TOWNSHIP, parent_id__in=self.target_ids).only(
            "id", "code", "name", "parent_id"
        ):
            existing[t.parent_id].append(t)
        new = []
        for code in self.target_codes:
            county = self.counties[code]
            # About five villages a township; at Sichuan scale every county gets 8-20 of them.
            want = min(20, max(8 if self.big else 2, math.ceil(self.village_alloc[code] / 5)))
            have = existing[county.pk]
            missing = want - len(have)
            if missing <= 0:
                continue
            used_codes = {t.code for t in have}
            used_names = {t.name for t in have}
            candidates = list(names.CANGXI_TOWNSHIPS) if code == DEMO_COUNTY else []
            stems = names.TOWNSHIP_STEMS[:]
            random.Random(stable_int(self.seed, code)).shuffle(stems)
            candidates += [s + ("乡" if stable_int(s, code) % 10 < 3 else "镇") for s in stems]
            # Unique within the county (a database constraint): dict.fromkeys drops a stem that
            # happens to repeat a real 苍溪县 name, the filter the names already there.
            candidates = [n for n in dict.fromkeys(candidates) if n not in used_names]
            free_codes = (f"{code}{i:03d}" for i in range(100, 1000) if f"{code}{i:03d}" not in used_codes)
            for name, tcode in zip(candidates[:missing], free_codes, strict=False):
                new.append(Region(code=tcode, name=name, level=Region.Level.TOWNSHIP, parent_id=county.pk))
        Region.objects.bulk_create(new, batch_size=BATCH)
        self.townships = defaultdict(list)  # county id -> townships, by code
        for t in Region.objects.filter(level=Region.Level.TOWNSHIP, parent_id__in=self.target_ids).order_by("code"):
            self.townships[t.parent_id].append(t)
        return len(new)

    # ------------------------------------------------------------------ villages
    def points_in(self, county: Region, n: int) -> list[tuple[Decimal, Decimal]]:
        """n (latitude, longitude) points inside the county boundary, by rejection sampling."""
        geom = shapely.from_geojson(county.boundary)
        shapely.prepare(geom)
        minx, miny, maxx, maxy = geom.bounds
        points: list[tuple[Decimal, Decimal]] = []
        while len(points) < n:
            size = max(64, (n - len(points)) * 4)
            xs = np.round(self.np_rng.uniform(minx, maxx, size), 6)
            ys = np.round(self.np_rng.uniform(miny, maxy, size), 6)
            # Test the rounded values: they are what is stored, and must be inside too.
            inside = shapely.contains_xy(geom, xs, ys)
            for x, y in zip(xs[inside], ys[inside], strict=True):
                points.append((Decimal(f"{y:.6f}"), Decimal(f"{x:.6f}")))
        return points[:n]

    def random_categories(self) -> str:
        codes = [c for c in VillageCategory.values if c != VillageCategory.OTHER]
        picked = self.rng.sample(codes, k=weighted(self.rng, [(0, 25), (1, 50), (2, 20), (3, 5)]))
        if not picked and self.rng.random() < 0.5:
            picked = [VillageCategory.OTHER]
        return Village.pack_categories(picked)

    def make_villages(self) -> int:
        counts = dict(
            Village.objects.filter(county_id__in=self.target_ids)
            .values_list("county_id").annotate(n=Count("id")).values_list("county_id", "n")
        )
        per_township: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for tid, vcode, vname in Village.objects.filter(county_id__in=self.target_ids).values_list(
            "township_id", "code", "name"
        ):
            per_township[tid].append((vcode, vname))
        need = {c: self.village_alloc[c] - counts.get(self.counties[c].pk, 0) for c in self.target_codes}
        boundaries = dict(
            Region.objects.filter(code__in=[c for c, n in need.items() if n > 0]).values_list("code", "boundary")
        )
        new = []
        for code in self.target_codes:
            missing = need[code]
            if missing <= 0:
                continue
            county = self.counties[code]
            county.boundary = boundaries[code]
            townships = self.townships[county.pk]
            # Fill the emptiest township first, so townships end up with similar numbers.
            heap = [(len(per_township[t.pk]), t.code, t) for t in townships]
            heapq.heapify(heap)
            points = self.points_in(county, missing)
            for lat, lon in points:
                n, _, township = heapq.heappop(heap)
                taken = per_township[township.pk]
                used_codes = {c for c, _ in taken}
                used_names = {nm for _, nm in taken}
                seq = 200 + len(taken)
                while f"{township.code}{seq:03d}" in used_codes:
                    seq += 1
                # Unique within the township (a database constraint): ~1,600 two-character names
                # for a few dozen villages, then a numbered name, checked too (a user may have
                # created one like it).
                name = None
                for _attempt in range(50):
                    cand = self.rng.choice(names.VILLAGE_FIRST) + self.rng.choice(names.VILLAGE_SECOND) + "村"
                    if cand not in used_names:
                        name = cand
                        break
                number = seq - 199
                while name is None or name in used_names:
                    name = f"{township.name[:2]}{number}村"
                    number += 1
                vcode = f"{township.code}{seq:03d}"
                taken.append((vcode, name))
                new.append(
                    Village(
                        name=name, code=vcode, township_id=township.pk, county_id=county.pk,
                        categories=self.random_categories(), latitude=lat, longitude=lon,
                        checkin_radius_m=self.rng.choice([1000, 1500, 2000, 2500, 3000]),
                    )
                )
                heapq.heappush(heap, (n + 1, township.code, township))
        Village.objects.bulk_create(new, batch_size=BATCH)
        return len(new)

    # ------------------------------------------------------------------ units
    def wanted_units(self) -> list[tuple[str, str, str, Region]]:
        """(name, level, kind, home region) of every unit the target counties draw cadres from."""
        L = DispatchingUnit.Level
        rows = [(n, L.CENTRAL, k, self.province) for n, k in names.CENTRAL_UNITS]
        rows += [(n, L.PROVINCE, k, self.province) for n, k in names.PROVINCE_UNITS]
        cities = {self.counties[c].parent for c in self.target_codes}
        for city in sorted(cities, key=lambda r: r.code):
            short = city.name.removesuffix("市") if city.name.endswith("市") else city.name[:2]
            rows += [(t.format(c=city.name, s=short), L.CITY, k, city) for t, k in names.CITY_UNITS]
        for code in self.target_codes:
            county, label = self.counties[code], self.county_label[code]
            rows += [(t.format(k=label), L.COUNTY, k, county) for t, k in names.COUNTY_UNITS]
            for township in self.townships[county.pk]:
                rows += [(t.format(k=label, t=township.name), L.TOWNSHIP, k, township) for t, k in names.TOWNSHIP_UNITS]
        return rows

    def make_units(self) -> int:
        wanted = self.wanted_units()
        existing = set(DispatchingUnit.objects.filter(name__in=[w[0] for w in wanted]).values_list("name", flat=True))
        new = []
        for name, level, kind, region in wanted:
            if name in existing:
                continue
            existing.add(name)
            if level in ("central", "province"):
                phone = f"028-{self.rng.randint(8000_0000, 8799_9999)}"
            else:
                phone = self.mobile()
            new.append(
                DispatchingUnit(
                    name=name, level=level, kind=kind, home_region=region,
                    contact_person=self.faker.name(), contact_phone=phone,
                )
            )
        DispatchingUnit.objects.bulk_create(new, batch_size=BATCH)
        # Pools a cadre's unit is drawn from, per county.
        units = {u.name: u for u in DispatchingUnit.objects.filter(name__in=[w[0] for w in wanted])}
        self.upper_units = [units[w[0]] for w in wanted if w[1] in ("central", "province")]
        self.city_units = defaultdict(list)
        self.county_units = defaultdict(list)
        self.township_units = defaultdict(list)
        for name, level, _kind, region in wanted:
            if level == "city":
                self.city_units[region.pk].append(units[name])
            elif level == "county":
                self.county_units[region.pk].append(units[name])
            elif level == "township":
                self.township_units[region.parent_id].append(units[name])
        return len(new)

    # ------------------------------------------------------------------ cadres
    def mobile(self) -> str:
        return self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"

    def ethnicity(self, county_code: str) -> str:
        prefix = county_code[:4]
        if prefix == "5134":  # 凉山彝族自治州
            return weighted(self.rng, [("彝族", 45), ("汉族", 50), ("回族", 2), ("藏族", 3)])
        if prefix == "5133":  # 甘孜藏族自治州
            return weighted(self.rng, [("藏族", 60), ("汉族", 37), ("彝族", 3)])
        if prefix == "5132":  # 阿坝藏族羌族自治州
            return weighted(self.rng, [("藏族", 40), ("羌族", 20), ("汉族", 38), ("回族", 2)])
        return weighted(self.rng, [("汉族", 97), ("回族", 1), ("土家族", 1), ("苗族", 1)])

    def id_number(self, birth: dt.date, gender: str, area: str) -> str:
        while True:
            # Digit 17 is odd for men and even for women (GB 11643).
            seq = self.rng.randint(0, 99) * 10 + self.rng.choice((1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8))
            first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
            value = first17 + check_character(first17)
            if value not in self.id_numbers:
                self.id_numbers.add(value)
                return value

    def pick_unit(self, county: Region) -> DispatchingUnit:
        pools = [
            (self.upper_units, 20),
            (self.city_units[county.parent_id], 20),
            (self.county_units[county.pk], 45),
            (self.township_units[county.pk], 15),
        ]
        pools = [(p, w) for p, w in pools if p]
        return self.rng.choice(weighted(self.rng, pools))

    def make_cadres(self) -> int:
        counts = dict(
            Cadre.objects.filter(county_id__in=self.target_ids)
            .values_list("county_id").annotate(n=Count("id")).values_list("county_id", "n")
        )
        self.id_numbers = set(Cadre.objects.values_list("id_number", flat=True))
        birth_from, birth_to = dt.date(1965, 1, 1), dt.date(1998, 12, 31)
        areas = sorted(self.counties)
        S, E = Cadre.PoliticalStatus, Cadre.Education
        new = []
        for code in self.target_codes:
            county = self.counties[code]
            for _ in range(self.cadre_alloc[code] - counts.get(county.pk, 0)):
                gender = "M" if self.rng.random() < 0.68 else "F"
                birth = self.random_date(birth_from, birth_to)
                # Most cadres were born in the county's own city; some elsewhere in Sichuan.
                if self.rng.random() < 0.7:
                    area = code
                else:
                    area = self.rng.choice(areas)
                unit = self.pick_unit(county)
                new.append(
                    Cadre(
                        name=self.faker.name_male() if gender == "M" else self.faker.name_female(),
                        gender=gender, birth_date=birth, ethnicity=self.ethnicity(code),
                        political_status=weighted(
                            self.rng, [(S.MEMBER, 85), (S.PROBATIONARY, 3), (S.LEAGUE, 4), (S.DEMOCRATIC, 2), (S.MASSES, 6)]
                        ),
                        education=weighted(
                            self.rng, [(E.POSTGRADUATE, 12), (E.BACHELOR, 60), (E.JUNIOR_COLLEGE, 22), (E.SECONDARY, 6)]
                        ),
                        rank=weighted(self.rng, names.RANKS[unit.kind]),
                        id_number=self.id_number(birth, gender, area),
                        mobile=self.mobile(), unit=unit, county_id=county.pk,
                    )
                )
        bulk_create_with_history(new, Cadre, batch_size=BATCH, default_change_reason=HISTORY_REASON)
        self.new_cadre_ids = set(
            Cadre.objects.filter(id_number__in=[c.id_number for c in new]).values_list("id", flat=True)
        ) if new and not new[0].pk else {c.pk for c in new}
        return len(new)

    # ------------------------------------------------------------------ teams
    def make_assignments(self) -> int:
        R = Assignment.Role
        villages = defaultdict(list)  # county id -> [(village id, code)]
        for vid, vcode, cid in Village.objects.filter(county_id__in=self.target_ids).order_by("code").values_list(
            "id", "code", "county_id"
        ):
            villages[cid].append((vid, vcode))
        has_fs, members, has_leader, busy = set(), Counter(), set(), set()
        for vid, cid, role in Assignment.objects.filter(
            village__county_id__in=self.target_ids, end_date__isnull=True
        ).values_list("village_id", "cadre_id", "role"):
            busy.add(cid)
            if role == R.FIRST_SECRETARY:
                has_fs.add(vid)
            else:
                members[vid] += 1
                if role == R.TEAM_LEADER:
                    has_leader.add(vid)
        busy |= set(Assignment.objects.filter(end_date__isnull=True).values_list("cadre_id", flat=True))
        free = defaultdict(list)
        for cid, county_id in Cadre.objects.filter(county_id__in=self.target_ids).order_by("id").values_list(
            "id", "county_id"
        ):
            if cid not in busy:
                free[county_id].append(cid)

        tenure_days = 548  # start dates spread over the last ~1.5 years
        active, ended = [], []
        for code in self.target_codes:
            county = self.counties[code]
            pool = free[county.pk][::-1]  # pop() takes the oldest free cadre first
            vlist = villages[county.pk]
            if not vlist:
                continue
            # Pass 0: a first secretary for every village; passes 1-3: members up to the
            # village's team size (fixed per village, so a rerun asks for the same team).
            for rnd in range(4):
                for vid, vcode in vlist:
                    if not pool:
                        break
                    if rnd == 0:
                        if vid in has_fs:
                            continue
                        role = R.FIRST_SECRETARY
                        has_fs.add(vid)
                    else:
                        size = 1 + stable_int(self.seed, vcode) % 3
                        if members[vid] >= min(size, rnd):
                            continue
                        if vid not in has_leader and stable_int("leader", self.seed, vcode) % 5 == 0:
                            role = R.TEAM_LEADER
                            has_leader.add(vid)
                        else:
                            role = R.TEAM_MEMBER
                        members[vid] += 1
                    cadre_id = pool.pop()
                    start = self.today - dt.timedelta(days=self.rng.randint(0, tenure_days))
                    active.append(
                        Assignment(
                            cadre_id=cadre_id, village_id=vid, role=role, start_date=start,
                            planned_end_date=Assignment.default_planned_end(start),
                        )
                    )
                    if cadre_id in self.new_cadre_ids and self.rng.random() < 0.06:
                        ended.append(self.ended_before(cadre_id, start, self.rng.choice(vlist)[0]))
        bulk_create_with_history(
            ended + active, Assignment, batch_size=BATCH, default_change_reason=HISTORY_REASON,
        )
        return len(ended) + len(active)

    def ended_before(self, cadre_id: int, next_start: dt.date, village_id: int) -> Assignment:
        """An earlier, ended assignment of the cadre: the history a county carries."""
        reason = weighted(self.rng, [("rotation", 5), ("recall", 2), ("adjustment", 3)])
        end = next_start - dt.timedelta(days=self.rng.randint(1, 20))
        if reason == "rotation":
            start = end - dt.timedelta(days=730)
        else:
            start = end - dt.timedelta(days=self.rng.randint(90, 500))
        return Assignment(
            cadre_id=cadre_id, village_id=village_id,
            role=self.rng.choice([Assignment.Role.FIRST_SECRETARY, Assignment.Role.TEAM_MEMBER]),
            start_date=start, planned_end_date=Assignment.default_planned_end(start),
            end_date=end, end_reason=reason, end_note=names.END_NOTES[reason],
        )

    # ------------------------------------------------------------------ logins
    def make_logins(self, password: str) -> list[tuple[str, str, str]]:
        """Demo users scoped to the generated data; reruns reset password and scope."""
        P = Profile.Role
        county = self.counties.get(DEMO_COUNTY)
        rows = []
        if county is None:
            return rows
        User = get_user_model()

        def upsert(username: str, role: str, scope: str, *, region=None, unit=None, name: str = "") -> User:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_active = True
            # Pages name people, not logins ("decided by 陈刚"); a Chinese name is one string.
            user.first_name, user.last_name = name or DEMO_STAFF_NAMES.get(username, ""), ""
            user.save()
            Profile.objects.update_or_create(user=user, defaults={"role": role, "region": region, "unit": unit})
            rows.append((username, str(P(role).label), scope))
            return user

        upsert("demo_province", P.PROVINCE, self.province.name, region=self.province)
        upsert("demo_city", P.CITY, county.parent.name, region=county.parent)
        upsert("demo_county", P.COUNTY, county.name, region=county)

        def current_scope(username: str, field: str):
            """The demo user's present scope, kept on reruns while it still fits."""
            profile = Profile.objects.filter(user__username=username).first()
            return getattr(profile, field + "_id", None) if profile else None

        townships = (
            Region.objects.filter(parent=county, level=Region.Level.TOWNSHIP, villages__isnull=False)
            .annotate(n=Count("villages")).order_by("-n", "code")
        )
        township = townships.filter(pk=current_scope("demo_township", "region")).first() or townships.first()
        if township:
            upsert("demo_township", P.TOWNSHIP, county.name + township.name, region=township)

        units = (
            DispatchingUnit.objects.filter(cadres__county=county, cadres__assignments__end_date__isnull=True)
            .annotate(n=Count("cadres", distinct=True)).order_by("-n", "name")
        )
        unit = units.filter(pk=current_scope("demo_unit", "unit")).first() or units.first()
        if unit:
            upsert("demo_unit", P.UNIT, unit.name, unit=unit)

        fs = Assignment.objects.filter(
            village__county=county, role=Assignment.Role.FIRST_SECRETARY, end_date__isnull=True,
        ).select_related("cadre", "village")
        current = fs.filter(cadre__user__username="demo_cadre").first()
        chosen = current or fs.filter(cadre__user__isnull=True).order_by("cadre_id").first()
        if chosen:
            user = upsert("demo_cadre", P.CADRE, f"{chosen.cadre.name} · {chosen.village.name}",
                          name=chosen.cadre.name)
            Cadre.objects.filter(user=user).exclude(pk=chosen.cadre_id).update(user=None)
            if chosen.cadre.user_id != user.pk:
                chosen.cadre.user = user
                chosen.cadre.save(update_fields=["user"])
        return rows



# The people behind the demo staff logins.
DEMO_STAFF_NAMES = {"demo_province": "周敏", "demo_city": "郑伟", "demo_county": "李娜", "demo_township": "陈刚",
                    "demo_unit": "王芳"}


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 1)

class Command(BaseCommand):
    help = (
        "Generate realistic demo data (townships, villages, units, cadres, teams, demo logins). "
        "Tops up: a rerun creates only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--villages", type=int, default=None, help="Target number of villages (default 60).")
        parser.add_argument("--cadres", type=int, default=None, help="Target number of cadres (default 150).")
        parser.add_argument("--days", type=int, default=0, help="Days of attendance history: presence, leave, work logs (default 0).")
        parser.add_argument("--scale", choices=sorted(SCALES), default=None,
                            help="sichuan: 12,000 villages and 34,000 cadres over all 183 counties.")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password of the demo logins.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (fixed by default).")

    def handle(self, *args, **opts):
        default_villages, default_cadres = SCALES.get(opts["scale"], (60, 150))
        villages = opts["villages"] if opts["villages"] is not None else default_villages
        cadres = opts["cadres"] if opts["cadres"] is not None else default_cadres
        if villages < 1 or cadres < 0:
            raise CommandError("--villages must be at least 1 and --cadres at least 0.")

        started = time.perf_counter()
        with_boundary = Region.objects.filter(level=Region.Level.COUNTY, code__startswith="51").exclude(boundary="")
        if with_boundary.count() < 183:
            self.stdout.write("Regions missing: running load_regions first.")
            call_command("load_regions", stdout=self.stdout)

        seeder = Seeder(
            villages=villages, cadres=cadres, scale=opts["scale"], seed=opts["seed"],
            out=self.stdout, style=self.style,
        )
        self.stdout.write(f"Seeding to {villages} villages and {cadres} cadres (seed {opts['seed']}):")
        seeder.phase("geography", lambda: seeder.load_geography() or 0)
        seeder.phase("townships", seeder.make_townships)
        seeder.phase("villages", seeder.make_villages)
        seeder.phase("units", seeder.make_units)
        seeder.phase("cadres", seeder.make_cadres)
        seeder.phase("assignments", seeder.make_assignments)
        logins: list[tuple[str, str, str]] = []

        def make_logins() -> int:
            logins.extend(seeder.make_logins(opts["password"]))
            return 0  # users are reset, not counted as new data

        seeder.phase("logins", make_logins)
        if apps.is_installed("training"):
            from ._demo_training import seed_training

            seeder.phase("training", lambda: sum(seed_training(
                seed=opts["seed"], today=seeder.today, county_ids=seeder.target_ids).values()))
        if opts["days"] > 0:
            if apps.is_installed("attendance"):
                from ._demo_attendance import seed_attendance

                detail: dict[str, int] = {}

                def make_attendance() -> int:
                    # Location check-in on in the demo county only: both modes are there to see.
                    demo = seeder.counties.get(DEMO_COUNTY)
                    detail.update(seed_attendance(
                        days=opts["days"], seed=opts["seed"], today=seeder.today, county_ids=seeder.target_ids,
                        located_county_ids=(demo.pk,) if demo is not None and demo.pk in seeder.target_ids else (),
                    ))
                    return sum(detail.values())

                seeder.phase("attendance", make_attendance)
                self.stdout.write(
                    f"  attendance, last {opts['days']} days: " + ", ".join(f"{n} {k}" for k, n in detail.items())
                )
            else:
                self.stdout.write(f"Note: --days {opts['days']} ignored: the attendance app is not installed.")
        # Supervision: inspections, assessments, a recall per county, payments, exemplars.
        from ._demo_supervision import seed_supervision

        sup: dict[str, int] = {}
        seeder.phase("supervision", lambda: sup.update(seed_supervision(
            seed=opts["seed"], today=seeder.today, county_ids=seeder.target_ids)) or sum(sup.values()))
        self.stdout.write("  supervision: " + ", ".join(f"{n} {k}" for k, n in sup.items()))
        self.timings = seeder.timings
        totals = {
            "townships": Region.objects.filter(level=Region.Level.TOWNSHIP).count(),
            "villages": Village.objects.count(),
            "units": DispatchingUnit.objects.count(),
            "cadres": Cadre.objects.count(),
            "assignments": Assignment.objects.count(),
            "ended assignments": Assignment.objects.filter(end_date__isnull=False).count(),
        }
        self.totals = totals
        self.stdout.write("Totals: " + ", ".join(f"{n} {label}" for label, n in totals.items()) + ".")
        if logins:
            self.stdout.write(f"\nDemo logins (password: {opts['password']}):")
            width = max(display_width(role) for _, role, _ in logins) + 2
            self.stdout.write(f"  {'username':<14} {_pad('role', width)}scope")
            for username, role, scope in logins:
                self.stdout.write(f"  {username:<14} {_pad(role, width)}{scope}")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s."))
