"""Reads for supervision, incentives and publicity.

Every scoped queryset here starts from the assignments scoping gate: the region roles filter on
the county stored on each row (one indexed filter, like Finding), the other roles on the gate's
cadres, villages or their own unit. Aggregates for the dashboards are set-based: one grouped
query each, whatever the number of villages.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum

from assignments import selectors as gate
from assignments.models import (
    AnnualAssessment,
    Assignment,
    BenefitKind,
    BenefitPayment,
    Commendation,
    Finding,
    GoodPracticeCase,
    Inspection,
    InspectionMember,
    InspectionSample,
    Region,
    ReplacementObligation,
    Village,
)

Role = gate.Role
REGION_ROLES = (Role.PROVINCE, Role.CITY, Role.COUNTY)

DEFAULT_CAPS = {1: "competent", 2: "basically_competent", 3: "incompetent"}
DEFAULT_BENEFITS = {
    "WORK_FUNDS_PER_VILLAGE_YEAR": 10000,
    "LIVING_SUBSIDY_PER_DAY": 50,
    "ACCIDENT_INSURANCE_PER_YEAR": 300,
    "HEALTH_CHECK_PER_YEAR": 500,
}
CENT = Decimal("0.01")


def zhucun(key: str, default):
    return getattr(settings, "ZHUCUN", {}).get(key, default)


def replacement_due_days() -> int:
    return int(zhucun("REPLACEMENT_DUE_DAYS", 30))


def benefit_rules() -> dict[str, Decimal]:
    rules = {**DEFAULT_BENEFITS, **zhucun("BENEFITS", {})}
    return {k: Decimal(str(v)) for k, v in rules.items()}


def assessment_caps() -> list[tuple[int, str]]:
    """(threshold, best grade allowed) pairs, highest threshold first. Keys may come from the
    environment as strings, so they are read as numbers."""
    caps = zhucun("ASSESSMENT_CAPS", DEFAULT_CAPS)
    return sorted(((int(k), v) for k, v in caps.items()), reverse=True)


def assessment_best_grade(*, unexcused: int) -> str | None:
    """The best grade the cap rule allows for this many unexcused absences (None: no cap)."""
    for threshold, grade in assessment_caps():
        if unexcused >= threshold:
            return grade
    return None


def assessment_allowed_grades(*, best: str | None) -> list[str]:
    """The grades the cap allows, best first: the cap's grade and every grade after it."""
    order = [str(g) for g in AnnualAssessment.GRADE_ORDER]
    return order if best is None else order[order.index(best):]


def assessment_cap_message(*, unexcused: int, year: int, best: str) -> str:
    """Why the grade is capped, in one sentence: the form shows it next to the grade and the
    service refuses with it. When the cap is the lowest grade "at most" reads oddly, so say
    "only"."""
    from django.utils.translation import gettext as _

    args = {"n": unexcused, "y": year, "best": AnnualAssessment.Grade(best).label}
    if best == AnnualAssessment.GRADE_ORDER[-1]:
        return _("%(n)d unexcused absence(s) found by inspection in %(y)d: the grade can only be “%(best)s”.") % args
    return _("%(n)d unexcused absence(s) found by inspection in %(y)d: the grade can be at most “%(best)s”.") % args


# --- scoped querysets ---------------------------------------------------------------------------


def _region_q(user, prefix: str = "county") -> Q | None:
    return gate.county_scope_q(user, prefix)


def inspections_for_user(user) -> QuerySet[Inspection]:
    scope = gate.scope_for_user(user)
    qs = Inspection.objects.all()
    region_q = _region_q(user)
    if region_q is not None:
        return qs.filter(region_q)
    if scope.role == Role.TOWNSHIP:
        return qs.filter(village__township_id=scope.region.id)
    if scope.role == Role.UNIT:
        return qs.filter(Exists(InspectionMember.objects.filter(inspection=OuterRef("pk"), cadre__unit_id=scope.unit_id)))
    if scope.role == Role.CADRE and scope.cadre_id:
        return qs.filter(Exists(InspectionMember.objects.filter(inspection=OuterRef("pk"), cadre_id=scope.cadre_id)))
    return qs.none()


