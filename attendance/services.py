"""Writes for attendance, and the scans that turn gaps into findings.

Decisions worth knowing:
- The server's clock decides the check-in date (timezone.localdate(), Asia/Shanghai).
- A located check-in that fails a check is stored as "needs review", never refused.
- Approved leave creates presence records (kind=leave, source=leave) only for days that have
  no record yet: a check-in or a township record on a leave day stays, because it says the
  cadre was in fact there. 销假 moves the leave records to the actual dates.
- Leave length is counted in calendar days; it decides who approves.
- The scans are set-based: a fixed handful of queries for the whole province (or one county).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal

import chinese_calendar
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.db.models import Count, DateField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assignments import dates
from assignments.models import Assignment, Cadre, Finding, Profile, Region, Village, finding_auto_note, finding_detail
from assignments.selectors import can_manage_county, managed_county, scope_for_user
from assignments.text import list_join

from .models import (
    CountyAttendanceSetting,
    DailyPresenceSummary,
    LeaveRequest,
    PresenceRecord,
    WorkingDay,
    WorkLog,
    presence_note,
)
from .selectors import (
    active_on,
    assignment_on,
    checkin_target,
    correction_left_to_county,
    in_post_between,
    keeper_assignments_q,
    leave_can_decide,
    leave_cancellable,
    leave_covers,
    month_bounds,
    monthly_report_rows,
    monthly_report_scope,
    presence_requirement,
    rule,
)

Review = PresenceRecord.Review
Role = Profile.Role
LeaveStatus = LeaveRequest.Status


def _cadre_of(user) -> Cadre:
    cadre = Cadre.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
    if cadre is None:
        raise PermissionDenied(_("Only a cadre can do this, for themselves."))
    return cadre


def _days(start: dt.date, end: dt.date):
    for i in range((end - start).days + 1):
        yield start + dt.timedelta(days=i)


# --- working-day calendar ---------------------------------------------------------------------


def working_days_ensure(*, start: dt.date, end: dt.date) -> None:
    """Fill missing days of the calendar table: official data where the package has it,
    Monday–Friday otherwise. Days already there are kept, except Monday–Friday fallback days
    whose year the package has learnt since (an upgrade of chinesecalendar): those become
    official. Days edited by hand are never touched."""
    stats = WorkingDay.objects.filter(date__range=(start, end)).aggregate(
        n=Count("date"), fallback=Count("date", filter=Q(source=WorkingDay.Source.WEEKDAY)))
    if stats["n"] == (end - start).days + 1 and not stats["fallback"]:
        return
    rows = []
    for day in _days(start, end):
        try:
            rows.append(WorkingDay(date=day, is_working_day=chinese_calendar.is_workday(day),
                                   source=WorkingDay.Source.OFFICIAL))
        except NotImplementedError:
            rows.append(WorkingDay(date=day, is_working_day=day.weekday() < 5, source=WorkingDay.Source.WEEKDAY))
    missing = stats["n"] < len(rows)
    official = {r.date: r.is_working_day for r in rows if r.source == WorkingDay.Source.OFFICIAL}
    if not missing and not official:
        return  # fallback days whose year the package still does not know: nothing to do
    with transaction.atomic():
        if missing:
            WorkingDay.objects.bulk_create(rows, ignore_conflicts=True)
        if stats["fallback"] and official:
            _working_days_upgrade(official=official)


def _working_days_upgrade(*, official: dict[dt.date, bool]) -> None:
    """Fallback (Monday–Friday) days for which official data now exists take it; a day that
    turns out to be a day off closes its open missing-check-in findings, as a province edit does."""
    stale = list(WorkingDay.objects.filter(date__in=list(official), source=WorkingDay.Source.WEEKDAY))
    if not stale:
        return
    for wd in stale:
        wd.is_working_day, wd.source = official[wd.date], WorkingDay.Source.OFFICIAL
    WorkingDay.objects.bulk_update(stale, ["is_working_day", "source"])
    _working_days_changed(days=[wd.date for wd in stale], days_off=[wd.date for wd in stale if not wd.is_working_day],
                          now=timezone.now())


EDIT_REASON_MAX = WorkingDay._meta.get_field("edit_reason").max_length


def working_day_set(*, user, day: dt.date, is_working_day: bool, reason: str) -> WorkingDay:
    """The province sets one day to working or rest, saying why.

    The day becomes source "manual" with who, when and why: working_days_ensure only adds
    missing days, so a later refill from chinesecalendar keeps the edit. A day turned into
    rest closes its open missing-check-in findings at once (the nightly scan would do the same,
    with the same note); a day turned into working is checked by the next scan of that day.
    """
    # The province edits the calendar: this is the province's one write in attendance.
    if scope_for_user(user).role != Role.PROVINCE:
        raise PermissionDenied(_("Only province reviewers can change the working-day calendar."))
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say why this day changes (for example the State Council notice).")
    elif len(reason) > EDIT_REASON_MAX:
        errors["reason"] = _("Keep the reason under %(n)d characters.") % {"n": EDIT_REASON_MAX}
    # The years the calendar page offers (a typo like 20026 or 1926 is refused, not stored).
    low, high = dates.year_bounds(today=timezone.localdate())
    if not isinstance(day, dt.date) or not low <= day.year <= high:
        errors["day"] = _("Choose a date between %(low)d and %(high)d.") % {"low": low, "high": high}
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        wd, _created = WorkingDay.objects.update_or_create(date=day, defaults={
            "is_working_day": is_working_day, "source": WorkingDay.Source.MANUAL,
            "edited_by": user, "edited_at": now, "edit_reason": reason,
        })
        _working_days_changed(days=[day], days_off=[] if is_working_day else [day], now=now)
    return wd


def _working_days_changed(*, days: list[dt.date], days_off: list[dt.date], now) -> None:
    """After calendar days changed (a province edit, official data replacing the fallback):
    days that became days off close their open missing-check-in findings, and the dashboards'
    daily summaries, which carry each day's working flag and expected count, are rebuilt for
    the days that were summarised (one INSERT … SELECT for the province)."""
    if days_off:
        Finding.objects.filter(kind=Finding.Kind.MISSING_CHECKIN, status=Finding.Status.OPEN,
                               period__in=[d.isoformat() for d in days_off]).update(
            status=Finding.Status.RESOLVED, resolved_at=now,
            resolution_note=finding_auto_note("day_off"))
    from .summaries import presence_summaries_refresh  # summaries imports this module

    summarised = sorted(set(DailyPresenceSummary.objects.filter(day__in=days).values_list("day", flat=True)))
    if summarised:
        presence_summaries_refresh(days=summarised, now=now)


# --- presence -----------------------------------------------------------------------------------


@dataclass
class CheckinResult:
    record: PresenceRecord
    created: bool
    message: str


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@functools.lru_cache(maxsize=256)
def _boundary_shape(county_id: int, boundary: str):
    """Parsed county polygon (cached: a county's boundary is large and rarely changes)."""
    from shapely.geometry import shape

    data = json.loads(boundary)
    if data.get("type") == "FeatureCollection":
        from shapely.ops import unary_union

        return unary_union([shape(f["geometry"]) for f in data["features"]])
    if data.get("type") == "Feature":
        return shape(data["geometry"])
    return shape(data)


def _location_problems(*, village, county: Region, latitude, longitude, accuracy) -> list[tuple[str, dict]]:
    """Why a located check-in needs a human look, as (msgid, values) parts for presence_note;
    empty when it passes every check."""
    if latitude is None or longitude is None:
        return [(gettext_noop("No location was provided."), {})]
    lat, lon = float(latitude), float(longitude)
    problems = []
    max_acc = rule("CHECKIN_MAX_ACCURACY_M")
    if accuracy is None or float(accuracy) > max_acc:
        problems.append((gettext_noop("Location accuracy is worse than %(m)d m."), {"m": max_acc}))
    if village.latitude is not None and village.longitude is not None:
        radius = village.checkin_radius_m or rule("CHECKIN_DEFAULT_RADIUS_M")
        distance = _haversine_m(lat, lon, float(village.latitude), float(village.longitude))
        if distance > radius:
            problems.append((
                # Both in metres (one unit to compare), grouped by thousands: "12,345 m … 500 m".
                gettext_noop("%(d)s m from the village, more than the allowed %(r)s m."),
                {"d": f"{round(distance):,}", "r": f"{radius:,}"},
            ))
    if county.boundary:
        from shapely.geometry import Point

        try:
            inside = _boundary_shape(county.id, county.boundary).covers(Point(lon, lat))
        except (ValueError, KeyError, TypeError, AttributeError):
            inside = True  # an unreadable boundary must not block anybody; the distance check still ran
        if not inside:
            problems.append((gettext_noop("The position is outside %(county)s."), {"county": county.name}))
    return problems


def _fast_insert_possible() -> bool:
    """The one-statement insert below stands in for save() + django-simple-history's signal;
    it is only used where nothing else listens to those saves (checked at call time)."""
    from django.db.models.signals import post_save, pre_save
    from simple_history.signals import post_create_historical_record, pre_create_historical_record

    if connection.vendor != "postgresql" or pre_save.has_listeners(PresenceRecord):
        return False
    if pre_create_historical_record.has_listeners() or post_create_historical_record.has_listeners():
        return False
    sync_receivers, async_receivers = post_save._live_receivers(PresenceRecord)
    return not async_receivers and [type(getattr(r, "__self__", r)).__name__ for r in sync_receivers] == [
        "HistoricalRecords"]


def _insert_with_history(record: PresenceRecord) -> bool:
    """Insert a new record and its history row ("+", by `record._history_user`, else the
    request's user); False if (cadre, date) exists.

    On PostgreSQL one statement does both (INSERT … ON CONFLICT DO NOTHING RETURNING inside a
    CTE that feeds the history INSERT): atomic on its own, so no BEGIN/COMMIT round trips. That
    is 1 round trip instead of 4 (BEGIN, INSERT, history INSERT, COMMIT) on the busiest write
    of the app. Columns come from the models' metadata, and a history column this code does
    not know makes it fall back to save(), so a model change cannot silently drop data."""
    plan = _checkin_plan(with_target=False) if _fast_insert_possible() else None
    if plan is not None:
        row = _execute_prepared(plan, _checkin_params(record, plan))
        if row is None:
            return False
        record.pk = row[0]
        record._state.adding, record._state.db = False, connection.alias
        return True
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        return False
    return True


def _checkin_in_one_statement(record: PresenceRecord) -> tuple[tuple[int, int, int, bool] | None, bool | None]:
    """The whole check-in as one PostgreSQL statement: find today's post (what
    selectors.checkin_target answers) and, unless its county checks locations, insert the record
    and its history row. Returns (target or None, inserted?), inserted None when nothing was
    tried (a located county: the caller checks the position first) or the fast path is off."""
    plan = _checkin_plan(with_target=True) if _fast_insert_possible() else None
    if plan is None:
        return checkin_target(cadre_id=record.cadre_id, day=record.date), None
    row = _execute_prepared(plan, [record.cadre_id, record.date, record.date, *_checkin_params(record, plan)])
    if row is None:
        return None, None
    assignment_id, village_id, county_id, located, record_id = row
    if located:
        return (assignment_id, village_id, county_id, True), None
    record.assignment_id = assignment_id
    if record_id is not None:
        record.pk = record_id
        record._state.adding, record._state.db = False, connection.alias
    return (assignment_id, village_id, county_id, False), record_id is not None


def _history_user_id(record: PresenceRecord) -> int | None:
    # What simple_history's post_save would record: an explicit _history_user, else the user of
    # the request being served (HistoryRequestMiddleware), else nobody.
    from simple_history.models import HistoricalRecords

    explicit = getattr(record, "_history_user", None)
    if explicit is not None:
        return explicit.pk
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _checkin_params(record: PresenceRecord, plan: _Plan) -> list:
    params = [getattr(record, f.attname) if native else f.get_db_prep_save(f.pre_save(record, True), connection)
              for f, native in zip(plan.fields, plan.native, strict=True)]
    for name, f in plan.hist_values:
        if name == "history_date":
            params.append(f.get_db_prep_save(timezone.now(), connection))
        elif name == "history_user_id":
            params.append(_history_user_id(record))
        else:  # history_change_reason
            params.append(getattr(record, "_change_reason", None))
    return params


@dataclass(frozen=True)
class _Plan:
    name: str  # of the prepared statement
    sql: str  # with $1, $2, … placeholders
    types: tuple[str, ...]  # of the parameters, for PREPARE
    fields: tuple  # record fields given as parameters, in order
    native: tuple[bool, ...]  # per field: the attribute goes to psycopg2 as it is (see _native)
    hist_values: tuple  # (name, field) of the history values given as parameters, after them


def _execute_prepared(plan: _Plan, params: list):
    """Run a check-in statement as a prepared statement of this database connection (PREPARE
    once per connection, then EXECUTE): PostgreSQL then plans it once instead of on every
    check-in, which was about half of its CPU per check-in. Prepared statements belong to the
    session, not to a transaction, so a rollback does not lose one."""
    db = connections[DEFAULT_DB_ALIAS]  # this thread's connection wrapper, not the shared proxy
    with db.cursor() as cursor:
        # Remember which raw connection has it: a reconnect (CONN_MAX_AGE, a dropped link)
        # starts a new session without it. (Not for a pooler in transaction mode, which hands
        # each transaction a different session.)
        prepared = db.__dict__.setdefault("_zhucun_prepared", {})
        if prepared.get(plan.name) is not db.connection:
            cursor.execute(f"PREPARE {plan.name} ({', '.join(plan.types)}) AS {plan.sql}")
            prepared[plan.name] = db.connection
        cursor.execute(f"EXECUTE {plan.name} ({', '.join(['%s'] * len(params))})", params)
        return cursor.fetchone()


def _column(meta, name: str) -> str:
    """The quoted column of a model field, for the hand-written statements below."""
    return connection.ops.quote_name(meta.get_field(name).column)


def _dollar_params(sql: str) -> str:
    parts = sql.split("%s")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


@functools.cache
def _checkin_plan(*, with_target: bool) -> _Plan | None:
    """The one-statement check-in, built once per process from the models' metadata; None if
    the history model has a column this code does not know how to fill (then save() does the
    work)."""
    history = PresenceRecord.history.model
    qn = connection.ops.quote_name
    fields = [f for f in PresenceRecord._meta.concrete_fields if not f.primary_key]
    own = {f.attname: f.column for f in PresenceRecord._meta.concrete_fields}
    hist_cols, hist_exprs, hist_values = [], [], []
    for f in history._meta.concrete_fields:
        if f.attname == "history_id":
            continue
        if f.attname in own:
            hist_exprs.append(f"r.{qn(own[f.attname])}")
        elif f.attname == "history_type":
            hist_exprs.append("'+'")
        elif f.attname in ("history_date", "history_user_id", "history_change_reason"):
            hist_exprs.append("%s")
            hist_values.append((f.attname, f))
        else:
            return None
        hist_cols.append(qn(f.column))
    table, hist_table = qn(PresenceRecord._meta.db_table), qn(history._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    history_insert = f"INSERT INTO {hist_table} ({', '.join(hist_cols)}) SELECT {', '.join(hist_exprs)} FROM r"
    if not with_target:
        sql = (f"WITH r AS (INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
               f"ON CONFLICT DO NOTHING RETURNING *) {history_insert} RETURNING {qn('id')}")
        return _plan("zhucun_presence_insert", sql, [], fields, hist_values)
    # The post on the day, as selectors.checkin_target (active_on, Assignment.Meta.ordering),
    # and the county's location switch.
    asg, village = Assignment._meta, Village._meta
    setting = CountyAttendanceSetting._meta
    col = _column
    target = (
        f"SELECT s.{col(asg, 'id')}, s.{col(asg, 'village')}, v.{col(village, 'county')}, EXISTS ("
        f"SELECT 1 FROM {qn(setting.db_table)} c WHERE c.{col(setting, 'county')} = v.{col(village, 'county')} "
        f"AND c.{col(setting, 'location_checkin_enabled')}) "
        f"FROM {qn(asg.db_table)} s JOIN {qn(village.db_table)} v ON v.{col(village, 'id')} = s.{col(asg, 'village')} "
        f"WHERE s.{col(asg, 'cadre')} = %s AND s.{col(asg, 'start_date')} <= %s "
        f"AND (s.{col(asg, 'end_date')} IS NULL OR s.{col(asg, 'end_date')} >= %s) "
        f"ORDER BY s.{col(asg, 'start_date')} DESC, s.{col(asg, 'id')} LIMIT 1"
    )
    values = ", ".join("a.id" if f.attname == "assignment_id" else "%s" for f in fields)
    sql = (
        f"WITH a (id, village_id, county_id, located) AS ({target}), "
        f"r AS (INSERT INTO {table} ({columns}) SELECT {values} FROM a WHERE NOT a.located "
        f"ON CONFLICT DO NOTHING RETURNING *), "
        f"h AS ({history_insert}) "
        f"SELECT a.id, a.village_id, a.county_id, a.located, (SELECT r.{qn('id')} FROM r) FROM a"
    )
    target_types = [asg.get_field("cadre").db_type(connection), "date", "date"]
    return _plan("zhucun_checkin", sql, target_types, [f for f in fields if f.attname != "assignment_id"], hist_values)


def _plan(name: str, sql: str, leading_types: list[str], fields: list, hist_values: list) -> _Plan:
    types = [*leading_types, *(f.db_type(connection) for f in fields), *(f.db_type(connection) for _, f in hist_values)]
    return _Plan(name=name, sql=_dollar_params(sql), types=tuple(types), fields=tuple(fields),
                 native=tuple(_native(f) for f in fields), hist_values=tuple(hist_values))


# Fields whose Python value psycopg2 adapts itself and whose get_db_prep_save is the identity on
# PostgreSQL (no pre_save work either): the check-in skips Django's per-field conversion for
# them. Anything else (a new field type, auto_now) goes through get_db_prep_save as usual.
_NATIVE_FIELDS = (models.CharField, models.TextField, models.ForeignKey, models.IntegerField, models.FloatField,
                  models.BooleanField, models.DateField, models.DateTimeField, models.DecimalField)


def _native(f) -> bool:
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return False
    return type(f) in _NATIVE_FIELDS


def presence_checkin(*, user, latitude=None, longitude=None, accuracy=None) -> CheckinResult:
    """The cadre's one-tap check-in for today (server date). A second tap changes nothing.

    The hot path of the app (every cadre, every morning). On PostgreSQL it is one statement:
    find today's post and its county's location switch, and, where locations are not checked,
    insert the record and its history row (a second tap is caught by the unique (cadre, date)
    constraint instead of being looked up first). Where the county checks locations, the
    village and county (with its boundary) are read and the position checked before the insert."""
    scope = scope_for_user(user)
    if scope.role != Role.CADRE or not scope.cadre_id:
        raise PermissionDenied(_("Only a cadre can do this, for themselves."))
    now = timezone.now()
    today = timezone.localdate(now)
    record = PresenceRecord(
        cadre_id=scope.cadre_id, date=today, kind=PresenceRecord.Kind.IN_VILLAGE,
        source=PresenceRecord.Source.SELF, recorded_at=now, recorded_by_id=user.pk,
    )
    record._history_user = user  # the history row names the cadre, in a request or not
    target, inserted = _checkin_in_one_statement(record)
    if target is None:
        raise ValidationError(_("You are not stationed in a village today, so there is nothing to check in to."))
    assignment_id, village_id, _county_id, located = target
    record.assignment_id = assignment_id
    if inserted is None:
        if located:
            village = Village.objects.select_related("county").get(pk=village_id)
            if latitude is not None and longitude is not None:
                record.latitude = Decimal(str(round(float(latitude), 6)))
                record.longitude = Decimal(str(round(float(longitude), 6)))
            record.accuracy_m = float(accuracy) if accuracy is not None else None
            problems = _location_problems(village=village, county=village.county, latitude=latitude,
                                          longitude=longitude, accuracy=accuracy)
            if problems:
                record.review_status = Review.NEEDS_REVIEW
                record.review_note, parts = presence_note(problems)
                record.note_args = {"review": parts}
        inserted = _insert_with_history(record)
    if not inserted:
        # Already a record today (an earlier tap, two taps at once, leave, the township's).
        existing = PresenceRecord.objects.get(cadre_id=scope.cadre_id, date=today)
        return CheckinResult(existing, False, _already_message(existing))
    if record.review_status == Review.NEEDS_REVIEW:
        message = _("Checked in. Your location could not be confirmed (%(why)s) so county staff will review it.") % {
            "why": record.review_note_text.rstrip("。.")}
    else:
        message = _("Checked in for %(day)s. Thank you.") % {"day": today.isoformat()}
    return CheckinResult(record, True, message)


def _already_message(record: PresenceRecord) -> str:
    if record.kind == PresenceRecord.Kind.LEAVE:
        return _("Today is recorded as leave. If you are back, report your return (销假) first.")
    if record.source == PresenceRecord.Source.SELF:
        return _("You have already checked in today at %(t)s; nothing was changed.") % {
            "t": timezone.localtime(record.recorded_at).strftime("%H:%M")}
    return _("Today is already recorded as “%(kind)s” by the township; nothing was changed.") % {
        "kind": record.get_kind_display()}


def presence_review(*, user, record: PresenceRecord, accept: bool, reason: str = "") -> PresenceRecord:
    """County staff accept or reject a check-in that needed review. Rejecting needs a reason."""
    if not can_manage_county(user, record.assignment.village.county_id):
        raise PermissionDenied(_("Only staff of the village's county review its check-ins."))
    if record.review_status != Review.NEEDS_REVIEW:
        raise ValidationError(_("This record does not need review (it is “%(s)s”).") % {
            "s": record.get_review_status_display()})
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError({"reason": _("Give the reason for rejecting the check-in.")})
    record.review_status = Review.ACCEPTED if accept else Review.REJECTED
    record.review_note = f"{record.review_note}\n{reason}".strip() if reason else record.review_note
    record.reviewed_by, record.reviewed_at = user, timezone.now()
    record._change_reason = reason or "accepted"
    record.save()
    return record


def _keeper_assignments(user, day: dt.date):
    q = keeper_assignments_q(user)
    if q is None:
        raise PermissionDenied(_("Only township or county staff keep attendance."))
    return Assignment.objects.filter(q).filter(active_on(day))


@dataclass
class BulkResult:
    created: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)


def presence_record_bulk(*, user, day: dt.date, entries: dict[int, str]) -> BulkResult:
    """The township keeper's day grid: {cadre_id: kind} for cadres in post on `day`.

    Creates records for cadres with none; a cadre who already has a different record is
    listed in `conflicts` (change it with presence_correct, which asks for a reason)."""
    if day > timezone.localdate():
        raise ValidationError({"day": _("Attendance cannot be recorded for a future day.")})
    bad = sorted({k for k in entries.values() if k and k not in PresenceRecord.Kind.values})
    if bad:
        raise ValidationError({"entries": _("Unknown attendance kind: %(k)s.") % {"k": ", ".join(bad)}})
    entries = {int(c): k for c, k in entries.items() if k}
    assignments = {a.cadre_id: a for a in _keeper_assignments(user, day).filter(cadre_id__in=list(entries))
                   .select_related("cadre")}
    outside = set(entries) - set(assignments)
    if outside:
        raise ValidationError({"entries": _("Some cadres are not stationed in your area on %(d)s.") % {
            "d": day.isoformat()}})
    existing = {r.cadre_id: r for r in PresenceRecord.objects.filter(cadre_id__in=list(entries), date=day)}
    _require_approved_leave(cadre_ids=[c for c, k in entries.items()
                                       if k == PresenceRecord.Kind.LEAVE and c not in existing], day=day)
    result = BulkResult()
    now = timezone.now()
    new = []
    for cadre_id, kind in entries.items():
        record = existing.get(cadre_id)
        if record is None:
            new.append(PresenceRecord(
                cadre_id=cadre_id, assignment=assignments[cadre_id], date=day, kind=kind,
                source=PresenceRecord.Source.KEEPER, recorded_at=now, recorded_by=user,
            ))
        elif record.kind == kind:
            result.unchanged += 1
        else:
            result.conflicts.append(assignments[cadre_id].cadre.name)
    with transaction.atomic():
        # save() one by one so simple_history keeps a row per record; a township is small.
        for record in new:
            record._change_reason = "keeper day grid"
            record.save()
    result.created = len(new)
    return result


def _require_approved_leave(*, cadre_ids: list[int], day: dt.date) -> None:
    """A keeper may mark "on approved leave" only where approved leave covers the day: leave is
    approved through a request (and by the county beyond the township's limit), never by
    ticking a box on the grid. One query."""
    if not cadre_ids:
        return
    covered = set(LeaveRequest.objects.filter(leave_covers(day), cadre_id__in=cadre_ids)
                  .values_list("cadre_id", flat=True))
    missing = [c for c in cadre_ids if c not in covered]
    if missing:
        names = Cadre.objects.filter(pk__in=missing).order_by("name").values_list("name", flat=True)
        raise ValidationError({"kind": _("No approved leave covers %(d)s for %(names)s: leave is recorded by "
                                         "approving the cadre's leave request, not on the grid.") % {
            "d": day.isoformat(), "names": list_join(names)}})


def presence_correct(*, user, cadre: Cadre, day: dt.date, kind: str, reason: str) -> PresenceRecord:
    """A keeper corrects (or adds) one cadre's record for one day, with a reason kept in history."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    if kind not in PresenceRecord.Kind.values:
        raise ValidationError({"kind": _("Choose what the cadre was doing that day.")})
    if day > timezone.localdate():
        raise ValidationError({"day": _("Attendance cannot be recorded for a future day.")})
    assignment = _keeper_assignments(user, day).filter(cadre=cadre).select_related("village").first()
    if assignment is None:
        if Assignment.objects.filter(keeper_assignments_q(user), cadre=cadre).exists():
            # One of the keeper's cadres, on a day outside the posting: bad input, not a 403.
            raise ValidationError({"day": _("%(name)s was not stationed in your area on %(d)s.") % {
                "name": cadre.name, "d": day.isoformat()}})
        raise PermissionDenied(_("This cadre is not stationed in your area on that day."))
    record = PresenceRecord.objects.filter(cadre=cadre, date=day).first() or PresenceRecord(
        cadre=cadre, assignment=assignment, date=day)
    county_staff = can_manage_county(user, assignment.village.county_id)
    if correction_left_to_county(record) and not county_staff:
        raise ValidationError(_("%(name)s's check-in on %(d)s is for the county's location review to decide "
                                "(%(st)s); only county staff can change it.") % {
            "name": cadre.name, "d": day.isoformat(), "st": record.get_review_status_display()})
    if kind == PresenceRecord.Kind.LEAVE and record.kind != kind:
        _require_approved_leave(cadre_ids=[cadre.pk], day=day)
    record.kind, record.source = kind, PresenceRecord.Source.KEEPER
    record.recorded_at, record.recorded_by = timezone.now(), user
    record.correction_reason = reason
    if record.review_status == Review.NEEDS_REVIEW:
        record.review_status, record.reviewed_by, record.reviewed_at = Review.ACCEPTED, user, timezone.now()
    record._change_reason = reason
    record.save()
    return record


# --- leave (请假 / 销假) -------------------------------------------------------------------------


def _own_leave(user, leave: LeaveRequest) -> Cadre:
    cadre = _cadre_of(user)
    if leave.cadre_id != cadre.id:
        raise PermissionDenied(_("You can only act on your own leave requests."))
    return cadre


def _present_days(*, cadre_id: int, start: dt.date, end: dt.date) -> str:
    """Days of start..end on which the cadre is recorded in the village or on a trip (a check-in
    the county rejected does not count), as a short list for a message; "" if none. Leave over
    such days would say the cadre was away while the record says they were there."""
    days = list(PresenceRecord.objects.filter(
        cadre_id=cadre_id, date__range=(start, end),
        kind__in=[PresenceRecord.Kind.IN_VILLAGE, PresenceRecord.Kind.TRIP],
    ).exclude(review_status=Review.REJECTED).order_by("date").values_list("date", flat=True)[:6])
    text = list_join(d.isoformat() for d in days[:5])
    return text + ("…" if len(days) > 5 else "")


def _leave_rules(*, cadre: Cadre, start: dt.date, end: dt.date, exclude_id: int | None = None) -> Assignment:
    if start is None or end is None:
        raise ValidationError({"start": _("Give the first and the last day of leave.")})
    if end < start:
        raise ValidationError({"end": _("The last day of leave cannot be before the first day.")})
    assignment = (
        Assignment.objects.filter(cadre=cadre, start_date__lte=start)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start)).select_related("village").first()
    )
    if assignment is None:
        raise ValidationError({"start": _("You are not stationed in a village on %(d)s.") % {"d": start.isoformat()}})
    last = assignment.end_date or assignment.planned_end_date
    if end > last:
        raise ValidationError(
            {"end": _("Leave must end within your assignment, which ends on %(d)s.") % {"d": last.isoformat()}}
        )
    present = _present_days(cadre_id=cadre.pk, start=start, end=end)
    if present:
        raise ValidationError({"start": _("You are recorded in the village or on an official trip on %(days)s; "
                                          "leave cannot cover those days.") % {"days": present}})
    others = LeaveRequest.objects.filter(
        cadre=cadre, status__in=[LeaveStatus.DRAFT, LeaveStatus.SUBMITTED, LeaveStatus.APPROVED, LeaveStatus.RETURNED],
        start__lte=end,
    ).exclude(pk=exclude_id)
    for other in others:
        if other.effective_end >= start:
            raise ValidationError({"start": _("This overlaps your leave from %(s)s to %(e)s (%(st)s).") % {
                "s": other.start.isoformat(), "e": other.effective_end.isoformat(), "st": other.get_status_display()}})
    return assignment


def leave_request_create(*, user, kind: str, start: dt.date, end: dt.date, reason: str,
                         submit: bool = True) -> LeaveRequest:
    cadre = _cadre_of(user)
    if kind not in LeaveRequest.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of leave.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the leave.")})
    with transaction.atomic():
        # Lock the cadre row so two requests at once cannot both pass the overlap check.
        Cadre.objects.select_for_update().filter(pk=cadre.pk).first()
        assignment = _leave_rules(cadre=cadre, start=start, end=end)
        leave = LeaveRequest(cadre=cadre, assignment=assignment, kind=kind, start=start, end=end, reason=reason)
        if submit:
            leave.status, leave.submitted_at = LeaveStatus.SUBMITTED, timezone.now()
        leave.save()
    return leave


def leave_request_submit(*, user, leave: LeaveRequest) -> LeaveRequest:
    _own_leave(user, leave)
    if leave.status != LeaveStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    _leave_rules(cadre=leave.cadre, start=leave.start, end=leave.end, exclude_id=leave.pk)
    leave.status, leave.submitted_at = LeaveStatus.SUBMITTED, timezone.now()
    leave.save()
    return leave


def _check_decider(user, leave: LeaveRequest) -> None:
    if Cadre.objects.filter(user=user, pk=leave.cadre_id).exists():
        raise PermissionDenied(_("Nobody can approve their own leave."))
    if not leave_can_decide(user, leave):
        limit = rule("LEAVE_TOWNSHIP_MAX_DAYS")
        raise PermissionDenied(
            _("Leave of up to %(n)d days is decided by the village's township staff; longer leave by its county "
              "organisation department.") % {"n": limit}
        )
    if leave.status != LeaveStatus.SUBMITTED:
        raise ValidationError(_("This request is not waiting for a decision (it is “%(s)s”).") % {
            "s": leave.get_status_display()})


def _leave_records_create(leave: LeaveRequest, start: dt.date, end: dt.date, user) -> None:
    """Leave records for the days of start..end. Valid check-ins and trips there stay (approval
    refuses leave over them, _present_days); a day recorded absent, or a check-in the county
    rejected, becomes leave — approved leave explains that day, and left as it was the day would
    count as missing in the calendar, the report and the scans. The record is changed, not
    replaced, so its history keeps what it said before."""
    now = timezone.now()
    taken = {r.date: r for r in PresenceRecord.objects.filter(cadre_id=leave.cadre_id, date__range=(start, end))}
    reason, reason_parts = presence_note([(gettext_noop("Approved leave covers this day."), {})])
    for day in _days(start, end):
        record = taken.get(day)
        if record is not None:
            if record.kind == PresenceRecord.Kind.ABSENT or record.review_status == Review.REJECTED:
                record.kind, record.source, record.leave = PresenceRecord.Kind.LEAVE, PresenceRecord.Source.LEAVE, leave
                record.recorded_at, record.recorded_by = now, user
                # A rejected check-in's position goes with it (positions are kept for review only).
                record.latitude = record.longitude = record.accuracy_m = None
                record.review_status, record.review_note = Review.OK, ""
                record.correction_reason = reason
                record.note_args = {**(record.note_args or {}), "correction": reason_parts}
                record.note_args.pop("review", None)  # the review note went with the check-in
                record._change_reason = reason
                record.save()
            continue
        record = PresenceRecord(
            cadre_id=leave.cadre_id, assignment_id=leave.assignment_id, date=day, kind=PresenceRecord.Kind.LEAVE,
            source=PresenceRecord.Source.LEAVE, recorded_at=now, recorded_by=user, leave=leave,
        )
        record.save()


def leave_request_approve(*, user, leave: LeaveRequest, comment: str = "") -> LeaveRequest:
    _check_decider(user, leave)
    # The cadre may have checked in (or been recorded) on a day of the request since asking.
    present = _present_days(cadre_id=leave.cadre_id, start=leave.start, end=leave.end)
    if present:
        raise ValidationError(_("%(name)s is recorded in the village or on an official trip on %(days)s, within "
                                "this leave; reject it with a comment so the cadre can ask again for the other "
                                "days.") % {"name": leave.cadre.name, "days": present})
    with transaction.atomic():
        leave.status, leave.decided_by, leave.decided_at = LeaveStatus.APPROVED, user, timezone.now()
        leave.decision_comment = (comment or "").strip()
        leave.save()
        _leave_records_create(leave, leave.start, leave.end, user)
    return leave


def leave_request_reject(*, user, leave: LeaveRequest, comment: str) -> LeaveRequest:
    _check_decider(user, leave)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Tell the cadre why the leave is rejected.")})
    leave.status, leave.decided_by, leave.decided_at = LeaveStatus.REJECTED, user, timezone.now()
    leave.decision_comment = comment
    leave.save()
    return leave


def leave_request_cancel(*, user, leave: LeaveRequest) -> LeaveRequest:
    """A cadre withdraws a draft or a pending request, or approved leave that has not begun."""
    _own_leave(user, leave)
    if not leave_cancellable(leave=leave, today=timezone.localdate()):
        raise ValidationError(_("Leave that has begun cannot be cancelled; report your return (销假) instead."))
    with transaction.atomic():
        leave.status = LeaveStatus.CANCELLED
        leave.save()
        for record in leave.presence_records.filter(source=PresenceRecord.Source.LEAVE):
            record.delete()
    return leave


def leave_request_return(*, user, leave: LeaveRequest, actual_return_date: dt.date) -> LeaveRequest:
    """销假: the cadre reports the first day back at post; leave records follow the actual dates."""
    _own_leave(user, leave)
    if leave.status != LeaveStatus.APPROVED:
        raise ValidationError(_("Only approved leave can be reported back."))
    if actual_return_date is None:
        raise ValidationError({"actual_return_date": _("Give the day you were back in the village.")})
    if actual_return_date < leave.start:
        raise ValidationError({"actual_return_date": _("The return day cannot be before the leave began.")})
    if actual_return_date > timezone.localdate():
        raise ValidationError({"actual_return_date": _("The return day cannot be in the future.")})
    last = leave.assignment.end_date or leave.assignment.planned_end_date
    if actual_return_date - dt.timedelta(days=1) > last:
        raise ValidationError({"actual_return_date": _("The leave cannot run past your assignment.")})
    with transaction.atomic():
        leave.status, leave.actual_return_date, leave.returned_at = (
            LeaveStatus.RETURNED, actual_return_date, timezone.now())
        leave.save()
        for record in leave.presence_records.filter(source=PresenceRecord.Source.LEAVE, date__gte=actual_return_date):
            record._change_reason = "returned early"
            record.delete()
        if actual_return_date > leave.start:
            _leave_records_create(leave, leave.start, actual_return_date - dt.timedelta(days=1), user)
    return leave


# --- work logs ------------------------------------------------------------------------------------


def worklog_create(*, user, date: dt.date, content: str, duties) -> WorkLog:
    cadre = _cadre_of(user)
    content = (content or "").strip()
    errors = {}
    if not content:
        errors["content"] = _("Write what was done.")
    packed = WorkLog.pack_duties(duties or [])
    if not packed:
        errors["duties"] = _("Tag the log with at least one of the four duties.")
    if date is None or date > timezone.localdate():
        errors["date"] = _("A work log is for today or an earlier day.")
    if errors:
        raise ValidationError(errors)
    assignment = assignment_on(cadre=cadre, day=date)
    if assignment is None:
        raise ValidationError({"date": _("You were not stationed in a village on %(d)s.") % {"d": date.isoformat()}})
    return WorkLog.objects.create(cadre=cadre, assignment=assignment, date=date, content=content, duties=packed)


# --- county settings ---------------------------------------------------------------------------------


def county_location_checkin_set(*, user, enabled: bool, reason: str) -> CountyAttendanceSetting:
    """County staff turn location check-in on or off for their own county, with the basis for
    it (kept in the setting's history). Off by default: a national rule forbids compulsory
    location tracking in government apps, so turning it on is the county's recorded decision."""
    county = managed_county(user)
    if county is None:
        raise PermissionDenied(_("Only county staff change their county's attendance settings."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say on what basis the setting is changed.")})
    try:
        with transaction.atomic():
            # No row is the default (off); the first change creates it, so the history holds
            # only real decisions.
            setting = CountyAttendanceSetting.objects.select_for_update().filter(county=county).first()
            if (setting.location_checkin_enabled if setting else False) == enabled:
                raise ValidationError(
                    _("Location check-in is already on for %(county)s.") % {"county": county.name} if enabled
                    else _("Location check-in is already off for %(county)s.") % {"county": county.name})
            setting = setting or CountyAttendanceSetting(county=county)
            setting.location_checkin_enabled = enabled
            setting._history_user, setting._change_reason = user, reason
            setting.save()
    except IntegrityError:  # a colleague created the row at the same moment
        raise ValidationError(_("The setting was changed at the same time by someone else; look again.")) from None
    return setting


def presence_positions_erase(*, today: dt.date | None = None) -> int:
    """Erase the positions of check-ins older than POSITION_KEEP_DAYS on which no review waits,
    from the records and from their history (simple-history keeps a copy of every version).

    A position is collected only to check that one check-in; once the county has decided on it
    (or it passed the checks), the review note says what was found and the coordinates are no
    longer needed. Two UPDATEs for the whole province; the accuracy stays (it locates nobody).
    Returns the number of records whose position was erased."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=rule("POSITION_KEEP_DAYS"))
    located = Q(date__lt=cutoff) & (Q(latitude__isnull=False) | Q(longitude__isnull=False))
    with transaction.atomic():
        # A queryset update writes no history row: erasing is not a new version of the record.
        erased = (PresenceRecord.objects.filter(located).exclude(review_status=Review.NEEDS_REVIEW)
                  .update(latitude=None, longitude=None))
        # The same in every stored version, except those of records still waiting for review.
        waiting = PresenceRecord.objects.filter(date__lt=cutoff, review_status=Review.NEEDS_REVIEW).values("id")
        PresenceRecord.history.model.objects.filter(located).exclude(id__in=waiting).update(
            latitude=None, longitude=None)
    return erased


# --- monthly report (考勤月报表) ------------------------------------------------------------------------


def monthly_report_file(*, month: dt.date, assignments, area: str) -> tuple[bytes, str, int]:
    """The monthly report of `assignments` (from selectors.monthly_report_scope) as .xlsx:
    (file, file name, rows). Fills the working-day calendar of the month first: holidays and
    调休 days must be known before gaps are marked (as for the calendar page)."""
    from .exports import monthly_report_name, monthly_report_xlsx

    working_days_ensure(start=month, end=month_bounds(month)[1])
    days, rows = monthly_report_rows(assignments=assignments, month=month, today=timezone.localdate())
    data = monthly_report_xlsx(month=month, area=area, days=days, rows=rows)
    # Named as the title row: the page's name of the report, the area, the month.
    return data, f"{monthly_report_name()}-{area}-{month:%Y-%m}.xlsx", len(rows)


def monthly_report_job_build(*, user, params: dict[str, list[str]]) -> tuple[bytes, str, int]:
    """The export worker's builder for a large monthly report (see assignments.export_jobs): the
    same scope and township as the page, as the user who asked. Registered by AttendanceConfig."""
    with translation.override(settings.LANGUAGE_CODE):
        # The page checked the month before queueing the job; the same parser again, so a job row
        # written some other way cannot fill the calendar for the year 9999 either.
        month = dates.parse_month((params.get("month") or [""])[0], today=timezone.localdate())
        if month is None:
            raise ValueError(f"monthly report job: month out of range: {params.get('month')!r}")
        assignments, area = monthly_report_scope(user=user, township_id=(params.get("township") or [""])[0])
        return monthly_report_file(month=month, assignments=assignments, area=area)


# --- findings: manual resolution -------------------------------------------------------------------


def finding_resolve(*, user, finding: Finding, note: str) -> Finding:
    if not can_manage_county(user, finding.county_id):
        raise PermissionDenied(_("Only staff of the finding's county resolve it."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say how the finding was resolved.")})
    if finding.status == Finding.Status.RESOLVED:
        raise ValidationError(_("This finding is already resolved."))
    finding.status, finding.resolved_at, finding.resolved_by = Finding.Status.RESOLVED, timezone.now(), user
    finding.resolution_note = note
    finding.save()
    return finding


# --- the scans ----------------------------------------------------------------------------------


@dataclass
class ScanResult:
    day: dt.date
    working_day: bool = False
    calendar_source: str = ""
    missing: int = 0
    escalated: int = 0
    unreturned: int = 0
    shortfall_month: str = ""
    shortfall: int = 0
    created: int = 0
    updated: int = 0
    resolved: int = 0

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["day"] = self.day.isoformat()
        return d


def _insert_findings(*, kind: str, new: list[tuple], now) -> None:
    """INSERT … ON CONFLICT DO NOTHING on the unique (kind, assignment, period), for rows
    (assignment_id, period, cadre_id, village_id, county_id, severity, detail, detail_args).

    At month end ten thousand new findings are normal. On PostgreSQL they go in as one
    statement over arrays (unnest), with what every row shares (kind, status, times) passed
    once: bulk_create spent ~1 s compiling per-row SQL, and per-row VALUES through psycopg2
    still ~0.3 s adapting the same timestamp 20,000 times."""
    if connection.vendor == "postgresql":
        meta = Finding._meta
        columns = ["kind", "status", "first_seen", "last_seen", "resolution_note",
                   "assignment", "period", "cadre", "village", "county", "severity", "detail", "detail_args"]
        arrays = ["assignment", "period", "cadre", "village", "county", "severity", "detail", "detail_args"]
        array_types = [f"{meta.get_field(name).db_type(connection).split('(')[0]}[]" for name in arrays]
        sql = (
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(_column(meta, c) for c in columns)}) "
            f"SELECT %s, %s, %s, %s, '', t.* FROM unnest({', '.join(f'%s::{t}' for t in array_types)}) AS t "
            "ON CONFLICT DO NOTHING"
        )
        values = [list(column) for column in zip(*new, strict=True)]
        values[-1] = [json.dumps(args, ensure_ascii=False) for args in values[-1]]  # text[] cast to jsonb[]
        with connection.cursor() as cursor:
            cursor.execute(sql, [kind, Finding.Status.OPEN, now, now, *values])
        return
    Finding.objects.bulk_create([
        Finding(kind=kind, assignment_id=aid, period=period, cadre_id=cadre_id, village_id=village_id,
                county_id=county_id, severity=severity, detail=detail, detail_args=args, first_seen=now, last_seen=now)
        for aid, period, cadre_id, village_id, county_id, severity, detail, args in new
    ], batch_size=2000, ignore_conflicts=True)


def _upsert_findings(*, kind: str, rows: dict, existing_qs, now, resolve_absent_note: str = "") -> tuple[int, int, int]:
    """Write scan results for one kind without a query per row.

    rows: {(assignment_id, period): (cadre_id, village_id, county_id, severity, (detail, detail_args))}
    with the detail from assignments.models.finding_detail.
    existing_qs: the findings of this kind the scan covers (same periods, same county).
    New rows go in with bulk_create(ignore_conflicts) on the unique (kind, assignment, period);
    rows whose severity or detail changed are updated; an unchanged row is not touched, so a
    second run writes nothing. A finding resolved automatically earlier that is back reopens;
    one resolved by a person stays resolved. With resolve_absent_note, open findings the scan
    no longer sees are resolved."""
    existing = {(f["assignment_id"], f["period"]): f for f in existing_qs.values(
        "id", "assignment_id", "period", "severity", "detail", "detail_args", "status", "resolved_by_id")}
    new, changed = [], []
    for key, (cadre_id, village_id, county_id, severity, (detail, args)) in rows.items():
        old = existing.get(key)
        if old is None:
            new.append((key[0], key[1], cadre_id, village_id, county_id, int(severity), detail, args))
            continue
        reopen = old["status"] == Finding.Status.RESOLVED and old["resolved_by_id"] is None
        if reopen or (old["status"] == Finding.Status.OPEN
                      and (old["severity"], old["detail"], old["detail_args"]) != (severity, detail, args)):
            f = Finding(id=old["id"], severity=severity, detail=detail, detail_args=args, last_seen=now,
                        status=Finding.Status.OPEN, resolved_at=None, resolution_note="")
            changed.append(f)
    if new:
        _insert_findings(kind=kind, new=new, now=now)
    if changed:
        Finding.objects.bulk_update(changed, ["severity", "detail", "detail_args", "last_seen", "status",
                                              "resolved_at", "resolution_note"], batch_size=2000)
    resolved = 0
    if resolve_absent_note:
        gone = [f["id"] for key, f in existing.items() if key not in rows and f["status"] == Finding.Status.OPEN]
        if gone:
            resolved = Finding.objects.filter(id__in=gone).update(
                status=Finding.Status.RESOLVED, resolved_at=now, resolution_note=resolve_absent_note)
    return len(new), len(changed), resolved


def _county_q(county: Region | None, prefix: str) -> Q:
    return Q(**{prefix: county.id}) if county is not None else Q()


def scan_missing_checkins(*, day: dt.date, county: Region | None = None, now=None) -> tuple[int, int, int, int]:
    """Missing check-ins on a working day: in post, no record (a rejected check-in does not
    count), no approved leave covering the day. Returns (missing, escalated, created, updated)."""
    now = now or timezone.now()
    covered = PresenceRecord.objects.filter(cadre_id=OuterRef("cadre_id"), date=day).exclude(
        review_status=Review.REJECTED)
    on_leave = LeaveRequest.objects.filter(leave_covers(day), cadre_id=OuterRef("cadre_id"))
    gaps = list(
        Assignment.objects.filter(active_on(day), _county_q(county, "village__county_id"))
        .filter(~Exists(covered), ~Exists(on_leave))
        .values_list("id", "cadre_id", "village_id", "village__county_id")
    )
    # Escalation: open missing-check-in findings on each of the previous N-1 working days.
    n = rule("MISSING_CHECKIN_ESCALATE_DAYS")
    previous = [d.isoformat() for d in WorkingDay.objects.filter(date__lt=day, is_working_day=True)
                .order_by("-date").values_list("date", flat=True)[:max(n - 1, 0)]]
    streaks = {}
    if n > 1 and len(previous) == n - 1:
        streaks = dict(
            Finding.objects.filter(kind=Finding.Kind.MISSING_CHECKIN, status=Finding.Status.OPEN,
                                   period__in=previous).filter(_county_q(county, "county_id"))
            .values("assignment_id").annotate(n=Count("id")).values_list("assignment_id", "n")
        )
    period = day.isoformat()
    rows, escalated = {}, 0
    for aid, cadre_id, village_id, county_id in gaps:
        if n <= 1 or streaks.get(aid) == n - 1:
            escalated += 1
            severity = Finding.Severity.WARNING
            detail = finding_detail((gettext_noop(
                "No check-in, leave or trip recorded on %(d)s: %(n)d working days in a row."), {"d": period, "n": n}))
        else:
            severity = Finding.Severity.NOTICE
            detail = finding_detail((gettext_noop("No check-in, leave or trip recorded on %(d)s."), {"d": period}))
        rows[(aid, period)] = (cadre_id, village_id, county_id, severity, detail)
    existing = Finding.objects.filter(kind=Finding.Kind.MISSING_CHECKIN, period=period).filter(
        _county_q(county, "county_id"))
    created, updated, _resolved = _upsert_findings(kind=Finding.Kind.MISSING_CHECKIN, rows=rows,
                                                   existing_qs=existing, now=now)
    return len(gaps), escalated, created, updated


def resolve_missing_checkins(*, county: Region | None = None, now=None) -> int:
    """Close open missing-check-in findings that later evidence explains, saying why. Three
    UPDATE statements whatever the number of findings."""
    now = now or timezone.now()
    open_ = Finding.objects.filter(kind=Finding.Kind.MISSING_CHECKIN, status=Finding.Status.OPEN).filter(
        _county_q(county, "county_id"))
    day_of = Cast(OuterRef("period"), DateField())
    by_record = Exists(PresenceRecord.objects.filter(cadre_id=OuterRef("cadre_id"), date=day_of).exclude(
        review_status=Review.REJECTED))
    by_leave = Exists(LeaveRequest.objects.filter(leave_covers(day_of), cadre_id=OuterRef("cadre_id")))
    day_off = Exists(WorkingDay.objects.filter(date=day_of, is_working_day=False))
    done = 0
    for condition, note in (
        (by_leave, finding_auto_note("leave_covers")),
        (by_record, finding_auto_note("record_added")),
        (day_off, finding_auto_note("day_off")),
    ):
        done += open_.filter(condition).update(status=Finding.Status.RESOLVED, resolved_at=now, resolution_note=note)
    return done


def scan_unreturned_leave(*, day: dt.date, county: Region | None = None, now=None) -> tuple[int, int, int, int]:
    """Approved leave whose last day is before `day` without 销假. Period = the leave's first day."""
    now = now or timezone.now()
    overdue = LeaveRequest.objects.filter(status=LeaveStatus.APPROVED, end__lt=day).filter(
        _county_q(county, "assignment__village__county_id")).values_list(
        "assignment_id", "cadre_id", "assignment__village_id", "assignment__village__county_id", "start", "end")
    rows = {}
    for aid, cadre_id, village_id, county_id, start, end in overdue:
        rows[(aid, start.isoformat())] = (
            cadre_id, village_id, county_id, Finding.Severity.WARNING,
            finding_detail((gettext_noop("Leave from %(s)s to %(e)s has ended but no return (销假) was reported."),
                            {"s": start.isoformat(), "e": end.isoformat()})),
        )
    periods = sorted({p for _a, p in rows})
    existing = Finding.objects.filter(kind=Finding.Kind.UNRETURNED_LEAVE).filter(
        Q(status=Finding.Status.OPEN) | Q(period__in=periods)).filter(_county_q(county, "county_id"))
    created, updated, resolved = _upsert_findings(
        kind=Finding.Kind.UNRETURNED_LEAVE, rows=rows, existing_qs=existing, now=now,
        resolve_absent_note=finding_auto_note("leave_returned"))
    return len(rows), created, updated, resolved


def scan_presence_shortfall(*, month: dt.date, county: Region | None = None, now=None) -> tuple[int, int, int, int]:
    """Month check: in-village days (check-ins, keeper records and trips; rejected check-ins
    excluded) below MIN_DAYS_IN_VILLAGE_PER_MONTH, pro-rated by the days in post minus the days
    on leave: required = floor(MIN × (days in post − leave days) / days in month), and never more
    than the working days in post minus the working days on leave — a month with long holidays (October,
    Spring Festival) has fewer than 20 working days, and a cadre present on every one of them
    has done what was asked."""
    now = now or timezone.now()
    first, last = month_bounds(month)
    working_days_ensure(start=first, end=last)
    working = list(WorkingDay.objects.filter(date__range=(first, last), is_working_day=True)
                   .order_by("date").values_list("date", flat=True))
    minimum = rule("MIN_DAYS_IN_VILLAGE_PER_MONTH")
    assignments = list(
        Assignment.objects.filter(in_post_between(first, last)).filter(_county_q(county, "village__county_id"))
        .values_list("id", "cadre_id", "village_id", "village__county_id", "start_date", "end_date")
    )
    counts = {
        aid: (present, leave, leave_working) for aid, present, leave, leave_working in
        PresenceRecord.objects.filter(date__range=(first, last)).filter(_county_q(county, "assignment__village__county_id"))
        .values("assignment_id").annotate(
            present=Count("id", filter=Q(kind__in=PresenceRecord.COUNTED_KINDS) & ~Q(review_status=Review.REJECTED)),
            leave=Count("id", filter=Q(kind=PresenceRecord.Kind.LEAVE)),
            leave_working=Count("id", filter=Q(kind=PresenceRecord.Kind.LEAVE, date__in=working)),
        ).values_list("assignment_id", "present", "leave", "leave_working")
    }
    period = f"{first:%Y-%m}"
    rows = {}
    # Translated once (in the site language, as finding_detail does), filled per row: tens of
    # thousands of rows at month end.
    msgid = gettext_noop("%(p)d days in the village in %(m)s; %(r)d required (%(min)d a month, pro-rated for %(d)d "
                         "days in post and %(l)d days of leave).")
    # When the month's working days are the bound (October, Spring Festival), say so: "20 a month,
    # pro-rated for 31 days in post" alone does not explain an 18.
    msgid_working = gettext_noop("%(p)d days in the village in %(m)s; %(r)d required (the working days while in "
                                 "post, %(l)d days of leave deducted; fewer than %(min)d a month).")
    with translation.override(settings.LANGUAGE_CODE):
        templates = {False: _(msgid), True: _(msgid_working)}
    for aid, cadre_id, village_id, county_id, start, end in assignments:
        present, leave, leave_working = counts.get(aid, (0, 0, 0))
        required, in_post, by_working_days = presence_requirement(
            first=first, last=last, start=start, end=end, leave=leave, leave_working=leave_working,
            working=working, minimum=minimum)
        if present < required:
            severity = Finding.Severity.CRITICAL if present * 2 < required else Finding.Severity.WARNING
            # Each message names the leave its rule deducted: calendar days for the pro-rated
            # 20, working days where the working days were the bound.
            values = {"p": present, "m": period, "r": required, "min": minimum, "d": in_post,
                      "l": leave_working if by_working_days else leave}
            rows[(aid, period)] = (cadre_id, village_id, county_id, severity,
                                   (templates[by_working_days] % values,
                                    {"parts": [[msgid_working if by_working_days else msgid, values]]}))
    existing = Finding.objects.filter(kind=Finding.Kind.PRESENCE_SHORTFALL, period=period).filter(
        _county_q(county, "county_id"))
    created, updated, resolved = _upsert_findings(
        kind=Finding.Kind.PRESENCE_SHORTFALL, rows=rows, existing_qs=existing, now=now,
        resolve_absent_note=finding_auto_note("presence_met"))
    return len(rows), created, updated, resolved


def attendance_scan(*, day: dt.date, county: Region | None = None, user=None, month_end: bool = True) -> ScanResult:
    """The nightly scan for `day` (usually yesterday). With `user`, only county staff may run
    it, and only for their county. Running it twice for a day changes nothing. On a month's
    last day it also checks the month's presence, unless `month_end` is False (a replay that
    starts inside the month has not seen the whole month)."""
    if user is not None and (county is None or not can_manage_county(user, county.id)):
        raise PermissionDenied(_("Only county staff can run the scan, for their own county."))
    now = timezone.now()
    n = rule("MISSING_CHECKIN_ESCALATE_DAYS")
    working_days_ensure(start=day - dt.timedelta(days=max(14, 3 * n)), end=day)
    wd = WorkingDay.objects.get(date=day)
    result = ScanResult(day=day, working_day=wd.is_working_day, calendar_source=wd.source)
    with transaction.atomic():
        # Resolve first: a day explained by later evidence must not count towards a streak.
        result.resolved += resolve_missing_checkins(county=county, now=now)
        if wd.is_working_day:
            result.missing, result.escalated, c, u = scan_missing_checkins(day=day, county=county, now=now)
            result.created += c
            result.updated += u
        result.unreturned, c, u, r = scan_unreturned_leave(day=day, county=county, now=now)
        result.created, result.updated, result.resolved = result.created + c, result.updated + u, result.resolved + r
        if month_end and (day + dt.timedelta(days=1)).day == 1:
            result.shortfall_month = f"{day:%Y-%m}"
            result.shortfall, c, u, r = scan_presence_shortfall(month=day, county=county, now=now)
            result.created += c
            result.updated += u
            result.resolved += r
    return result


def scan_county_now(*, user) -> ScanResult:
    """County staff's "run the scan for my county" button: yesterday, their county only."""
    scope = scope_for_user(user)
    county = scope.region if scope.region is not None and scope.region.level == Region.Level.COUNTY else None
    return attendance_scan(day=timezone.localdate() - dt.timedelta(days=1), county=county, user=user)
