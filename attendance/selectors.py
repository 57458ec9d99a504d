"""Reads for attendance. Every user-visible read starts from the assignments scoping gate."""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from assignments.models import Assignment, Cadre, DispatchingUnit, Finding, Profile, Region
from assignments.selectors import (
    assignments_for_user,
    cadres_for_user,
    cadres_openable,
    findings_for_user,
    managed_county,
    regions_for_user,
    scope_for_user,
)

from .models import CountyAttendanceSetting, LeaveRequest, PresenceRecord, WorkingDay, WorkLog

Role = Profile.Role

RULE_DEFAULTS = {
    "MIN_DAYS_IN_VILLAGE_PER_MONTH": 20,
    "LEAVE_TOWNSHIP_MAX_DAYS": 3,
    "MISSING_CHECKIN_ESCALATE_DAYS": 3,
    "CHECKIN_MAX_ACCURACY_M": 200,
    "CHECKIN_DEFAULT_RADIUS_M": 3000,
    "SUMMARY_REFRESH_DAYS": 35,
    "POSITION_KEEP_DAYS": 90,
}


def rule(key: str) -> int:
    """A programme rule from settings.ZHUCUN, with the common local value as default."""
    return getattr(settings, "ZHUCUN", {}).get(key, RULE_DEFAULTS[key])


def active_on(day: dt.date) -> Q:
    """Q for assignments in post on `day`."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def in_post_between(first: dt.date, last: dt.date) -> Q:
    """Q for assignments in post at some time from `first` to `last` (a month, say)."""
    return Q(start_date__lte=last) & (Q(end_date__isnull=True) | Q(end_date__gte=first))


def leave_covers(day) -> Q:
    """Q for leave requests that keep their cadre away on `day` (a date or an expression such as
    a cast OuterRef): approved and not over, or reported back (销假) only after that day."""
    return Q(start__lte=day) & (Q(status=LeaveRequest.Status.APPROVED, end__gte=day)
                                | Q(status=LeaveRequest.Status.RETURNED, actual_return_date__gt=day))


def assignment_on(*, cadre: Cadre, day: dt.date) -> Assignment | None:
    return (
        Assignment.objects.filter(active_on(day), cadre=cadre)
        .select_related("village", "village__county", "village__township").first()
    )


def checkin_target(*, cadre_id: int, day: dt.date) -> tuple[int, int, int, bool] | None:
    """(assignment id, village id, county id, location check on?) of the cadre's post on `day`.

    The check-in hot path: one two-table query (the county switch is an EXISTS), instead of
    loading assignment, village, county (with its boundary) and switch as objects; a four-way
    join costs PostgreSQL more to plan than to run. Same ordering as Assignment.Meta."""
    switch_on = CountyAttendanceSetting.objects.filter(county_id=OuterRef("village__county_id"),
                                                        location_checkin_enabled=True)
    return (
        Assignment.objects.filter(active_on(day), cadre_id=cadre_id)
        .annotate(located=Exists(switch_on))
        .order_by("-start_date", "id")
        .values_list("id", "village_id", "village__county_id", "located")
        .first()
    )


def location_checkin_enabled(*, county_id: int) -> bool:
    return CountyAttendanceSetting.objects.filter(county_id=county_id, location_checkin_enabled=True).exists()


def county_location_setting(*, user) -> tuple[bool, list]:
    """For county staff: whether their county uses positions at check-in, and the changes to
    that setting, newest first (who, when, on what basis)."""
    county = managed_county(user)
    if county is None:
        return False, []
    history = list(CountyAttendanceSetting.history.filter(county_id=county.id).select_related("history_user")
                   .order_by("-history_date")[:20])
    return location_checkin_enabled(county_id=county.id), history


def leave_taken_in_year(*, leave: LeaveRequest) -> dict[str, int]:
    """What an approver wants beside a request: the cadre's other leave this calendar year that
    was approved or reported back, as a count and days actually away (a leave reported back
    early counts to the day before the return). One query."""
    first, last = dt.date(leave.start.year, 1, 1), dt.date(leave.start.year, 12, 31)
    others = (LeaveRequest.objects.filter(cadre_id=leave.cadre_id, start__lte=last, end__gte=first,
                                          status__in=[LeaveRequest.Status.APPROVED, LeaveRequest.Status.RETURNED])
              .exclude(pk=leave.pk).only("start", "end", "actual_return_date"))
    count = days = 0
    for other in others:
        start, end = max(other.start, first), min(other.effective_end, last)
        if end >= start:
            count, days = count + 1, days + (end - start).days + 1
    return {"count": count, "days": days}


# --- scoped querysets -------------------------------------------------------------------------


def presence_for_user(user) -> QuerySet[PresenceRecord]:
    return PresenceRecord.objects.filter(assignment__in=assignments_for_user(user))


def leaves_for_user(user) -> QuerySet[LeaveRequest]:
    # A draft is the cadre's own until submitted: staff and units see requests, not drafts.
    return LeaveRequest.objects.filter(assignment__in=assignments_for_user(user)).exclude(
        Q(status=LeaveRequest.Status.DRAFT) & ~Q(cadre__user_id=getattr(user, "pk", None)))


# The leave list's "when" filter: away today, or leave approved to begin within a week.
LEAVE_WHEN = ("now", "soon")


def leaves_when(qs: QuerySet[LeaveRequest], *, when: str, today: dt.date) -> QuerySet[LeaveRequest]:
    """Narrow a leave list to who is away on leave today ("now") or approved to leave within the
    next seven days ("soon"); any other value leaves it as it is."""
    if when == "now":
        return qs.filter(leave_covers(today))
    if when == "soon":
        return qs.filter(status=LeaveRequest.Status.APPROVED, start__gt=today,
                         start__lte=today + dt.timedelta(days=7))
    return qs


def leaves_filtered(qs: QuerySet[LeaveRequest], *, today: dt.date, status: str = "", when: str = "",
                    cadre: Cadre | None = None, name: str = "") -> QuerySet[LeaveRequest]:
    """The leave list's filters on `qs` (already the user's, leaves_for_user): a status, a
    LEAVE_WHEN, one cadre (from the gate: cadres_for_user) and a name typed into the search, as
    part of the cadre's name. A value that is not one of the choices filters nothing."""
    if status in LeaveRequest.Status.values:
        qs = qs.filter(status=status)
    if when in LEAVE_WHEN:
        qs = leaves_when(qs, when=when, today=today)
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    if name:
        qs = qs.filter(cadre__name__icontains=name)
    return qs