def inspection_members_for_user(*, user, inspection: Inspection) -> QuerySet[InspectionMember]:
    """The team members of an inspection whose outcome the user may read: the cadres the gate
    shows them. A liaison reads an inspection because one of their unit's cadres was in the
    team, a cadre because they were; neither reads the other members' outcomes (whether a
    colleague of another unit was found absent without leave). County, township and reviewers,
    whose area holds the village, see the whole team. The same rule as a course's records."""
    return (inspection.members.filter(cadre__in=gate.cadres_for_user(user))
            .select_related("cadre", "assignment", "finding").order_by("id"))


def samples_for_user(user) -> QuerySet[InspectionSample]:
    """Samples drawn in the user's region or below it (county and city staff draw them)."""
    scope = gate.scope_for_user(user)
    if scope.role in REGION_ROLES:
        return InspectionSample.objects.filter(gate.region_subtree_q(scope.region, "region"))
    return InspectionSample.objects.none()


def assessments_for_user(user) -> QuerySet[AnnualAssessment]:
    region_q = _region_q(user)
    if region_q is not None:
        return AnnualAssessment.objects.filter(region_q)
    return AnnualAssessment.objects.filter(cadre__in=gate.cadres_for_user(user))


def obligations_for_user(user) -> QuerySet[ReplacementObligation]:
    return gate.scoped(ReplacementObligation.objects.all(), gate.row_scope_q(
        user, county="county", township="village__township_id", unit="unit_id",
    ))


def payments_for_user(user) -> QuerySet[BenefitPayment]:
    return gate.scoped(BenefitPayment.objects.all(), gate.row_scope_q(
        user, county="county", unit="unit_id", cadre="cadre_id",
    ))


def commendations_for_user(user) -> QuerySet[Commendation]:
    region_q = _region_q(user)
    if region_q is not None:
        return Commendation.objects.filter(region_q)
    return Commendation.objects.filter(cadre__in=gate.cadres_for_user(user))


def cases_for_user(user) -> QuerySet[GoodPracticeCase]:
    region_q = _region_q(user)
    if region_q is not None:
        return GoodPracticeCase.objects.filter(region_q)
    return GoodPracticeCase.objects.filter(village__in=gate.villages_for_user(user))


def can_record_inspection(user) -> bool:
    """Inspections are the reviewers' write: county staff and city or province reviewers."""
    return gate.scope_for_user(user).role in REGION_ROLES


def can_draw_sample(user) -> bool:
    return gate.scope_for_user(user).role in (Role.COUNTY, Role.CITY)


def can_record_payment(user) -> bool:
    return gate.scope_for_user(user).role in (Role.COUNTY, Role.UNIT)


def can_see_benefits(user) -> bool:
    return gate.scope_for_user(user).role in (*REGION_ROLES, Role.UNIT)


# --- inspections --------------------------------------------------------------------------------


