"""Training reads: which courses a user sees, and how far each cadre is with each requirement.

Everything user-visible starts from the scoping gate in assignments.selectors. The progress
of cadres towards the requirements is computed in ONE aggregate query over the records,
whatever the number of cadres: the nightly scan, the county report and the cadre page all
use the same rules (`record_counts` is the Python twin of the SQL in `progress_by_cadre`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from assignments import selectors as gate
from assignments.models import Assignment, Cadre, Finding, Region, Village

from .models import TrainingCourse, TrainingRecord, TrainingRequirement

Role = gate.Role


# --- the gate for courses --------------------------------------------------------------------


def _ancestor_ids(region: Region) -> list[int]:
    ids, node = [], region
    while node.parent_id is not None:
        ids.append(node.parent_id)
        node = node.parent
    return ids


def courses_for_user(user) -> QuerySet[TrainingCourse]:
    """Courses entered in the user's region or above it (a county sees its own and its city's
    and the province's), plus any course a cadre in scope attended."""
    scope = gate.scope_for_user(user)
    qs = TrainingCourse.objects.all()
    attended = Q(id__in=TrainingRecord.objects.filter(cadre__in=gate.cadres_for_user(user)).values("course_id"))
    if scope.role in (Role.PROVINCE, Role.CITY, Role.COUNTY, Role.TOWNSHIP):
        mine = Q(managed_by__in=Region.objects.filter(gate.region_subtree_q(scope.region)).values("id"))
        above = Q(managed_by_id__in=_ancestor_ids(scope.region))
        if scope.role == Role.TOWNSHIP:  # read-only: their county's courses and those above
            return qs.filter(Q(managed_by_id=scope.region.parent_id) | above | attended)
        return qs.filter(mine | above | attended)
    if scope.role == Role.UNIT:
        return qs.filter(Q(unit_id=scope.unit_id) | attended)
    if scope.role == Role.CADRE and scope.cadre_id:
        return qs.filter(attended)
    return qs.none()


def can_record_for_course(user, course: TrainingCourse) -> bool:
    """County staff record their cadres at any course they see; city and province reviewers
    only at the courses entered at their own level (the one write reviewers have)."""
    scope = gate.scope_for_user(user)
    if scope.role == Role.COUNTY:
        return courses_for_user(user).filter(pk=course.pk).exists()
    if scope.role in (Role.CITY, Role.PROVINCE):
        return course.managed_by_id == scope.region.id
    return False


def can_edit_course(user, course: TrainingCourse) -> bool:
    scope = gate.scope_for_user(user)
    return scope.role in (Role.COUNTY, Role.CITY, Role.PROVINCE) and course.managed_by_id == scope.region.id


def can_create_course(user) -> bool:
    return gate.scope_for_user(user).role in (Role.COUNTY, Role.CITY, Role.PROVINCE)


def requirements_for_user(user) -> QuerySet[TrainingRequirement]:
    """Requirements that apply somewhere in the user's view: the province-wide ones and
    those of counties in scope."""
    scope = gate.scope_for_user(user)
    if scope.role is None:
        return TrainingRequirement.objects.none()
    counties = gate.villages_for_user(user).values("county_id")
    return TrainingRequirement.objects.filter(
        Q(region__isnull=True) | Q(region__level=Region.Level.PROVINCE) | Q(region_id__in=counties)
    ).select_related("region")


def can_create_requirement(user) -> bool:
    """County staff set rules for their county; province reviewers set province-wide ones
    (the province's only rule-setting write). City reviewers only read."""
    return gate.scope_for_user(user).role in (Role.COUNTY, Role.PROVINCE)


def can_edit_requirement(user, req: TrainingRequirement) -> bool:
    """A county's own rules for its staff; the province-wide ones (no region, or the province
    region) for province reviewers. Anything else the user sees is read-only to them."""
    scope = gate.scope_for_user(user)
    if scope.role == Role.COUNTY:
        return req.region_id is not None and req.region_id == scope.region.id
    if scope.role == Role.PROVINCE:
        return req.region_id is None or req.region_id == scope.region.id
    return False


def requirement_applies(req: TrainingRequirement, *, county_id: int, province_id: int | None) -> bool:
    return req.region_id is None or req.region_id in (county_id, province_id)


