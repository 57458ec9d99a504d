"""Dashboard reads: a region's figures, broken down by its sub-regions.

The gate: `dashboard_region_for_user` answers which region a user may open (their own, or one
below it, through `regions_for_user`); every figure below is then filtered to that region's
subtree, which lies inside the user's scope by construction. A region outside it is None,
and the views answer 404 — page, drill-down and export alike.

Scale: each figure is ONE grouped query whatever the size of the data (a fixed ~15 queries
for the page), grouped by the stored county (or township, or village) id so that a province
dashboard needs no join to regions; Python folds counties into cities. The presence rates
come from attendance.DailyPresenceSummary (one row per township and day, refreshed by the
nightly scan), not from the ~1 million raw presence rows of a province's month.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from assignments.models import (
    Assignment,
    Commendation,
    Finding,
    GoodPracticeCase,
    Inspection,
    InspectionMember,
    Profile,
    Region,
    ReplacementObligation,
    Village,
)
from assignments.selectors import regions_for_user, scope_for_user

Role = Profile.Role
Level = Region.Level

# Roles that have a dashboard: those scoped by a region.
DASHBOARD_ROLES = (Role.PROVINCE, Role.CITY, Role.COUNTY, Role.TOWNSHIP)
# What a region is broken down into.
CHILD_LEVEL = {Level.PROVINCE: Level.CITY, Level.CITY: Level.COUNTY, Level.COUNTY: Level.TOWNSHIP,
               Level.TOWNSHIP: "village"}



# --- the gate ---------------------------------------------------------------------------------


def has_dashboard(user) -> bool:
    scope = scope_for_user(user)
    return scope.role in DASHBOARD_ROLES and scope.region is not None


def dashboard_region_for_user(user, region_id: int | None = None) -> Region | None:
    """The region a user's dashboard shows: their own by default, or `region_id` if it is
    their region or below it. None when the user has no dashboard or the region is outside."""
    if not has_dashboard(user):
        return None
    scope = scope_for_user(user)
    if region_id is None:
        return scope.region
    # Parents up to the province come with it, for the breadcrumbs.
    return regions_for_user(user).select_related("parent__parent__parent").filter(pk=region_id).first()


def breadcrumbs(*, user, region: Region) -> list[Region]:
    """The user's own region down to `region` (never above what the user may open)."""
    top = scope_for_user(user).region
    chain, node = [], region
    while node is not None:
        chain.append(node)
        if node.id == top.id:
            break
        # Loaded by dashboard_region_for_user's select_related: no query.
        node = node.parent if node.parent_id and Region.parent.is_cached(node) else None
    return list(reversed(chain))


# --- how a level groups -----------------------------------------------------------------------


@dataclass
class Grouping:
    """How rows of a model map to the region's sub-regions.

    Province and city group by the stored county id (`fold` maps a county to its city for the
    province); a county groups by township and a township by village."""

    region: Region
    county_ids: list[int]
    fold: dict[int, int]  # group key from the query -> sub-region id

    @property
    def level(self) -> str:
        return self.region.level

    def key(self, village_path: str) -> str:
        """The field to GROUP BY, given the path to the village ("" for Village itself)."""
        p = f"{village_path}__" if village_path else ""
        if self.level in (Level.PROVINCE, Level.CITY):
            return f"{p}county_id"
        if self.level == Level.COUNTY:
            return f"{p}township_id"
        return f"{village_path}_id" if village_path else "id"

    def where(self, village_path: str) -> Q:
        p = f"{village_path}__" if village_path else ""
        if self.level in (Level.PROVINCE, Level.CITY):
            return Q(**{f"{p}county_id__in": self.county_ids})
        if self.level == Level.COUNTY:
            return Q(**{f"{p}county_id": self.region.id})
        return Q(**{f"{p}township_id": self.region.id})

    def sub(self, key) -> int | None:
        return self.fold.get(key, key) if self.level == Level.PROVINCE else key


def _grouping(region: Region) -> Grouping:
    if region.level == Level.PROVINCE:
        pairs = list(Region.objects.filter(level=Level.COUNTY, parent__parent_id=region.id).values_list("id", "parent_id"))
        return Grouping(region, [c for c, _ in pairs], dict(pairs))
    if region.level == Level.CITY:
        ids = list(Region.objects.filter(level=Level.COUNTY, parent_id=region.id).values_list("id", flat=True))
        return Grouping(region, ids, {})
    if region.level == Level.COUNTY:
        return Grouping(region, [region.id], {})
    return Grouping(region, [region.parent_id], {})