def team_on(*, village: Village, day: dt.date) -> list[Assignment]:
    """The village's team in post on `day` (the same rule as attendance: the last day counts)."""
    return list(
        Assignment.objects.filter(village=village, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("cadre").order_by("role", "cadre__name")
    )


def absence_excuses(*, cadre_ids, day: dt.date) -> dict[int, str]:
    """Cadres whose absence on `day` is excused, with why: approved (or approved and reported
    back) leave covering the day, or an official-trip or leave presence record that day.
    Two queries; an empty dict if the attendance app is not installed."""
    if not apps.is_installed("attendance") or not cadre_ids:
        return {}
    from attendance.models import LeaveRequest, PresenceRecord

    excuses: dict[int, str] = {}
    from django.utils.translation import gettext as _

    leaves = LeaveRequest.objects.filter(
        cadre_id__in=cadre_ids, start__lte=day, end__gte=day,
        status__in=[LeaveRequest.Status.APPROVED, LeaveRequest.Status.RETURNED],
    ).filter(Q(actual_return_date__isnull=True) | Q(actual_return_date__gt=day))
    for leave in leaves.only("id", "cadre_id", "start", "end"):
        excuses[leave.cadre_id] = _("Approved leave %(start)s to %(end)s") % {
            "start": leave.start.isoformat(), "end": leave.end.isoformat()}
    records = PresenceRecord.objects.filter(
        cadre_id__in=cadre_ids, date=day, kind__in=[PresenceRecord.Kind.TRIP, PresenceRecord.Kind.LEAVE],
    ).exclude(review_status=PresenceRecord.Review.REJECTED)
    for cadre_id, kind in records.values_list("cadre_id", "kind"):
        excuses.setdefault(cadre_id, _("Official trip recorded that day") if kind == PresenceRecord.Kind.TRIP
                           else _("Leave recorded that day"))
    return excuses


def sample_candidates(user) -> list[tuple[int, int]]:
    """(village id, open findings) for every village in scope, in id order: one query."""
    open_findings = (
        Finding.objects.filter(village=OuterRef("pk"), status=Finding.Status.OPEN)
        .order_by().values("village").annotate(n=Count("id")).values("n")
    )
    qs = gate.villages_for_user(user).annotate(open_n=Subquery(open_findings)).order_by("id")
    return [(vid, n or 0) for vid, n in qs.values_list("id", "open_n")]


def sample_draw(*, candidates: list[tuple[int, int]], seed: int, size: int) -> list[int]:
    """Weighted sampling without replacement (Efraimidis–Spirakis): each village draws
    u ** (1 / weight) and the largest keys win. The weight is 1 + open findings, so a village
    with problems is likelier to be chosen but any village can be. One draw per candidate in
    id order from Random(seed): the same seed and the same data give the same list."""
    rng = random.Random(seed)
    keyed = [(rng.random() ** (1.0 / (1 + n)), vid) for vid, n in candidates]
    keyed.sort(reverse=True)
    return [vid for _, vid in keyed[:size]]


def sample_villages(*, sample: InspectionSample) -> list[Village]:
    """The sample's villages in draw order (a village since deleted is left out)."""
    by_id = Village.objects.select_related("township").in_bulk(sample.village_ids)
    return [by_id[i] for i in sample.village_ids if i in by_id]


# --- annual assessment --------------------------------------------------------------------------


def unexcused_absence_days(*, cadre_id: int, year: int) -> int:
    """Days in `year` on which an inspection found the cadre absent without leave. An absence
    is a day, not an inspection row: two teams visiting the same village the same day (or the
    same visit keyed in twice) find one absence, as the findings list shows one finding per
    day. This is the number the cap rule counts, everywhere."""
    return (
        InspectionMember.objects.filter(cadre_id=cadre_id, outcome=InspectionMember.Outcome.UNEXCUSED,
                                        inspection__date__year=year)
        .order_by().values("inspection__date").distinct().count()
    )


def absences_already_found(*, village: Village, day: dt.date, cadre_ids) -> list[str]:
    """Names of the given cadres whom an earlier inspection of `village` on `day` already
    found absent (excused or not): recording it again is usually the same visit keyed in
    twice, so the service asks for a confirmation first."""
    if not cadre_ids:
        return []
    return list(
        InspectionMember.objects.filter(
            inspection__village=village, inspection__date=day, cadre_id__in=list(cadre_ids),
            outcome__in=[InspectionMember.Outcome.UNEXCUSED, InspectionMember.Outcome.EXCUSED],
        ).order_by("cadre__name").values_list("cadre__name", flat=True).distinct()
    )


def assessment_evidence(*, cadre, year: int) -> dict:
    """The year's evidence for one cadre, one query per source (at most five)."""
    evidence = {
        "days_in_village": None, "work_logs": None, "findings": 0, "unexcused_absences": 0, "training": None,
    }
    evidence["findings"] = Finding.objects.filter(cadre=cadre, period__startswith=str(year)).count()
    evidence["unexcused_absences"] = unexcused_absence_days(cadre_id=cadre.pk, year=year)
    if apps.is_installed("attendance"):
        from attendance.models import PresenceRecord, WorkLog

        evidence["days_in_village"] = PresenceRecord.objects.filter(
            cadre=cadre, date__year=year, kind__in=PresenceRecord.COUNTED_KINDS,
        ).exclude(review_status=PresenceRecord.Review.REJECTED).count()
        evidence["work_logs"] = WorkLog.objects.filter(cadre=cadre, date__year=year).count()
    evidence["training"] = _training_count(cadre=cadre, year=year)
    evidence["best_grade"] = assessment_best_grade(unexcused=evidence["unexcused_absences"])
    return evidence


def _training_count(*, cadre, year: int) -> int | None:
    """Training records of the year, if the training app is there (it is built separately)."""
    if not apps.is_installed("training"):
        return None
    try:
        from training.models import TrainingRecord

        return TrainingRecord.objects.filter(cadre=cadre, course__start_date__year=year).count()
    except Exception:  # the app's schema is not what we expect yet: show no figure, never fail
        return None


# --- recall and replacement ---------------------------------------------------------------------


def _match_subquery():
    """An active assignment of a cadre of the obligation's unit in its village, started on or
    after the recall: it fills the vacancy even if it was made through the plain assignment form.
    The recalled cadre sent back is no replacement: she was recalled for a reason."""
    return Assignment.objects.filter(
        village=OuterRef("village"), cadre__unit=OuterRef("unit"), end_date__isnull=True,
        start_date__gte=OuterRef("recalled_assignment__end_date"),
    ).exclude(cadre=OuterRef("recalled_assignment__cadre")).order_by("start_date", "id").values("id")[:1]


def obligations_listed(qs: QuerySet[ReplacementObligation], *, today: dt.date) -> QuerySet[ReplacementObligation]:
    """The replacements list: overdue ones (open, not filled, past the due date) first, most
    overdue first, then the rest in the usual order. `overdue` is annotated for the badge."""
    from django.db.models import BooleanField, Case, Value, When

    qs = obligations_with_match(qs)
    return qs.annotate(overdue=Case(
        When(status=ReplacementObligation.Status.OPEN, matched_assignment_id__isnull=True, due_date__lt=today,
             then=Value(True)),
        default=Value(False), output_field=BooleanField(),
    )).order_by("-overdue", "status", "due_date", "id")


def obligations_with_match(qs: QuerySet[ReplacementObligation]) -> QuerySet[ReplacementObligation]:
    return qs.annotate(matched_assignment_id=Subquery(_match_subquery()))


def obligations_open(qs: QuerySet[ReplacementObligation]) -> QuerySet[ReplacementObligation]:
    """Open and not yet filled by a matching assignment."""
    return qs.filter(status=ReplacementObligation.Status.OPEN).exclude(Exists(_match_subquery()))


# --- benefits -------------------------------------------------------------------------------


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def benefit_arrears(*, user, year: int, today: dt.date | None = None) -> dict:
    """Entitlement, payments, arrears and overpayments by cadre, by village (work funds) and by
    unit for one year, in the user's scope. Four grouped queries.

    How it is counted (the page says so in one line): arrears are what is owed and not yet paid
    *per item*: per cadre and kind for the cadre's benefits, per unit and village for work
    funds. An overpayment of one item is shown as overpaid and never offset against another
    item's or another cadre's arrears. So for every row and every total
    ``due − paid = arrears − overpaid``, and a unit's arrears are the sum of its rows: its
    cadres' arrears (counted in "cadres owed") plus its villages' work-funds arrears (counted
    in "villages owed"). Every payment in scope counts as paid: one for a cadre who did not
    serve that year is an overpayment on a row of its own, never silently left out.

    Entitlements (settings.ZHUCUN["BENEFITS"]): a cadre who served in the year gets accident
    insurance and a health check once, and the living subsidy per in-village day (days in the
    village and official trips, rejected check-ins left out); the unit of a village's first
    secretary owes the village's work funds, prorated by the days that secretary served in
    the year."""
    rules = benefit_rules()
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    year_days = (end - start).days + 1
    cadres = gate.cadres_for_user(user)
    served = (
        Assignment.objects.filter(cadre__in=cadres, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values("cadre_id", "cadre__name", "cadre__unit_id", "cadre__unit__name", "village_id", "village__name",
                "role", "start_date", "end_date")
        .order_by("cadre__name", "cadre_id", "start_date")
    )
    cadre_rows: dict[int, dict] = {}
    unit_names: dict[int, str] = {}
    work_due: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    village_names: dict[int, str] = {}

    def cadre_row(cadre_id: int, name: str, unit_id: int, unit: str, village: str = "", served: bool = False) -> dict:
        unit_names.setdefault(unit_id, unit)
        return cadre_rows.setdefault(cadre_id, {
            "cadre_id": cadre_id, "name": name, "unit_id": unit_id, "unit": unit, "village": village, "days": 0,
            "served": served,
        })

    for a in served:
        row = cadre_row(a["cadre_id"], a["cadre__name"], a["cadre__unit_id"], a["cadre__unit__name"], served=True)
        row["village"] = a["village__name"]  # the latest assignment of the year
        if a["role"] == Assignment.Role.FIRST_SECRETARY:
            first = max(a["start_date"], start)
            last = min(a["end_date"] or end, end)
            share = Decimal((last - first).days + 1) / Decimal(year_days)
            work_due[(a["cadre__unit_id"], a["village_id"])] += rules["WORK_FUNDS_PER_VILLAGE_YEAR"] * share
            village_names[a["village_id"]] = a["village__name"]
    if apps.is_installed("attendance") and cadre_rows:
        from attendance.models import PresenceRecord

        days = (
            PresenceRecord.objects.filter(cadre__in=cadres, date__gte=start, date__lte=end,
                                          kind__in=PresenceRecord.COUNTED_KINDS)
            .exclude(review_status=PresenceRecord.Review.REJECTED)
            .values("cadre_id").annotate(n=Count("id")).order_by()
        )
        for d in days:
            if d["cadre_id"] in cadre_rows:
                cadre_rows[d["cadre_id"]]["days"] = d["n"]
    payments = payments_for_user(user).filter(year=year)
    paid_cadre: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for p in (payments.filter(cadre__isnull=False)
              .values("cadre_id", "kind", "cadre__name", "cadre__unit_id", "cadre__unit__name")
              .annotate(s=Sum("amount")).order_by()):
        paid_cadre[(p["cadre_id"], p["kind"])] += p["s"]
        # Paid for a cadre with nothing due this year: still paid, shown as overpaid.
        cadre_row(p["cadre_id"], p["cadre__name"], p["cadre__unit_id"], p["cadre__unit__name"])
    paid_village: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for p in (payments.filter(kind=BenefitKind.WORK_FUNDS).values("unit_id", "unit__name", "village_id", "village__name")
              .annotate(s=Sum("amount")).order_by()):
        paid_village[(p["unit_id"], p["village_id"])] += p["s"]
        unit_names.setdefault(p["unit_id"], p["unit__name"])
        village_names.setdefault(p["village_id"], p["village__name"])

    units: dict[int, dict] = {}

    def unit_row(unit_id: int) -> dict:
        return units.setdefault(unit_id, {
            "unit_id": unit_id, "unit": unit_names.get(unit_id, ""), "due": Decimal(0), "paid": Decimal(0),
            "arrears": Decimal(0), "overpaid": Decimal(0), "cadre_arrears": Decimal(0), "cadres_in_arrears": 0,
            "work_funds_arrears": Decimal(0), "villages_in_arrears": 0, "villages": [],
        })

    def add(u: dict, item: dict) -> None:
        for key in ("due", "paid", "arrears", "overpaid"):
            u[key] += item[key]

    cadre_kinds = (BenefitKind.LIVING_SUBSIDY, BenefitKind.ACCIDENT_INSURANCE, BenefitKind.HEALTH_CHECK)
    cadre_list = []
    for cid, row in cadre_rows.items():
        due = dict.fromkeys(cadre_kinds, Decimal(0))
        if row["served"]:
            due = {
                BenefitKind.LIVING_SUBSIDY: _money(rules["LIVING_SUBSIDY_PER_DAY"] * row["days"]),
                BenefitKind.ACCIDENT_INSURANCE: _money(rules["ACCIDENT_INSURANCE_PER_YEAR"]),
                BenefitKind.HEALTH_CHECK: _money(rules["HEALTH_CHECK_PER_YEAR"]),
            }
        paid = {k: _money(paid_cadre.get((cid, k), 0)) for k in cadre_kinds}
        # Per item: an overpaid subsidy does not pay the health check, nor another cadre's dues.
        arrears = {k: max(Decimal(0), due[k] - paid[k]) for k in cadre_kinds}
        overpaid = {k: max(Decimal(0), paid[k] - due[k]) for k in cadre_kinds}
        row.update(due=sum(due.values(), Decimal(0)), paid=sum(paid.values(), Decimal(0)),
                   arrears=sum(arrears.values(), Decimal(0)), overpaid=sum(overpaid.values(), Decimal(0)),
                   arrears_by_kind=arrears)
        cadre_list.append(row)
        u = unit_row(row["unit_id"])
        add(u, row)
        u["cadre_arrears"] += row["arrears"]
        u["cadres_in_arrears"] += 1 if row["arrears"] > 0 else 0
    for key in sorted(set(work_due) | set(paid_village)):
        unit_id, village_id = key
        due, paid = _money(work_due.get(key, 0)), _money(paid_village.get(key, 0))
        item = {"village_id": village_id, "village": village_names.get(village_id, ""), "due": due, "paid": paid,
                "arrears": max(Decimal(0), due - paid), "overpaid": max(Decimal(0), paid - due)}
        u = unit_row(unit_id)
        add(u, item)
        u["work_funds_arrears"] += item["arrears"]
        u["villages_in_arrears"] += 1 if item["arrears"] > 0 else 0
        u["villages"].append(item)
    unit_list = sorted(units.values(), key=lambda u: (-u["arrears"], u["unit"]))
    cadre_list.sort(key=lambda r: (-r["arrears"], r["name"]))

    def total(key: str) -> Decimal:
        return _money(sum((u[key] for u in unit_list), Decimal(0)))

    return {
        "year": year, "rules": rules, "cadres": cadre_list, "units": unit_list,
        "total_due": total("due"), "total_paid": total("paid"), "total_arrears": total("arrears"),
        "total_overpaid": total("overpaid"), "cadres_in_arrears": sum(u["cadres_in_arrears"] for u in unit_list),
        "villages_in_arrears": sum(u["villages_in_arrears"] for u in unit_list),
    }


# --- aggregates for the dashboards --------------------------------------------------------------


def _group_path(user, *, county_path: str, township_path: str | None) -> str | None:
    """The field a user's dashboard groups by: the province by city, a city by county, a
    county by township (or by county when the row has no village)."""
    role = gate.scope_for_user(user).role
    if role == Role.PROVINCE:
        return f"{county_path}__parent_id"
    if role == Role.CITY:
        return f"{county_path}_id"
    if role == Role.COUNTY:
        return township_path or f"{county_path}_id"
    return None


def inspections_summary(*, user, since: dt.date) -> dict[int, dict]:
    """{region id: {count, absent_unexcused, absent_unexcused_share}} for inspections since
    `since`, grouped one level below the user's region; the share is of inspections that found
    at least one cadre absent without leave. One query. Empty for roles without a region."""
    path = _group_path(user, county_path="county", township_path="village__township_id")
    if path is None:
        return {}
    found = Exists(InspectionMember.objects.filter(inspection=OuterRef("pk"), outcome=InspectionMember.Outcome.UNEXCUSED))
    rows = (
        inspections_for_user(user).filter(date__gte=since).annotate(found=found)
        .values(path).annotate(count=Count("id"), absent_unexcused=Count("id", filter=Q(found=True))).order_by()
    )
    return {
        r[path]: {"count": r["count"], "absent_unexcused": r["absent_unexcused"],
                  "absent_unexcused_share": (r["absent_unexcused"] / r["count"]) if r["count"] else 0.0}
        for r in rows
    }


def open_obligations_summary(*, user, today: dt.date | None = None) -> dict[int, dict]:
    """{region id: {open, overdue}}: recall vacancies not yet filled, one level below the
    user's region. One query."""
    from django.utils import timezone

    today = today or timezone.localdate()
    path = _group_path(user, county_path="county", township_path="village__township_id")
    if path is None:
        return {}
    rows = (
        obligations_open(obligations_for_user(user)).values(path)
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today))).order_by()
    )
    return {r[path]: {"open": r["open"], "overdue": r["overdue"]} for r in rows}


def assessments_summary(*, user, year: int) -> dict[int, dict[str, int]]:
    """{region id: {grade: count}} for one year, one level below the user's region. One query."""
    path = _group_path(user, county_path="county", township_path=None)
    if path is None:
        return {}
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for r in assessments_for_user(user).filter(year=year).values(path, "grade").annotate(n=Count("id")).order_by():
        out[r[path]][r["grade"]] = r["n"]
    return dict(out)


def exemplars_recent(*, user, limit: int = 5) -> dict[str, list]:
    """The latest commendations and good-practice cases in scope: two queries."""
    return {
        "commendations": list(commendations_for_user(user).select_related("cadre")[:limit]),
        "cases": list(cases_for_user(user).select_related("village")[:limit]),
    }


def region_names(ids) -> dict[int, str]:
    return dict(Region.objects.filter(id__in=list(ids)).values_list("id", "name"))