# --- periods, months left, severity ----------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def months_between(today: dt.date, end: dt.date) -> int:
    """Whole months from today to end (0 once end is less than a month away or past)."""
    months = (end.year - today.year) * 12 + end.month - today.month - (1 if end.day < today.day else 0)
    return max(0, months)


def period_window(req: TrainingRequirement, *, start: dt.date, planned_end: dt.date, today: dt.date
                  ) -> tuple[dt.date, dt.date]:
    """The dates a requirement is judged over for one assignment: the whole tenure, or the
    part of this calendar year inside it."""
    if req.period == TrainingRequirement.Period.ASSIGNMENT:
        return start, planned_end
    return max(start, dt.date(today.year, 1, 1)), min(planned_end, dt.date(today.year, 12, 31))


def severity_for(*, start: dt.date, end: dt.date, today: dt.date) -> int | None:
    """None while there is still time (before the notice point), then notice, warning and
    critical as the end nears. Thresholds are settings (settings.ZHUCUN)."""
    cfg = settings.ZHUCUN
    if today >= add_months(end, -int(cfg.get("TRAINING_CRITICAL_MONTHS", 3))):
        return Finding.Severity.CRITICAL
    if today >= add_months(end, -int(cfg.get("TRAINING_WARNING_MONTHS", 6))):
        return Finding.Severity.WARNING
    total = (end - start).days
    fraction = float(cfg.get("TRAINING_NOTICE_FRACTION", 0.5))
    if total <= 0 or (today - start).days >= total * fraction:
        return Finding.Severity.NOTICE
    return None


# --- progress: one aggregate query for any number of cadres ----------------------------------


@dataclass
class Progress:
    courses: int = 0
    hours: Decimal = Decimal(0)


def record_counts(req: TrainingRequirement, record: TrainingRecord, *, assignment_start: dt.date,
                  today: dt.date) -> tuple[bool, bool]:
    """(counts as a course, counts for hours) for one record; the same rules as progress_by_cadre."""
    c = record.course
    if record.result == TrainingRecord.Result.ABSENT or c.start_date < assignment_start or c.start_date > today:
        return False, False
    if c.organiser_level not in req.level_list:
        return False, False
    if req.period == TrainingRequirement.Period.YEAR and c.start_date < dt.date(today.year, 1, 1):
        return False, False
    return record.days_attended >= req.min_days_per_course, True