# --- the figures --------------------------------------------------------------------------------


FIGURES = [
    "villages", "villages_with_team", "active_cadres", "no_first_secretary", "understaffed",
    "rate_yesterday", "rate_30", "on_leave_today", "shortfalls_last_month", "training_compliance",
    "open_findings", "inspections_quarter", "inspections_unexcused_share", "changes_year", "replacements_open",
]


@dataclass
class Row:
    id: int
    name: str
    code: str = ""
    villages: int = 0
    villages_with_team: int = 0
    active_cadres: int = 0
    no_first_secretary: int = 0
    understaffed: int = 0
    expected_yesterday: int = 0
    present_yesterday: int = 0
    expected_30: int = 0
    present_30: int = 0
    on_leave_today: int = 0
    shortfalls_last_month: int = 0
    training_applicable: int = 0
    training_met: int = 0
    open_findings: int = 0
    findings_by_kind: Counter = field(default_factory=Counter)
    inspections_quarter: int = 0
    inspections_unexcused: int = 0
    changes_year: int = 0
    changes_by_reason: Counter = field(default_factory=Counter)
    replacements_open: int = 0

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return round(100.0 * num / den, 1) if den else None

    @property
    def rate_yesterday(self) -> float | None:
        return self._rate(self.present_yesterday, self.expected_yesterday)

    @property
    def rate_30(self) -> float | None:
        return self._rate(self.present_30, self.expected_30)

    @property
    def training_compliance(self) -> float | None:
        return self._rate(self.training_met, self.training_applicable)

    @property
    def inspections_unexcused_share(self) -> float | None:
        return self._rate(self.inspections_unexcused, self.inspections_quarter)

    def add(self, other: Row) -> None:
        for name in ("villages", "villages_with_team", "active_cadres", "no_first_secretary", "understaffed",
                     "expected_yesterday", "present_yesterday", "expected_30", "present_30", "on_leave_today",
                     "shortfalls_last_month", "training_applicable", "training_met", "open_findings",
                     "inspections_quarter", "inspections_unexcused", "changes_year", "replacements_open"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.findings_by_kind.update(other.findings_by_kind)
        self.changes_by_reason.update(other.changes_by_reason)


@dataclass
class Dashboard:
    region: Region
    child_level: str
    today: dt.date
    rows: list[Row]
    total: Row
    yesterday: dt.date | None
    window_start: dt.date
    last_month: str
    quarter_start: dt.date
    trend: list[dict]
    findings_by_kind: list[tuple[str, str, int]]
    changes_by_reason: list[tuple[str, str, int]]
    top_units: list[dict]
    cadres: list[dict]
    commendations: list
    cases: list
    as_of: object  # datetime of the summaries' refresh, or None


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def dashboard_for_region(*, region: Region, today: dt.date, trend_days: int = 90) -> Dashboard:
    """Every figure of `region` by sub-region. A fixed number of queries (about 15)."""
    from attendance.models import DailyPresenceSummary, LeaveRequest, WorkingDay
    from attendance.selectors import leave_covers

    g = _grouping(region)
    child_level = CHILD_LEVEL[region.level]
    rows: dict[int, Row] = {}
    if child_level == "village":
        for vid, name, code in Village.objects.filter(township_id=region.id).values_list("id", "name", "code"):
            rows[vid] = Row(vid, name, code)
    else:
        for rid, name, code in Region.objects.filter(parent_id=region.id).values_list("id", "name", "code"):
            rows[rid] = Row(rid, name, code)

    def row(key) -> Row | None:
        return rows.get(g.sub(key))

    # Villages, teams, vacancies and cadres in post: one query (villages left-joined to the
    # active teams grouped by village; a hash join, ~20 ms for Sichuan's 12,000 villages).
    for k, n, with_team, cadres, no_fs, under in _village_figures(g):
        if (r := row(k)):
            r.villages += n
            r.villages_with_team += with_team
            r.active_cadres += cadres or 0
            r.no_first_secretary += no_fs
            r.understaffed += under

    # Presence rates: from the daily summaries (province, city, county) or raw rows (a township).
    window_start = today - dt.timedelta(days=30)
    trend_start = today - dt.timedelta(days=trend_days)
    # Working days of the window, read once: "yesterday" is the last working day before today.
    working = list(WorkingDay.objects.filter(date__gte=window_start, date__lt=today, is_working_day=True)
                   .order_by("date").values_list("date", flat=True))
    yesterday = working[-1] if working else None
    as_of = None
    per_assignment = (_assignment_presence(g, working=working, yesterday=yesterday)
                      if region.level in (Level.COUNTY, Level.TOWNSHIP) else [])
    if child_level == "village":
        # A township's villages: from the raw rows of its few dozen cadres.
        for a in per_assignment:
            if (r := rows.get(a["village_id"])):
                r.expected_30 += a["expected"]
                r.present_30 += a["present"]
                r.expected_yesterday += a["expected_y"]
                r.present_yesterday += a["present_y"]
    # One query over the summaries for the table (30 days, yesterday) and the trend (90 days):
    # grouped by day and sub-region, a few thousand rows at most.
    summary_key = {Level.PROVINCE: "city_id", Level.CITY: "county_id", Level.COUNTY: "township_id",
                   Level.TOWNSHIP: "township_id"}[region.level]
    # The province filters on its cities (21 values), a city on its counties.
    summary_where = {Level.PROVINCE: Q(city_id__in=list(rows)), Level.CITY: Q(county_id__in=g.county_ids),
                     Level.COUNTY: Q(county_id=region.id), Level.TOWNSHIP: Q(township_id=region.id)}[region.level]
    by_day: dict[dt.date, list[int]] = {}  # day -> [expected, present, cadres with any record]
    in_window: list[tuple] = []  # (row, day, expected, present) of the last 30 days, added below
    for s in (
        DailyPresenceSummary.objects.filter(summary_where, day__gte=trend_start, day__lt=today, working_day=True)
        .values("day", k=F(summary_key)).annotate(
            e=Sum("expected"), p=Sum(F("in_village") + F("trip")), at=Max("refreshed_at"),
            # `missing` counts the expected cadres without any (unrejected) record.
            rec=Sum(F("expected") - F("missing")),
        ).order_by()
    ):
        totals = by_day.setdefault(s["day"], [0, 0, 0])
        totals[0] += s["e"] or 0
        totals[1] += s["p"] or 0
        totals[2] += s["rec"] or 0
        if s["at"] and (as_of is None or s["at"] > as_of):
            as_of = s["at"]
        r = rows.get(s["k"]) if child_level != "village" else None
        if r is not None and s["day"] >= window_start:
            in_window.append((r, s["day"], s["e"] or 0, s["p"] or 0))
    # A day without a single presence record in the whole scope is a day without data (before
    # the system was in use, or a day nobody recorded), not a day everyone was away: its rate is
    # None, a gap in the chart and an empty cell in the export, rather than 0 %; the table's
    # 30-day and last-working-day rates leave such days out for the same reason.
    if child_level != "village" and yesterday is not None and not by_day.get(yesterday, (0, 0, 0))[2]:
        # Between midnight and the 01:00 job the last working day has no summary yet: the last
        # day that has one stands in (the card names its date) instead of "no data".
        summarised = [d for d in working if by_day.get(d, (0, 0, 0))[2]]
        yesterday = summarised[-1] if summarised else yesterday
    for r, day, e, p in in_window:
        if by_day[day][2]:
            r.expected_30 += e
            r.present_30 += p
            if day == yesterday:
                r.expected_yesterday += e
                r.present_yesterday += p
    trend = [{"day": d.isoformat(), "expected": e, "present": p,
              "rate": round(100.0 * p / e, 1) if e and rec else None}
             for d, (e, p, rec) in sorted(by_day.items())]

    # Cadres on leave today: approved leave covering today (or reported back after today).
    for lv in (
        LeaveRequest.objects.filter(g.where("assignment__village"), leave_covers(today)).values(k=F(g.key("assignment__village"))).annotate(n=Count("cadre_id", distinct=True)).order_by()
    ):
        if (r := row(lv["k"])):
            r.on_leave_today += lv["n"]

    # Open findings by kind, and last month's presence shortfalls (open or not).
    first_this_month = today.replace(day=1)
    last_month = f"{first_this_month - dt.timedelta(days=1):%Y-%m}"
    for f in (
        Finding.objects.filter(g.where("village")).filter(
            Q(status=Finding.Status.OPEN) | Q(kind=Finding.Kind.PRESENCE_SHORTFALL, period=last_month)
        ).values("kind", k=F(g.key("village"))).annotate(
            open=Count("id", filter=Q(status=Finding.Status.OPEN)),
            shortfall=Count("id", filter=Q(kind=Finding.Kind.PRESENCE_SHORTFALL, period=last_month)),
        ).order_by()
    ):
        if (r := row(f["k"])):
            r.open_findings += f["open"]
            if f["open"]:
                r.findings_by_kind[f["kind"]] += f["open"]
            r.shortfalls_last_month += f["shortfall"]

    # Team stability: assignments ended this year, by reason.
    for a in (
        Assignment.objects.filter(g.where("village"), end_date__year=today.year, end_date__lte=today)
        .values("end_reason", k=F(g.key("village"))).annotate(n=Count("id")).order_by()
    ):
        if (r := row(a["k"])):
            r.changes_year += a["n"]
            r.changes_by_reason[a["end_reason"]] += a["n"]

    _training_compliance(g, row, rows, today=today)

    quarter_start = _quarter_start(today)
    unexcused = InspectionMember.Outcome.UNEXCUSED
    for i in (
        Inspection.objects.filter(g.where("village"), date__gte=quarter_start, date__lte=today)
        .annotate(bad=Exists(InspectionMember.objects.filter(inspection=OuterRef("pk"), outcome=unexcused)))
        .values(k=F(g.key("village"))).annotate(n=Count("id"), bad_n=Count("id", filter=Q(bad=True))).order_by()
    ):
        if (r := row(i["k"])):
            r.inspections_quarter += i["n"]
            r.inspections_unexcused += i["bad_n"]
    for o in (
        ReplacementObligation.objects.filter(g.where("village"), status=ReplacementObligation.Status.OPEN)
        .values(k=F(g.key("village"))).annotate(n=Count("id")).order_by()
    ):
        if (r := row(o["k"])):
            r.replacements_open += o["n"]
    commendations = list(
        Commendation.objects.filter(_county_or_township(g, "cadre__assignments__village", "county_id"))
        .select_related("cadre").distinct().order_by("-date", "-id")[:10]
    )
    cases = list(
        GoodPracticeCase.objects.filter(g.where("village")).select_related("village")
        .order_by("-date", "-id")[:10]
    )

    # The dispatching units with the most open findings in the region.
    top_units = list(
        Finding.objects.filter(g.where("village"), status=Finding.Status.OPEN)
        .values("cadre__unit_id", "cadre__unit__name").annotate(n=Count("id"))
        .order_by("-n", "cadre__unit__name")[:10]
    )
    top_units = [{"id": u["cadre__unit_id"], "name": u["cadre__unit__name"], "open_findings": u["n"]} for u in top_units]

    cadres = _cadres_needing_attention(per_assignment)

    ordered = sorted(rows.values(), key=lambda r: r.code)
    total = Row(region.id, region.name, region.code)
    for r in ordered:
        total.add(r)
    kind_labels = dict(Finding.Kind.choices)
    reason_labels = dict(Assignment.EndReason.choices)
    return Dashboard(
        region=region, child_level=child_level, today=today, rows=ordered, total=total, yesterday=yesterday,
        window_start=window_start, last_month=last_month, quarter_start=quarter_start, trend=trend,
        findings_by_kind=[(k, str(kind_labels.get(k, k)), n) for k, n in total.findings_by_kind.most_common()],
        changes_by_reason=[(k, str(reason_labels.get(k, k)), n) for k, n in total.changes_by_reason.most_common()],
        top_units=top_units, cadres=cadres, commendations=commendations, cases=cases, as_of=as_of,
    )


def _village_figures(g: Grouping) -> list[tuple]:
    """(group key, villages, villages with a team, cadres in post, villages without a first
    secretary, under-staffed villages) per group. Raw SQL for the derived table; portable."""
    from django.db import connection

    qn = connection.ops.quote_name
    village, assignment = qn(Village._meta.db_table), qn(Assignment._meta.db_table)
    if g.level in (Level.PROVINCE, Level.CITY):
        key = "v.county_id"
        where = f"v.county_id IN ({', '.join(['%s'] * len(g.county_ids))})" if g.county_ids else "1 = 0"
        params = list(g.county_ids)
    elif g.level == Level.COUNTY:
        key, where, params = "v.township_id", "v.county_id = %s", [g.region.id]
    else:
        key, where, params = "v.id", "v.township_id = %s", [g.region.id]
    sql = f"""
        SELECT {key}, COUNT(*),
               SUM(CASE WHEN t.n > 0 THEN 1 ELSE 0 END),
               SUM(COALESCE(t.n, 0)),
               SUM(CASE WHEN COALESCE(t.fs, 0) = 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN COALESCE(t.n, 0) < %s THEN 1 ELSE 0 END)
        FROM {village} v
        LEFT JOIN (
            SELECT village_id, COUNT(*) AS n,
                   MAX(CASE WHEN role = %s THEN 1 ELSE 0 END) AS fs
            FROM {assignment} WHERE end_date IS NULL GROUP BY village_id
        ) t ON t.village_id = v.id
        WHERE {where}
        GROUP BY {key}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [settings.ZHUCUN["MIN_TEAM_SIZE"], str(Assignment.Role.FIRST_SECRETARY.value), *params])
        return [tuple(int(x or 0) for x in r) for r in cursor.fetchall()]


def _county_or_township(g: Grouping, village_path: str, county_field: str) -> Q:
    """Rows that store a county (commendations follow the cadre): the county filter, or for a
    township the cadres who served in its villages."""
    if g.level in (Level.PROVINCE, Level.CITY):
        return Q(**{f"{county_field}__in": g.county_ids})
    if g.level == Level.COUNTY:
        return Q(**{county_field: g.region.id})
    return Q(**{f"{village_path}__township_id": g.region.id})


def _training_compliance(g: Grouping, row, rows: dict[int, Row], *, today: dt.date) -> None:
    """Cadres in post meeting every training requirement that applies to them, by sub-region:
    one query (a counted subquery per requirement), the same rules as training.selectors."""
    from training.models import TrainingRecord, TrainingRequirement

    reqs = list(TrainingRequirement.objects.filter(active=True).select_related("region").order_by("id"))
    if not reqs:
        return
    if len(reqs) == 1 and reqs[0].courses_required == 1 and reqs[0].min_hours is None and (
            reqs[0].region is None or reqs[0].region.level == Level.PROVINCE):
        # The usual rule (one course of N days at county level or above during the tenure):
        # count the active assignments with a qualifying record by joining from the records,
        # a small table, instead of probing it once per cadre.
        req = reqs[0]
        since = dt.date(today.year, 1, 1) if req.period == TrainingRequirement.Period.YEAR else dt.date.min
        # One filter() call, so every cadre__assignments condition applies to the same join row.
        recs = TrainingRecord.objects.filter(
            g.where("cadre__assignments__village"),
            course__start_date__lte=today, course__start_date__gte=since,
            course__organiser_level__in=req.level_list, days_attended__gte=req.min_days_per_course,
            cadre__assignments__end_date__isnull=True,
            cadre__assignments__start_date__lte=F("course__start_date"),
        ).exclude(result=TrainingRecord.Result.ABSENT)
        met = dict(recs.values(k=F(g.key("cadre__assignments__village"))).annotate(
            n=Count("cadre_id", distinct=True)).order_by().values_list("k", "n"))
        for r in rows.values():
            r.training_applicable = r.active_cadres
        for k, n in met.items():
            if (r := row(k)):
                r.training_met += n
        return
    qs = Assignment.objects.filter(g.where("village"), end_date__isnull=True)
    met = Q()
    for req in reqs:
        recs = TrainingRecord.objects.filter(
            cadre_id=OuterRef("cadre_id"), course__start_date__gte=OuterRef("start_date"),
            course__start_date__lte=today, course__organiser_level__in=req.level_list,
        ).exclude(result=TrainingRecord.Result.ABSENT)
        if req.period == TrainingRequirement.Period.YEAR:
            recs = recs.filter(course__start_date__gte=dt.date(today.year, 1, 1))
        n = Subquery(recs.filter(days_attended__gte=req.min_days_per_course).order_by().values("cadre_id")
                     .annotate(c=Count("id")).values("c"), output_field=IntegerField())
        qs = qs.annotate(**{f"n{req.id}": Coalesce(n, Value(0))})
        ok = Q(**{f"n{req.id}__gte": req.courses_required or 0})
        if req.min_hours is not None:
            h = Subquery(recs.order_by().values("cadre_id").annotate(h=Sum("hours_attended")).values("h"))
            qs = qs.annotate(**{f"h{req.id}": Coalesce(h, Value(0), output_field=IntegerField())})
            ok &= Q(**{f"h{req.id}__gte": req.min_hours})
        if req.region is not None and req.region.level == Level.COUNTY:
            ok |= ~Q(village__county_id=req.region_id)  # applies in another county only
        met &= ok
    for a in qs.values(k=F(g.key("village"))).annotate(n=Count("id"), met=Count("id", filter=met)).order_by():
        if (r := row(a["k"])):
            r.training_applicable += a["n"]
            r.training_met += a["met"]


def _assignment_presence(g: Grouping, *, working: list[dt.date], yesterday) -> list[dict]:
    """A county's or township's assignments in post during the window, each with its working
    days in post, its counted presence (in-village and trip records, not rejected) and open
    findings: two queries whatever the number of cadres. The same rules as the summaries."""
    from attendance.models import PresenceRecord

    # Without a calendar yet (no scan has run) only the cadres in post, with no presence.
    in_window = (Q(start_date__lte=working[-1]) & (Q(end_date__isnull=True) | Q(end_date__gte=working[0]))
                 if working else Q(end_date__isnull=True))
    rows = list(
        Assignment.objects.filter(g.where("village")).filter(in_window)
        .annotate(open_findings=Count("findings", filter=Q(findings__status=Finding.Status.OPEN)))
        .values("id", "cadre_id", "cadre__name", "role", "village_id", "village__name", "start_date", "end_date",
                "open_findings")
    )
    counted = {
        p["assignment_id"]: p for p in
        PresenceRecord.objects.filter(assignment_id__in=[a["id"] for a in rows], date__in=working,
                                      kind__in=PresenceRecord.COUNTED_KINDS)
        .exclude(review_status=PresenceRecord.Review.REJECTED)
        .values("assignment_id").annotate(n=Count("id"), y=Count("id", filter=Q(date=yesterday))).order_by()
    }
    for a in rows:
        days = [d for d in working if a["start_date"] <= d and (a["end_date"] is None or a["end_date"] >= d)]
        a["expected"], a["expected_y"] = len(days), int(yesterday in days)
        c = counted.get(a["id"], {})
        a["present"], a["present_y"] = c.get("n", 0), c.get("y", 0)
    return rows


def _cadres_needing_attention(assignments: list[dict], limit: int = 25) -> list[dict]:
    """Cadres in post, lowest presence over the window first, then most open findings."""
    roles = dict(Assignment.Role.choices)
    out = [{
        "cadre_id": a["cadre_id"], "name": a["cadre__name"], "role": str(roles.get(a["role"], a["role"])),
        "village_id": a["village_id"], "village": a["village__name"], "expected": a["expected"],
        "present": a["present"], "open_findings": a["open_findings"],
        "rate": round(100.0 * a["present"] / a["expected"], 1) if a["expected"] else None,
    } for a in assignments if a["end_date"] is None]
    out.sort(key=lambda c: (c["rate"] if c["rate"] is not None else 101.0, -c["open_findings"], c["name"]))
    return out[:limit]


def region_boundaries(*, region: Region) -> dict:
    """GeoJSON FeatureCollection of the sub-regions' boundaries (cities of a province,
    counties of a city), for the map; features carry the region id and name."""
    import json

    features = []
    for rid, name, boundary in Region.objects.filter(parent_id=region.id).exclude(boundary="").values_list(
            "id", "name", "boundary"):
        try:
            geometry = json.loads(boundary)
        except ValueError:
            continue
        if geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        features.append({"type": "Feature", "properties": {"name": name, "id": rid}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}