def worklogs_for_user(user) -> QuerySet[WorkLog]:
    return WorkLog.objects.filter(assignment__in=assignments_for_user(user))


def leave_approver_q(user) -> Q | None:
    """Which leave requests this user decides: short leave by the village's township staff,
    longer leave by the village's county staff (LEAVE_TOWNSHIP_MAX_DAYS)."""
    scope = scope_for_user(user)
    limit = rule("LEAVE_TOWNSHIP_MAX_DAYS")
    if scope.role == Role.TOWNSHIP:
        return Q(assignment__village__township_id=scope.region.id, days__lte=limit)
    if scope.role == Role.COUNTY:
        return Q(assignment__village__county_id=scope.region.id, days__gt=limit)
    return None


def leave_cancellable(*, leave: LeaveRequest, today: dt.date) -> bool:
    """A draft, a pending request, or approved leave that has not begun (after that, 销假)."""
    return leave.status in (LeaveRequest.Status.DRAFT, LeaveRequest.Status.SUBMITTED) or (
        leave.status == LeaveRequest.Status.APPROVED and leave.start > today)


def leave_decider_label(*, leave: LeaveRequest) -> str:
    """Who decides this request, said to the cadre and to anyone reading it (the same rule as
    leave_approver_q)."""
    village = leave.assignment.village
    if leave.days <= rule("LEAVE_TOWNSHIP_MAX_DAYS"):
        return _("the staff of %(township)s (leave of up to %(n)d days)") % {
            "township": village.township.name, "n": rule("LEAVE_TOWNSHIP_MAX_DAYS")}
    return _("the organisation department of %(county)s (leave of more than %(n)d days)") % {
        "county": village.county.name, "n": rule("LEAVE_TOWNSHIP_MAX_DAYS")}