def progress_by_cadre(*, requirements: list[TrainingRequirement], today: dt.date,
                      assignments: QuerySet[Assignment] | None = None) -> dict[int, dict[int, Progress]]:
    """{cadre_id: {requirement_id: Progress}} for cadres in post (one active assignment each),
    counting records of courses that started in the current assignment and not after today.

    One query: the records joined to the active assignment (on cadre_id directly: the ORM
    would add a join through the cadre table) with a filtered COUNT and SUM per requirement.
    Portable SQL (CASE inside the aggregates) for SQLite and PostgreSQL. `assignments`
    narrows it (a county, a township); None is the whole database."""
    if not requirements:
        return {}
    record, course = TrainingRecord._meta.db_table, TrainingCourse._meta.db_table
    assignment = Assignment._meta.db_table
    columns, params = [], []
    for req in requirements:
        n_sql, n_params, h_sql, h_params = _requirement_sql(req, today)
        columns += [n_sql, h_sql]
        params += [*n_params, *h_params]
    where = ["a.end_date IS NULL", "c.start_date >= a.start_date", "c.start_date <= %s", "r.result <> %s"]
    params += [today, TrainingRecord.Result.ABSENT]
    if assignments is not None:
        sub, sub_params = assignments.values("id").query.sql_with_params()
        where.append(f"a.id IN ({sub})")
        params += list(sub_params)
    sql = (f"SELECT r.cadre_id, {', '.join(columns)} FROM {record} r "
           f"JOIN {assignment} a ON a.cadre_id = r.cadre_id JOIN {course} c ON c.id = r.course_id "
           f"WHERE {' AND '.join(where)} GROUP BY r.cadre_id")
    ids = [req.id for req in requirements]
    out: dict[int, dict[int, Progress]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            out[row[0]] = {
                rid: Progress(row[1 + 2 * i] or 0, Decimal(str(row[2 + 2 * i] or 0)))
                for i, rid in enumerate(ids)
            }
    return out


def _requirement_sql(req: TrainingRequirement, today: dt.date) -> tuple[str, list, str, list]:
    """(count expression, params, hours expression, params) for one requirement: the SQL
    twin of `record_counts`. CASE inside the aggregates is portable to SQLite and PostgreSQL."""
    levels = req.level_list or ["-"]
    cond = f"c.organiser_level IN ({', '.join(['%s'] * len(levels))})"
    cond_params: list = list(levels)
    if req.period == TrainingRequirement.Period.YEAR:
        cond += " AND c.start_date >= %s"
        cond_params.append(dt.date(today.year, 1, 1))
    return (f"COUNT(CASE WHEN {cond} AND r.days_attended >= %s THEN 1 END)", [*cond_params, req.min_days_per_course],
            f"COALESCE(SUM(CASE WHEN {cond} THEN r.hours_attended END), 0)", cond_params)


def unmet_assignments(*, requirements: list[TrainingRequirement], today: dt.date,
                      county_ids: list[int] | None = None) -> list[tuple]:
    """Active assignments (started by today) failing at least one applicable requirement, in
    ONE query: each assignment LEFT JOINed to its cadre's records of courses that started in
    the tenure, grouped, filtered by HAVING. Rows: (assignment id, cadre id, village id,
    county id, start, planned end, courses and hours per requirement...). Only the unmet
    come back (a few thousand in a province), so the scan's Python work stays small."""
    if not requirements:
        return []
    a_t, v_t = Assignment._meta.db_table, Village._meta.db_table
    r_t, c_t = TrainingRecord._meta.db_table, TrainingCourse._meta.db_table
    columns, col_params, failing, fail_params = [], [], [], []
    province_counties = {}
    for req in requirements:
        n_sql, n_params, h_sql, h_params = _requirement_sql(req, today)
        columns += [n_sql, h_sql]
        col_params += [*n_params, *h_params]
        met, met_params = [], []
        if req.courses_required:
            met.append(f"{n_sql} >= %s")
            met_params += [*n_params, req.courses_required]
        if req.min_hours is not None:
            met.append(f"{h_sql} >= %s")
            met_params += [*h_params, req.min_hours]
        clause, clause_params = f"NOT ({' AND '.join(met)})", met_params
        if req.region_id is not None:
            if req.region_id not in province_counties:
                province_counties[req.region_id] = list(
                    Region.objects.filter(Q(id=req.region_id, level=Region.Level.COUNTY)
                                          | Q(parent__parent_id=req.region_id, level=Region.Level.COUNTY))
                    .values_list("id", flat=True)) or [0]
            ids = province_counties[req.region_id]
            clause = f"(v.county_id IN ({', '.join(['%s'] * len(ids))}) AND {clause})"
            clause_params = [*ids, *clause_params]
        failing.append(clause)
        fail_params += clause_params
    where, where_params = ["a.end_date IS NULL", "a.start_date <= %s"], [today]
    if county_ids is not None:
        ids = list(county_ids) or [0]
        where.append(f"v.county_id IN ({', '.join(['%s'] * len(ids))})")
        where_params += ids
    sql = (
        f"SELECT a.id, a.cadre_id, a.village_id, v.county_id, a.start_date, a.planned_end_date, {', '.join(columns)} "
        f"FROM {a_t} a JOIN {v_t} v ON v.id = a.village_id "
        f"LEFT JOIN {r_t} r ON r.cadre_id = a.cadre_id AND r.result <> %s "
        f"LEFT JOIN {c_t} c ON c.id = r.course_id AND c.start_date >= a.start_date AND c.start_date <= %s "
        f"WHERE {' AND '.join(where)} "
        f"GROUP BY a.id, a.cadre_id, a.village_id, v.county_id, a.start_date, a.planned_end_date "
        f"HAVING {' OR '.join(failing)}"
    )
    params = [*col_params, TrainingRecord.Result.ABSENT, today, *where_params, *fail_params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # The per-assignment hash aggregate spills to disk at the default 4 MB; SET LOCAL
            # lasts until the end of the scan's transaction.
            cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(sql, params)
        return cursor.fetchall()


def is_met(req: TrainingRequirement, progress: Progress | None) -> bool:
    progress = progress or Progress()
    if req.courses_required and progress.courses < req.courses_required:
        return False
    if req.min_hours is not None and progress.hours < req.min_hours:
        return False
    return True


# --- the cadre page ----------------------------------------------------------------------------


@dataclass
class RequirementStatus:
    requirement: TrainingRequirement
    met: bool
    counting: list = field(default_factory=list)
    courses: int = 0
    hours: Decimal = Decimal(0)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    months_left: int = 0


def training_status_for_cadre(*, cadre: Cadre, today: dt.date | None = None) -> dict:
    """A cadre's training history and, for the active assignment, each applicable requirement
    met or not with the records that count. Three queries whatever the history length."""
    from django.utils import timezone

    today = today or timezone.localdate()
    records = list(
        TrainingRecord.objects.filter(cadre=cadre)
        .select_related("course", "course__region", "course__unit")
        .order_by("-course__start_date", "id")
    )
    assignment = (
        Assignment.objects.filter(cadre=cadre, end_date__isnull=True)
        .select_related("village__county").first()
    )
    statuses: list[RequirementStatus] = []
    if assignment is not None:
        county = assignment.village.county
        province_id = Region.objects.filter(pk=county.parent_id).values_list("parent_id", flat=True).first()
        for req in TrainingRequirement.objects.filter(active=True).order_by("id"):
            if not requirement_applies(req, county_id=county.id, province_id=province_id):
                continue
            start, end = period_window(req, start=assignment.start_date, planned_end=assignment.planned_end_date,
                                       today=today)
            st = RequirementStatus(requirement=req, met=False, period_start=start, period_end=end,
                                   months_left=months_between(today, end))
            for r in records:
                counts, hours = record_counts(req, r, assignment_start=assignment.start_date, today=today)
                if counts:
                    st.courses += 1
                if hours:
                    st.hours += r.hours_attended
                if counts or (hours and req.min_hours is not None):
                    st.counting.append(r)
            st.met = is_met(req, Progress(st.courses, st.hours))
            statuses.append(st)
    return {"records": records, "assignment": assignment, "requirements": statuses,
            "total_days": sum((r.days_attended for r in records), Decimal(0))}


# --- reports -----------------------------------------------------------------------------------


def _id_number_for(user, row: dict) -> str:
    """The cadre's ID number as `user` may see it: the gate's one rule (full only for the staff of
    the cadre's own county, masked for everyone else), applied to the row's values through an
    unsaved Cadre, so the report stays one query whatever its size."""
    cadre = Cadre(id=row["cadre_id"], id_number=row["cadre__id_number"], county_id=row["cadre__county_id"],
                  birth_date=row["cadre__birth_date"])
    return gate.cadre_identity_for_user(user, cadre).id_number


@dataclass
class RequirementRow:
    requirement: TrainingRequirement
    applicable: int = 0
    met: int = 0
    # dicts: cadre, id_number (as the reader may see it), unit, village, township, months_left, courses, hours
    unmet: list = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.met / self.applicable if self.applicable else 0.0

    @property
    def share_percent(self) -> float:
        """To one decimal, as the dashboard's training figure (70 % there would read 69.6 % here)."""
        return round(100.0 * self.share, 1)


def training_report(*, user, assignments: QuerySet[Assignment], today: dt.date) -> dict:
    """Per requirement: active cadres it applies to, share meeting it, who does not (with
    months left, ID number as `user` may see it, unit and village); and training days by
    organiser level. Four queries whatever the size."""
    requirements = list(TrainingRequirement.objects.filter(active=True).order_by("id"))
    active = assignments.filter(end_date__isnull=True)
    rows = list(active.values(
        "id", "cadre_id", "cadre__name", "cadre__id_number", "cadre__county_id", "cadre__birth_date",
        "cadre__unit__name", "village__name", "village__township__name", "village__county_id", "village__county__name",
        "village__county__parent__parent_id", "start_date", "planned_end_date",
    ).order_by("village__township__code", "village__code", "cadre__name"))
    progress = progress_by_cadre(requirements=requirements, today=today, assignments=active)
    table = []
    for req in requirements:
        line = RequirementRow(requirement=req)
        for a in rows:
            if not requirement_applies(req, county_id=a["village__county_id"],
                                       province_id=a["village__county__parent__parent_id"]):
                continue
            line.applicable += 1
            p = progress.get(a["cadre_id"], {}).get(req.id)
            if is_met(req, p):
                line.met += 1
                continue
            _, end = period_window(req, start=a["start_date"], planned_end=a["planned_end_date"], today=today)
            p = p or Progress()
            line.unmet.append({
                "cadre_id": a["cadre_id"], "cadre": a["cadre__name"], "id_number": _id_number_for(user, a),
                "unit": a["cadre__unit__name"], "village": a["village__name"],
                "township": a["village__township__name"], "county": a["village__county__name"],
                "months_left": months_between(today, end),
                "period_end": end, "courses": p.courses, "hours": p.hours,
            })
        # The nearest deadline first (months left alone ties many), then by place.
        line.unmet.sort(key=lambda u: (u["months_left"], u["period_end"], u["county"], u["township"], u["cadre"]))
        table.append(line)
    by_level = (
        TrainingRecord.objects.filter(
            cadre__assignments__in=active.values("id"),
            course__start_date__gte=F("cadre__assignments__start_date"),
        )
        .values("course__organiser_level")
        .annotate(days=Sum("days_attended"), records=Count("id"), cadres=Count("cadre_id", distinct=True))
        .order_by("course__organiser_level")
    )
    from .models import OrganiserLevel

    found = {r["course__organiser_level"]: r for r in by_level}
    levels = [
        {"level": label, "days": found.get(code, {}).get("days") or 0, "records": found.get(code, {}).get("records", 0),
         "cadres": found.get(code, {}).get("cadres", 0)}
        for code, label in OrganiserLevel.choices
    ]
    return {"requirements": table, "levels": levels, "active": len(rows), "today": today}


def record_candidates(*, user, course: TrainingCourse) -> QuerySet[Cadre]:
    """Cadres in post in the user's scope without a record for this course yet."""
    return (
        gate.cadres_for_user(user)
        .filter(assignments__end_date__isnull=True)
        .exclude(training_records__course=course)
        .select_related("unit")
        .order_by("name", "id")
    )


def records_by_course(course: TrainingCourse, user) -> QuerySet[TrainingRecord]:
    """The records of a course the user may see: only cadres in their scope."""
    return (
        course.records.filter(cadre__in=gate.cadres_for_user(user))
        .select_related("cadre", "cadre__unit")
        .order_by("cadre__name", "id")
    )



@dataclass
class RegionShares:
    region: Region
    # Per requirement, in the order of the report's requirements: RequirementRow without names.
    lines: list[RequirementRow]


def training_shares_by_region(*, assignments: QuerySet[Assignment], by: str, today: dt.date
                              ) -> tuple[list[TrainingRequirement], list[RegionShares], list[RequirementRow]]:
    """How many cadres in post each requirement applies to and how many meet it, per city
    (`by="city"`) or county (`by="county"`) of `assignments` (already through the gate), and in
    total: the province's and a city's overview, with no list of names. Three queries whatever
    the number of cadres: the same progress query as the full report, the assignments' places
    (small tuples, ~34,000 for Sichuan), and the regions' names."""
    requirements = list(TrainingRequirement.objects.filter(active=True).order_by("id"))
    active = assignments.filter(end_date__isnull=True)
    key = {"city": "village__county__parent_id", "county": "village__county_id"}[by]
    progress = progress_by_cadre(requirements=requirements, today=today, assignments=active)
    groups: dict[int, list[RequirementRow]] = {}
    total = [RequirementRow(requirement=req) for req in requirements]
    for cadre_id, county_id, province_id, region_id in active.values_list(
            "cadre_id", "village__county_id", "village__county__parent__parent_id", key).iterator(chunk_size=5000):
        lines = groups.get(region_id)
        if lines is None:
            lines = groups[region_id] = [RequirementRow(requirement=req) for req in requirements]
        mine = progress.get(cadre_id, {})
        for i, req in enumerate(requirements):
            if not requirement_applies(req, county_id=county_id, province_id=province_id):
                continue
            met = is_met(req, mine.get(req.id))
            for line in (lines[i], total[i]):
                line.applicable += 1
                line.met += met
    regions = Region.objects.filter(pk__in=groups).select_related("parent").order_by("code")
    return requirements, [RegionShares(region=r, lines=groups[r.pk]) for r in regions], total