def leave_can_decide(user, leave: LeaveRequest) -> bool:
    q = leave_approver_q(user)
    if q is None:
        return False
    return LeaveRequest.objects.filter(q, pk=leave.pk).exists()


def leave_queue_for_user(user) -> QuerySet[LeaveRequest]:
    """Submitted requests waiting for this user, never their own."""
    q = leave_approver_q(user)
    if q is None:
        return LeaveRequest.objects.none()
    return (
        LeaveRequest.objects.filter(q, status=LeaveRequest.Status.SUBMITTED)
        .exclude(cadre__user=user)
        .select_related("cadre", "assignment__village")
        .order_by("start", "id")
    )


def keeper_assignments_q(user) -> Q | None:
    """Assignments whose attendance this user may keep: township staff their township, county
    staff their county. Reviewers, units and cadres keep none."""
    scope = scope_for_user(user)
    if scope.role == Role.TOWNSHIP:
        return Q(village__township_id=scope.region.id)
    if scope.role == Role.COUNTY:
        return Q(village__county_id=scope.region.id)
    return None


def keeper_grid_rows(*, user, day: dt.date) -> list[Assignment]:
    """The assignments in post on `day` that the user keeps, each with `.record` (that day's
    PresenceRecord or None), `.countys` (the record is the county's to change, see
    correction_left_to_county) and `.leave_covered`: three queries for the whole township or
    county."""
    rows = list(
        Assignment.objects.filter(keeper_assignments_q(user)).filter(active_on(day))
        .select_related("cadre", "village", "village__township").order_by("village__code", "role", "cadre__name")
    )
    records = {r.cadre_id: r for r in PresenceRecord.objects.filter(cadre_id__in=[a.cadre_id for a in rows], date=day)}
    # "On approved leave" is offered only where approved leave covers the day (services refuse
    # it elsewhere); approval records its days itself, so this is rare.
    unrecorded = [a.cadre_id for a in rows if a.cadre_id not in records]
    covered = set(LeaveRequest.objects.filter(leave_covers(day), cadre_id__in=unrecorded)
                  .values_list("cadre_id", flat=True)) if unrecorded else set()
    for a in rows:
        a.record = records.get(a.cadre_id)
        a.countys = a.record is not None and correction_left_to_county(a.record)
        a.leave_covered = a.cadre_id in covered
    return rows


def correction_left_to_county(record: PresenceRecord) -> bool:
    """A check-in under the county's location review, or rejected by it: only county staff may
    change it, so that a township correction does not settle (or undo) the review on the way."""
    return record.review_status in (PresenceRecord.Review.NEEDS_REVIEW, PresenceRecord.Review.REJECTED)


def review_queue_for_user(user) -> QuerySet[PresenceRecord]:
    scope = scope_for_user(user)
    if scope.role != Role.COUNTY:
        return PresenceRecord.objects.none()
    return (
        PresenceRecord.objects.filter(
            assignment__village__county_id=scope.region.id, review_status=PresenceRecord.Review.NEEDS_REVIEW
        )
        .select_related("cadre", "assignment__village")
        .order_by("date", "id")
    )


def work_waiting_for_user(*, user, today: dt.date) -> dict[str, int] | None:
    """What waits for a township or county officer today, for the top of their overview: leave
    to decide, check-ins to review (county), open findings, and today's records against the
    cadres in post they keep (and whether today expects any). Six queries; None for other roles."""
    q = keeper_assignments_q(user)
    if q is None:
        return None
    in_post = Assignment.objects.filter(q).filter(active_on(today))
    return {
        "leave": leave_queue_for_user(user).count(),
        "review": review_queue_for_user(user).count(),
        "findings": findings_for_user(user).filter(status=Finding.Status.OPEN).count(),
        # Cadres, not postings: a cadre moving villages today has two.
        "in_post": in_post.values("cadre_id").distinct().count(),
        "recorded": PresenceRecord.objects.filter(date=today, cadre_id__in=in_post.values("cadre_id")).count(),
        # On a day off, "1 of 15 recorded" would read as 14 missing.
        "working": month_working_days(today, today)[today],
    }


def unit_watch_for_user(*, user, today: dt.date) -> dict[str, int] | None:
    """What a dispatching unit's liaison keeps an eye on, for the top of their overview: their
    cadres in post, away on leave today or within a week, leave waiting for a decision, open
    findings about them and last month's presence shortfalls. A few counting queries, through
    the same scoping gate as the lists the numbers link to; None for other roles."""
    if scope_for_user(user).role != Role.UNIT:
        return None
    leaves = leaves_for_user(user)
    findings = findings_for_user(user).filter(status=Finding.Status.OPEN)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return {
        "in_post": Assignment.objects.filter(active_on(today), cadre__in=cadres_for_user(user))
        .values("cadre_id").distinct().count(),
        "away": leaves_when(leaves, when="now", today=today).count(),
        "soon": leaves_when(leaves, when="soon", today=today).count(),
        "pending": leaves.filter(status=LeaveRequest.Status.SUBMITTED).count(),
        "findings": findings.count(),
        "shortfalls": findings.filter(kind=Finding.Kind.PRESENCE_SHORTFALL, period=last_month).count(),
        "last_month": last_month,
    }


# --- pages ---------------------------------------------------------------------------------


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_working_days(first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    """Whether each day from `first` to `last` expects a check-in: the calendar table, or
    Monday–Friday for a day not in it (services.working_days_ensure fills the table)."""
    table = dict(WorkingDay.objects.filter(date__range=(first, last)).values_list("date", "is_working_day"))
    return {d: table.get(d, d.weekday() < 5) for d in (first + dt.timedelta(days=i)
                                                        for i in range((last - first).days + 1))}


# A day of a cadre's calendar when the cadre served that day, but in a posting outside the viewer's
# area (township staff reading a cadre who came from another township): that posting's attendance
# is not theirs to read, and it neither counts nor is missing here.
OUTSIDE = "outside"


def month_calendar(*, user, cadre: Cadre, month: dt.date, today: dt.date) -> dict:
    """One cadre's month as `user` may read it: each day's status (the record's kind, "rejected",
    "missing" on a past working day in post with no valid record, OUTSIDE on a day in post in a
    posting the user does not see, or "" for days off / out of post / future), the in-village
    count and what the month asks for.

    Only the user's postings count: those assignments_for_user returns, as in the monthly report,
    whose rows are those postings. So township staff see the days the cadre served in their
    township, not the months before the cadre came; the cadre and county staff (a cadre serves
    in their managing county) see every posting. Three queries."""
    first, last = month_bounds(month)
    mine = assignments_for_user(user).filter(pk=OuterRef("pk"))
    spans = list(
        Assignment.objects.filter(in_post_between(first, last), cadre=cadre).annotate(mine=Exists(mine))
        .values_list("id", "start_date", "end_date", "mine")
    )
    own_ids = {aid for aid, _s, _e, own in spans if own}
    own_spans = [(s, e) for _aid, s, e, own in spans if own]
    other_spans = [(s, e) for _aid, s, e, own in spans if not own]
    records = {r.date: r for r in PresenceRecord.objects.filter(cadre=cadre, date__range=(first, last))}
    working = month_working_days(first, last)

    def covers(span_list, day):
        return any(s <= day and (e is None or e >= day) for s, e in span_list)

    days = []
    counted = 0
    # What `counted` is made of, said beside it as the monthly report's columns say it: a trip
    # counts as a day in the village, and a headline that only says "in the village" reads as
    # one day more than the report's "in the village" column.
    by_kind = dict.fromkeys(PresenceRecord.COUNTED_KINDS, 0)
    for n in range(1, last.day + 1):
        day = first.replace(day=n)
        record = records.get(day)
        in_post = covers(own_spans, day)
        is_working = working[day]
        # A record kept for a posting outside the user's area (also, on the day of a move, one
        # that went to the other posting) is not shown; a valid one is not missing either, since
        # the cadre has a record that day (the nightly scan asks the same).
        elsewhere = record is not None and record.assignment_id not in own_ids
        valid_elsewhere = elsewhere and record.review_status != PresenceRecord.Review.REJECTED
        if elsewhere:
            record = None
        if record is not None and record.review_status == PresenceRecord.Review.REJECTED:
            # County staff rejected the check-in: it counts as no record (as in the scans).
            status = "rejected"
        elif record is not None:
            status = record.kind
            if record.kind in PresenceRecord.COUNTED_KINDS:
                counted += 1
                by_kind[record.kind] += 1
        elif valid_elsewhere or (elsewhere and not in_post):
            status = OUTSIDE
        elif in_post and is_working and day < today:
            status = "missing"
        elif not in_post and covers(other_spans, day):
            status = OUTSIDE
        else:
            status = ""
        days.append({"date": day, "status": status, "record": record, "working": is_working, "in_post": in_post})
    # Monday-first weeks with blanks before the 1st, for a calendar grid.
    lead = [None] * first.weekday()
    cells = lead + days
    weeks = [cells[i:i + 7] for i in range(0, len(cells), 7)]
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    # What the month-end check will ask of this month, per posting the user sees (pro-rated for
    # days in post and leave; a cadre moved mid-month owes the sum), and, once the month is over,
    # whether it was met.
    minimum = rule("MIN_DAYS_IN_VILLAGE_PER_MONTH")
    working_days = [d for d, w in working.items() if w]
    owed = 0
    for start, end in own_spans:
        lo, hi = max(start, first), min(end or last, last)
        on_leave = [d for d in days if d["status"] == PresenceRecord.Kind.LEAVE and lo <= d["date"] <= hi]
        owed += presence_required_days(first=first, last=last, start=start, end=end, leave=len(on_leave),
                                       leave_working=sum(1 for d in on_leave if d["working"]),
                                       working=working_days, minimum=minimum)
    return {"days": days, "weeks": weeks, "in_village_days": counted, "first": first, "last": last,
            "in_village_only": by_kind[PresenceRecord.Kind.IN_VILLAGE], "trip_days": by_kind[PresenceRecord.Kind.TRIP],
            "required": minimum, "owed": owed, "met": counted >= owed if last < today and own_spans else None,
            "outside": any(d["status"] == OUTSIDE for d in days)}


def cadre_attendance_summary(*, user, cadre: Cadre, today: dt.date) -> dict:
    """The attendance section of a cadre's page, read with the viewer's scope: this month so
    far in the viewer's area (days in the village, working days without a valid record; days in
    a posting elsewhere are neither, as on the calendar), open findings, and leave that ended in
    the last 90 days or is still to come, newest first. Six queries."""
    first = today.replace(day=1)
    month = month_calendar(user=user, cadre=cadre, month=first, today=today)
    return {
        "cadre": cadre, "first": first, "in_village": month["in_village_days"],
        "in_village_only": month["in_village_only"], "trip_days": month["trip_days"],
        "missing": sum(1 for d in month["days"] if d["status"] in ("missing", "rejected")),
        "outside": month["outside"],
        "findings": list(findings_for_user(user).filter(cadre=cadre, status=Finding.Status.OPEN)
                         .order_by("-severity", "-first_seen")[:10]),
        "leave": list(leaves_for_user(user).filter(cadre=cadre, end__gte=today - dt.timedelta(days=90))
                      .order_by("-start")[:5]),
    }


def calendar_fallback_years(*, years) -> list[int]:
    """Years among `years` whose working days are a Monday–Friday guess, not the official calendar."""
    return sorted(set(
        WorkingDay.objects.filter(date__year__in=list(years), source=WorkingDay.Source.WEEKDAY)
        .values_list("date__year", flat=True)
    ))


def working_days_year(*, year: int) -> dict:
    """The calendar table for one year as 12 Monday-first month grids, for the working-days page.

    Each day says whether a check-in is expected, how it differs from plain Monday–Friday (a
    public holiday on a weekday, an adjusted working weekend 调休) and whether the province
    edited it. One query; days not in the table yet show as Monday–Friday."""
    rows = {wd.date: wd for wd in WorkingDay.objects.filter(date__year=year).select_related("edited_by")}
    months = []
    counts = {"working": 0, "holiday": 0, "adjusted": 0, "manual": 0}
    for m in range(1, 13):
        first, last = month_bounds(dt.date(year, m, 1))
        cells: list[dict | None] = [None] * first.weekday()
        for n in range(1, last.day + 1):
            day = first.replace(day=n)
            row = rows.get(day)
            weekday = day.weekday() < 5
            working = row.is_working_day if row is not None else weekday
            # "holiday": rest on a weekday; "adjusted": working on a weekend (调休).
            change = "" if working == weekday else ("adjusted" if working else "holiday")
            manual = row is not None and row.source == WorkingDay.Source.MANUAL
            counts["working"] += working
            counts["holiday"] += change == "holiday"
            counts["adjusted"] += change == "adjusted"
            counts["manual"] += manual
            cells.append({"date": day, "working": working, "change": change, "manual": manual, "row": row})
        cells += [None] * (-len(cells) % 7)
        months.append({"first": first, "weeks": [cells[i:i + 7] for i in range(0, len(cells), 7)]})
    edits = sorted((r for r in rows.values() if r.source == WorkingDay.Source.MANUAL), key=lambda r: r.date)
    return {
        "year": year, "months": months, "counts": counts, "edits": edits,
        # The year's days come from the official calendar unless the fill fell back to Mon–Fri.
        "fallback": any(r.source == WorkingDay.Source.WEEKDAY for r in rows.values()),
        "filled": bool(rows),
    }


def report_area_name(region: Region) -> str:
    """How a monthly report names its area, in its title and its file name: a township with its
    county (苍溪县陵江镇: township names repeat across counties), a county, city or the province by
    its own name (苍溪县). The same whether township staff download their own township or county
    staff pick it."""
    if region.level == Region.Level.TOWNSHIP and region.parent_id:
        return f"{region.parent.name}{region.name}"
    return region.name


def monthly_report_scope(*, user, township_id: str = "") -> tuple[QuerySet[Assignment], str]:
    """The assignments a monthly report covers (the user's scope, or one township in it) and
    the name it goes by (report_area_name, or a liaison's unit). A township outside the scope
    is a 404."""
    from django.http import Http404

    scope = scope_for_user(user)
    assignments = assignments_for_user(user)
    area = (report_area_name(scope.region) if scope.region else
            DispatchingUnit.objects.filter(pk=scope.unit_id).values_list("name", flat=True).first() or "")
    if township_id.isdigit():
        township = (regions_for_user(user).filter(level=Region.Level.TOWNSHIP, pk=int(township_id))
                    .select_related("parent").first())
        if township is None:
            raise Http404
        assignments, area = assignments.filter(village__township=township), report_area_name(township)
    return assignments, area


def monthly_report_size(*, assignments: QuerySet[Assignment], month: dt.date) -> int:
    """Rows of the monthly report: the assignments in post at some time of the month."""
    first, last = month_bounds(month)
    return assignments.filter(in_post_between(first, last)).count()


def presence_requirement(*, first: dt.date, last: dt.date, start: dt.date, end: dt.date | None, leave: int,
                         leave_working: int, working: list[dt.date], minimum: int) -> tuple[int, int, bool]:
    """The in-village days a posting owes in the month first..last: MIN_DAYS_IN_VILLAGE_PER_MONTH
    pro-rated by the days in post minus the days on leave (calendar days, as the month's),
    floor(minimum × (days in post − leave) / days in month), and never more than the working days
    in post minus the working days on leave — a month with long holidays (October, Spring
    Festival) has fewer than 20 working days, and a cadre present on every one of them has done
    what was asked. Leave over a weekend takes no working day away: Friday to Sunday is one.
    `working`: the month's working days, sorted. Returns (required, days in post, whether the
    working days were the bound), so a message can say which rule gave the number."""
    lo, hi = max(start, first), min(end or last, last)
    in_post = (hi - lo).days + 1
    working_in_post = bisect.bisect_right(working, hi) - bisect.bisect_left(working, lo)
    month_days = (last - first).days + 1
    pro_rated = (minimum * max(in_post - leave, 0)) // month_days
    by_working_days = max(working_in_post - leave_working, 0)
    return min(pro_rated, by_working_days), in_post, by_working_days < pro_rated


def presence_required_days(**kwargs) -> int:
    """presence_requirement's number alone (same keyword arguments)."""
    return presence_requirement(**kwargs)[0]


# A monthly report cell for a check-in waiting for the county's review (the calendar's 待复核).
REVIEW = "review"


def monthly_report_rows(*, assignments: QuerySet[Assignment], month: dt.date,
                        today: dt.date) -> tuple[list[dict], list[dict]]:
    """考勤月报表: a row per cadre in post during the month, a cell per day, totals. Four queries.

    Days are {"date", "working"}. A cell is the record's kind, "rejected" for a check-in county
    staff rejected, REVIEW for a check-in still waiting for their review, "missing" for a past
    working day in post with no (valid) record — what the nightly scan calls a missing check-in —
    or "" (a day off, out of post, or still to come). Totals per kind count valid records only,
    a check-in waiting for review under its kind (as the calendar and the scans count it until
    the county decides); "counted" is what the monthly rule counts,
    "required" what it asks of the posting (presence_required_days, as the month-end check), and
    "met" whether counted reaches it — None while the month is not over."""
    first, last = month_bounds(month)
    days = [{"date": d, "working": working} for d, working in month_working_days(first, last).items()]
    working_days = [d["date"] for d in days if d["working"]]
    minimum = rule("MIN_DAYS_IN_VILLAGE_PER_MONTH")
    rows_qs = (
        assignments.filter(in_post_between(first, last))
        .select_related("cadre", "village", "village__township").order_by("village__code", "role", "cadre__name")
    )
    empty = {**dict.fromkeys(PresenceRecord.Kind.values, 0), "rejected": 0, "missing": 0, "counted": 0}
    rows = [{"assignment": a, "cells": {}, "totals": dict(empty)} for a in rows_qs]
    by_id = {r["assignment"].id: r for r in rows}
    # By cadre, not by posting: on the day of a move both postings are in post and the record
    # goes to one of them; the other's row leaves that day blank rather than missing, as the
    # nightly scan (a record of the cadre that day) and the calendar do.
    recorded: set[tuple[int, dt.date]] = set()  # (cadre, day) with a valid record on any posting
    for aid, cadre_id, day, kind, review in PresenceRecord.objects.filter(
        cadre_id__in={r["assignment"].cadre_id for r in rows}, date__range=(first, last)
    ).values_list("assignment_id", "cadre_id", "date", "kind", "review_status"):
        if review != PresenceRecord.Review.REJECTED:
            recorded.add((cadre_id, day))
        if aid not in by_id:
            continue  # another posting's record (outside the report, or the other row of a move)
        status = "rejected" if review == PresenceRecord.Review.REJECTED else kind
        # Waiting for review: its own mark, but counted under its kind meanwhile.
        by_id[aid]["cells"][day] = REVIEW if review == PresenceRecord.Review.NEEDS_REVIEW else status
        by_id[aid]["totals"][status] += 1
    for row in rows:
        a, cells, totals = row["assignment"], row["cells"], row["totals"]
        for d in days:
            day = d["date"]
            in_post = a.start_date <= day and (a.end_date is None or day <= a.end_date)
            if (d["working"] and day < today and in_post and cells.get(day) in (None, "rejected")
                    and (a.cadre_id, day) not in recorded):
                totals["missing"] += 1
                cells.setdefault(day, "missing")
        totals["counted"] = sum(totals[k] for k in PresenceRecord.COUNTED_KINDS)
        leave_working = sum(1 for d in working_days if cells.get(d) == PresenceRecord.Kind.LEAVE)
        totals["required"] = presence_required_days(first=first, last=last, start=a.start_date, end=a.end_date,
                                                    leave=totals["leave"], leave_working=leave_working,
                                                    working=working_days, minimum=minimum)
        totals["met"] = totals["counted"] >= totals["required"] if last < today else None
    return days, rows


def worklog_month_counts(*, assignments: QuerySet[Assignment], month: dt.date,
                         limit: int) -> tuple[list[Assignment], int]:
    """The assignments in post at any time in `month`, each with `.logs` (its work logs that
    month), fewest first — who is not writing comes to the top — at most `limit` of them, and
    how many there are in all. Two queries, whatever the scope."""
    first, last = month_bounds(month)
    in_month = assignments.filter(in_post_between(first, last))
    logs = (WorkLog.objects.filter(assignment=OuterRef("pk"), date__range=(first, last))
            .order_by().values("assignment").annotate(n=Count("*")).values("n"))
    rows = list(
        in_month.annotate(logs=Coalesce(Subquery(logs), 0)).select_related("cadre", "village")
        .order_by("logs", "village__code", "cadre__name", "id")[:limit]
    )
    return rows, in_month.count()


def findings_filtered(qs: QuerySet[Finding], *, kind: str = "", status: str = "", village_id: int | None = None,
                      township_id: int | None = None, county_id: int | None = None,
                      month: dt.date | None = None) -> QuerySet[Finding]:
    """The findings list's filters on `qs` (already the user's, findings_for_user). `month`
    keeps the findings whose period lies in it: a day of it ("2026-11-26": missing check-in,
    unreturned leave by its first day, unexcused absence) or the month itself (shortfall).
    Training findings have a rule's key or a year for a period, never a month: none is kept."""
    if month is not None:
        key = f"{month:%Y-%m}"
        qs = qs.exclude(kind=Finding.Kind.UNMET_TRAINING).filter(Q(period=key) | Q(period__startswith=f"{key}-"))
    if county_id:
        qs = qs.filter(county_id=county_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if village_id:
        qs = qs.filter(village_id=village_id)
    if township_id:
        qs = qs.filter(village__township_id=township_id)
    return qs.select_related("cadre__unit", "village__township", "county", "resolved_by")


_PERIOD_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")


def findings_linked(*, user, findings: Iterable[Finding]) -> list[Finding]:
    """`findings` (a page of them) with where each one's cadre name leads, as a reader expects:

    - `.link` "leave" (`.link_leave`: the leave's id) for leave not reported back, where the
      reader may open that leave request;
    - "training" for an unmet training requirement: the cadre's training page;
    - "calendar" (`.link_month`: "YYYY-MM") for the rest: the month of a day's period (missing
      check-in, unexcused absence, the first day of unreturned leave the reader may not open) or
      the month itself (shortfall);
    - "" where the cadre's pages do not open for the reader (cadres_openable), so the name is
      plain text.

    Two queries for the whole page, whatever its length."""
    rows = list(findings)
    openable = cadres_openable(user, {f.cadre_id for f in rows})
    unreturned = [f for f in rows if f.kind == Finding.Kind.UNRETURNED_LEAVE and _PERIOD_DATE.fullmatch(f.period)]
    leave_ids: dict[tuple[int, str], int] = {}
    if unreturned:
        # The scan names the leave by its posting and first day (its period); once reported back
        # it is RETURNED, and the finding still points at it.
        for pk, aid, start in (leaves_for_user(user).filter(
                assignment_id__in={f.assignment_id for f in unreturned},
                start__in={f.period for f in unreturned},
                status__in=[LeaveRequest.Status.APPROVED, LeaveRequest.Status.RETURNED])
                .order_by("id").values_list("id", "assignment_id", "start")):
            leave_ids[(aid, start.isoformat())] = pk
    for f in rows:
        f.link, f.link_month, f.link_leave = "", "", None
        leave = leave_ids.get((f.assignment_id, f.period)) if f.kind == Finding.Kind.UNRETURNED_LEAVE else None
        if leave is not None:
            f.link, f.link_leave = "leave", leave
        elif f.cadre_id not in openable:
            continue
        elif f.kind == Finding.Kind.UNMET_TRAINING:
            f.link = "training"
        else:
            f.link = "calendar"
            f.link_month = f.period[:7] if _PERIOD_DATE.fullmatch(f.period) else ""
    return rows
