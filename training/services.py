"""Training writes: courses, attendance records (picked or imported), and the nightly scan.

Services raise ValidationError (field -> message, nothing saved) for bad input and
PermissionDenied for a user acting outside their role. Jurisdiction is decided by the gate
(assignments.selectors) and training.selectors, never here from scratch.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assignments import selectors as gate
from assignments.codes import pack_codes
from assignments.dates import PROGRAMME_START
from assignments.idcard import id_number_errors
from assignments.models import Assignment, Cadre, DispatchingUnit, Finding, Region, finding_auto_note, finding_detail

from . import selectors
from .models import MAX_HOURS_PER_DAY, OrganiserLevel, Topic, TrainingCourse, TrainingRecord, TrainingRequirement

Role = gate.Role


# --- courses -------------------------------------------------------------------------------


def _course_region(user, level: str, township: Region | None, unit: DispatchingUnit | None):
    """(organising region, organising unit) for a course a user enters at `level`."""
    scope = gate.scope_for_user(user)
    if scope.role in (Role.CITY, Role.PROVINCE):
        if level != scope.role:
            raise ValidationError({"organiser_level": _("Reviewers enter courses organised at their own level only.")})
        return scope.region, None
    county = scope.region
    if level == OrganiserLevel.PROVINCE:
        return county.parent.parent, None
    if level == OrganiserLevel.CITY:
        return county.parent, None
    if level == OrganiserLevel.COUNTY:
        return county, None
    if level == OrganiserLevel.TOWNSHIP:
        if township is None or township.parent_id != county.id or township.level != Region.Level.TOWNSHIP:
            raise ValidationError({"township": _("Choose the organising township in your county.")})
        return township, None
    if level == OrganiserLevel.UNIT:
        if unit is None or not gate.units_for_user(user).filter(pk=unit.pk).exists():
            raise ValidationError({"unit": _("Choose the organising dispatching unit.")})
        return None, unit
    raise ValidationError({"organiser_level": _("Choose an organiser level.")})


# Sanity bounds on what a course and a record can say. They catch typos (a year of 1900 or
# 2030, 5000 hours for a 3-day course) and keep every valid value inside the columns'
# precision (days: 4 digits, hours: 5 digits, one decimal), which PostgreSQL would otherwise
# refuse with a crash and SQLite would store and then fail to read back.
#
# Courses before 2015 predate the programme (assignments.dates.PROGRAMME_START, the first day
# any page shows): no cadre on the roster can have been trained for it earlier.
# Courses are entered from the annual training plan at most a year ahead; a later date is a typo.
PLAN_AHEAD_MONTHS = 12
# The longest cadre course is a term at a Party school; a year is a generous cap that also keeps
# days (<= the span) under the column's 999.9.
MAX_COURSE_SPAN_DAYS = 366
# Hours: at most MAX_HOURS_PER_DAY (24) per course day or day attended, a database check
# (training.models); with the span above that keeps hours under the column's 9999.9.


def _one_decimal(value: Decimal) -> bool:
    """At most one decimal place (the columns keep one: 2.5 days, 12.5 hours)."""
    try:
        return value.is_finite() and value == value.quantize(Decimal("0.1"))
    except InvalidOperation:  # too many digits to quantize (1E+30): no column holds it anyway
        return False


def course_errors(*, title, start_date, end_date, days, hours, today: dt.date | None = None) -> dict[str, str]:
    """The rules of one course's fields, field -> reason. CourseForm applies the same function,
    so the form and a direct service call refuse the same input with the same message."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("Give the course a title.")
    latest = selectors.add_months(today, PLAN_AHEAD_MONTHS)
    for key, day in (("start_date", start_date), ("end_date", end_date)):
        if day is None:
            errors[key] = _("Enter the start date.") if key == "start_date" else _("Enter the end date.")
        elif day < PROGRAMME_START:
            errors[key] = _("Courses before %(day)s predate the stationed-cadre programme; check the year.") % {
                "day": PROGRAMME_START.isoformat()}
        elif key == "start_date" and day > latest:
            errors[key] = _("A course can be entered at most a year ahead, starting by %(day)s; check the year.") % {
                "day": latest.isoformat()}
    if start_date and end_date and "end_date" not in errors:
        if end_date < start_date:
            errors["end_date"] = _("The course cannot end before it starts.")
        elif (end_date - start_date).days + 1 > MAX_COURSE_SPAN_DAYS:
            errors["end_date"] = _("A course lasts at most %(n)d days; check the end date.") % {
                "n": MAX_COURSE_SPAN_DAYS}
    if days is None or not days.is_finite() or days <= 0:
        errors["days"] = _("A course lasts at least half a day.")
    elif start_date and end_date and end_date >= start_date and days > (end_date - start_date).days + 1:
        errors["days"] = _("A course from %(start)s to %(end)s lasts at most %(n)d days.") % {
            "start": start_date.isoformat(), "end": end_date.isoformat(), "n": (end_date - start_date).days + 1}
    elif not _one_decimal(days):
        errors["days"] = _("Use at most one decimal place (e.g. 2.5).")
    if hours is not None:
        if not hours.is_finite():
            errors["hours"] = _("Enter a number.")
        elif hours < 0:
            errors["hours"] = _("Hours cannot be negative.")
        elif not _one_decimal(hours):
            errors["hours"] = _("Use at most one decimal place (e.g. 2.5).")
        elif "days" not in errors and hours > days * MAX_HOURS_PER_DAY:
            errors["hours"] = _("A course of %(days)s days has at most %(max)s hours (%(per)d a day).") % {
                "days": num(days), "max": num(days * MAX_HOURS_PER_DAY), "per": MAX_HOURS_PER_DAY}
    return errors


def num(value) -> str:
    """3.0 -> "3", 2.5 -> "2.5": days and hours as people write them."""
    d = Decimal(value)
    try:
        return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())
    except InvalidOperation:  # an absurd typed value (1E+30) shown in a message as typed
        return str(d.normalize())


def course_create(*, user, title: str, organiser_level: str, start_date: dt.date | None, end_date: dt.date | None,
                  days: Decimal | None, hours: Decimal | None = None, location: str = "", topics=(),
                  township: Region | None = None, unit: DispatchingUnit | None = None) -> TrainingCourse:
    if not selectors.can_create_course(user):
        raise PermissionDenied(_("Only county staff and city or province reviewers enter training courses."))
    errors = course_errors(title=title, start_date=start_date, end_date=end_date, days=days, hours=hours)
    try:
        region, org_unit = _course_region(user, organiser_level, township, unit)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return TrainingCourse.objects.create(
        title=title.strip(), organiser_level=organiser_level, region=region, unit=org_unit,
        managed_by=gate.scope_for_user(user).region, start_date=start_date, end_date=end_date, days=days,
        hours=hours or 0, location=(location or "").strip(), topics=pack_codes(topics, Topic.values), created_by=user,
    )


def course_update(*, user, course: TrainingCourse, title: str, organiser_level: str, start_date, end_date,
                  days, hours=None, location: str = "", topics=(), township=None, unit=None) -> TrainingCourse:
    if not selectors.can_edit_course(user, course):
        raise PermissionDenied(_("Only staff of the region that entered the course change it."))
    errors = course_errors(title=title, start_date=start_date, end_date=end_date, days=days, hours=hours)
    try:
        region, org_unit = _course_region(user, organiser_level, township, unit)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    # The records must stay valid under the changed course (one aggregate query).
    recorded = course.records.aggregate(n=Count("id"), days=Max("days_attended"), hours=Max("hours_attended"))
    most = recorded["days"] or 0
    if days is not None and days > 0 and days < most:
        errors["days"] = _("A cadre attended %(n)s days of this course; it cannot last fewer.") % {"n": num(most)}
    most_hours = recorded["hours"] or 0
    # 0 hours means "not given", which bounds nothing (see record_value_errors).
    if "hours" not in errors and hours and hours < most_hours:
        errors["hours"] = _("A cadre attended %(n)s hours of this course; it cannot have fewer.") % {
            "n": num(most_hours)}
    if recorded["n"] and start_date and "start_date" not in errors and start_date > timezone.localdate():
        errors["start_date"] = _("Attendance is already recorded for this course, so it cannot start after today.")
    if errors:
        raise ValidationError(errors)
    course.title, course.organiser_level, course.region, course.unit = title.strip(), organiser_level, region, org_unit
    course.start_date, course.end_date, course.days, course.hours = start_date, end_date, days, hours or 0
    course.location, course.topics = (location or "").strip(), pack_codes(topics, Topic.values)
    course.save()
    return course


# --- attendance records -------------------------------------------------------------------------


@dataclass
class RecordEntry:
    cadre: Cadre
    days_attended: Decimal | None
    hours_attended: Decimal | None = None
    result: str = TrainingRecord.Result.COMPLETED
    certificate_no: str = ""


CERTIFICATE_MAX = TrainingRecord._meta.get_field("certificate_no").max_length


def record_value_errors(course: TrainingCourse, *, days_attended: Decimal | None, hours_attended: Decimal | None,
                        result: str, certificate_no: str = "") -> dict[str, str]:
    """The rules of one record's values, field -> reason: shared by the picked list (its form
    and its service) and the import, so all three say the same thing.

    Hours attended are bounded twice. By the course's own hours when the course gives them:
    no one attends more than was taught, and that is the tighter, meaningful bound. And always
    by 24 per day attended (MAX_HOURS_PER_DAY), which also covers courses entered without
    hours (0 = not given) and is the invariant the database checks on the row."""
    errors: dict[str, str] = {}
    if result not in TrainingRecord.Result.values:
        errors["result"] = _("Choose completed, partly attended or absent.")
    days = days_attended
    if days is None or not days.is_finite() or days < 0:
        errors["days_attended"] = _("Enter the days attended (0 or more).")
        days = None
    elif days > course.days:
        errors["days_attended"] = _("Attended days (%(n)s) cannot exceed the course's %(days)s days.") % {
            "n": num(days), "days": num(course.days)}
        days = None
    elif not _one_decimal(days):
        errors["days_attended"] = _("Use at most one decimal place (e.g. 2.5).")
        days = None
    elif result == TrainingRecord.Result.ABSENT and days != 0:
        errors["days_attended"] = _("An absent cadre attended 0 days.")
    elif result != TrainingRecord.Result.ABSENT and days == 0:
        errors["days_attended"] = _("A cadre who attended has at least half a day; otherwise mark absent.")
    hours = hours_attended
    if hours is not None:
        if not hours.is_finite():
            errors["hours_attended"] = _("Enter a number.")
        elif hours < 0:
            errors["hours_attended"] = _("Hours cannot be negative.")
        elif course.hours and hours > course.hours:
            errors["hours_attended"] = _("Attended hours (%(n)s) cannot exceed the course's %(hours)s hours.") % {
                "n": num(hours), "hours": num(course.hours)}
        elif days is not None and hours > days * MAX_HOURS_PER_DAY:
            errors["hours_attended"] = _(
                "%(n)s hours in %(days)s days attended is more than %(per)d hours a day.") % {
                "n": num(hours), "days": num(days), "per": MAX_HOURS_PER_DAY}
        elif not _one_decimal(hours):
            errors["hours_attended"] = _("Use at most one decimal place (e.g. 2.5).")
    if len(certificate_no or "") > CERTIFICATE_MAX:
        errors["certificate_no"] = _("At most %(n)d characters.") % {"n": CERTIFICATE_MAX}
    return errors


def entry_errors(course: TrainingCourse, e: RecordEntry) -> dict[str, str]:
    """The per-record rules, field -> reason (shared by the picked list and the import)."""
    return record_value_errors(course, days_attended=e.days_attended, hours_attended=e.hours_attended,
                               result=e.result, certificate_no=(e.certificate_no or "").strip())


def recording_closed_reason(course: TrainingCourse, *, today: dt.date | None = None) -> str | None:
    """Why attendance cannot be recorded for this course yet, or None. Nobody attended a course
    that has not started: records ahead of time would count towards requirements too early."""
    today = today or timezone.localdate()
    if course.start_date > today:
        return _("This course starts on %(day)s; record attendance once it has started.") % {
            "day": course.start_date.isoformat()}
    return None


def _check_recorder(user, course: TrainingCourse) -> None:
    if not selectors.can_record_for_course(user, course):
        raise PermissionDenied(_("You cannot record attendance for this course."))


def training_records_create(*, user, course: TrainingCourse, entries: list[RecordEntry]) -> list[TrainingRecord]:
    """All the entries or none: each cadre in the user's scope, once per course, within the
    course's days. Errors name the cadre, so a long list is fixable in one go."""
    _check_recorder(user, course)
    closed = recording_closed_reason(course)
    if closed:
        raise ValidationError(closed)
    if not entries:
        raise ValidationError({"cadres": _("Choose at least one cadre.")})
    in_scope = set(gate.cadres_for_user(user).filter(pk__in=[e.cadre.pk for e in entries]).values_list("pk", flat=True))
    already = set(course.records.filter(cadre__in=[e.cadre.pk for e in entries]).values_list("cadre_id", flat=True))
    problems: list[str] = []
    seen: set[int] = set()
    for e in entries:
        if e.cadre.pk not in in_scope:
            problems.append(_("%(name)s is not in your jurisdiction.") % {"name": e.cadre.name})
            continue
        if e.cadre.pk in already or e.cadre.pk in seen:
            problems.append(_("%(name)s already has a record for this course.") % {"name": e.cadre.name})
            continue
        seen.add(e.cadre.pk)
        for message in entry_errors(course, e).values():
            problems.append(f"{e.cadre.name}: {message}")
    if problems:
        raise ValidationError(problems)
    rows = [
        TrainingRecord(cadre=e.cadre, course=course, days_attended=e.days_attended,
                       hours_attended=e.hours_attended if e.hours_attended is not None else 0,
                       result=e.result, certificate_no=(e.certificate_no or "").strip(), recorded_by=user)
        for e in entries
    ]
    try:
        with transaction.atomic():
            return TrainingRecord.objects.bulk_create(rows)
    except IntegrityError as exc:  # a colleague recorded the same cadre a moment ago
        raise ValidationError(_("Some of these cadres were recorded for this course meanwhile; reload and retry.")) from exc


def training_record_delete(*, user, record: TrainingRecord) -> None:
    _check_recorder(user, record.course)
    if not gate.cadres_for_user(user).filter(pk=record.cadre_id).exists():
        raise PermissionDenied(_("You cannot record attendance for this course."))
    record.delete()


# --- the .xlsx attendance list -------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# Header -> field: the Chinese sheet headers, the English ones, and the codes.
IMPORT_COLUMNS = {
    "id_number": ("身份证号", "身份证号码", "ID number", "id_number"),
    "name": ("姓名", "Name", "name"),
    "days_attended": ("参训天数", "天数", "Days attended", "days_attended"),
    "hours_attended": ("学时", "参训学时", "Hours attended", "hours_attended"),
    "result": ("结果", "培训结果", "Result", "result"),
    "certificate_no": ("证书编号", "结业证书编号", "Certificate number", "certificate_no"),
}
RESULT_WORDS = {
    "完成": "completed", "结业": "completed", "已完成": "completed", "部分": "partial", "部分参加": "partial",
    "缺席": "absent", "未参加": "absent",
}


def _column_label(key: str) -> str:
    return {
        "id_number": _("ID number"), "name": _("Name"), "days_attended": _("Days attended"),
        "hours_attended": _("Hours attended"), "result": _("Result"), "certificate_no": _("Certificate number"),
    }[key]


def import_column_names() -> dict[str, str]:
    """How the import page names each column, in IMPORT_COLUMNS order: in Chinese by its first
    Chinese header; in another language by the header in that language, when the importer
    reads one, with the Chinese beside it ("ID number (身份证号)"), so a sheet made with
    either works. (The column labels' English msgids are the English headers.)"""
    chinese_reader = (translation.get_language() or "").startswith("zh")
    names = {}
    for key, aliases in IMPORT_COLUMNS.items():
        chinese, label = aliases[0], _column_label(key)
        names[key] = chinese if chinese_reader or label not in aliases else f"{label} ({chinese})"
    return names


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value) -> Decimal | None:
    """A days or hours cell: a number Excel stored, or text that reads as one ("2.5", " 3 ");
    None when empty. ValueError for anything else: words, dates, TRUE, NaN or infinity."""
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise ValueError(value)
    if isinstance(value, float):
        value = repr(value)  # the shortest text that is this float: 2.5, not 2.5000000000000
    text = _text(value)
    if text == "":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return number


def _read_sheet(data: bytes) -> tuple[list[str], list[tuple]]:
    """Header and rows of the first sheet (openpyxl read-only, as the roster import does)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        return [], []
    return [_text(h) for h in rows[0]], rows[1:]


# Text cells and the longest each may be (the model's columns); the result is a choice and the
# ID number has its own check, so neither needs a length of its own.
TEXT_MAX = {"name": Cadre._meta.get_field("name").max_length, "certificate_no": CERTIFICATE_MAX}


def training_records_import(*, user, course: TrainingCourse, data: bytes) -> ImportResult:
    """Import a course's attendance list: all rows or none, each bad cell reported with its
    row number (as Excel shows it), column and reason. Every cell of every row is checked,
    also on a row whose cadre is not found, so one upload lists everything to fix. Two
    queries whatever the number of rows (the cadres named, their existing records)."""
    _check_recorder(user, course)
    result = ImportResult()
    closed = recording_closed_reason(course)
    if closed:
        result.errors.append(RowError(0, "", closed))
        return result
    try:
        header, rows = _read_sheet(data)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a non-xlsx upload
        result.errors.append(RowError(1, "", _("The file is not an .xlsx workbook.")))
        return result
    lookup = {alias.lower(): key for key, aliases in IMPORT_COLUMNS.items() for alias in aliases}
    index = {lookup[h.lower()]: i for i, h in enumerate(header) if h.lower() in lookup}
    for key in ("id_number", "days_attended"):
        if key not in index:
            result.errors.append(RowError(1, _column_label(key), _("This column is missing from the header row.")))
    if result.errors:
        return result

    def cell(row, key):
        i = index.get(key)
        return row[i] if i is not None and i < len(row) else None

    body = [(n, r) for n, r in enumerate(rows, start=2) if any(_text(v) for v in r)]
    if not body:
        result.errors.append(RowError(2, "", _("The sheet has no attendance rows.")))
        return result
    numbers = {_text(cell(r, "id_number")).upper() for _n, r in body}
    cadres = {c.id_number: c for c in gate.cadres_known_by_id_number_for_user(user).filter(id_number__in=numbers)}
    already = set(course.records.filter(cadre__in=list(cadres.values())).values_list("cadre_id", flat=True))
    entries, seen = [], {}
    column_order = {key: i for i, key in enumerate(IMPORT_COLUMNS)}
    for n, r in body:
        found: list[tuple[str, str]] = []  # (column key, message), listed in the sheet's column order

        def err(key, message, found=found):
            found.append((key, message))

        raw_number = cell(r, "id_number")
        number = _text(raw_number).upper()
        cadre = None
        if not number:
            err("id_number", _("Enter the cadre's ID number."))
        elif isinstance(raw_number, float):
            # 18 digits do not fit in a double: Excel has already rounded the last ones away.
            err("id_number", _("Excel stored this ID number as a number and lost its last digits. Format the "
                               "column as text and type the ID number again."))
        elif problems := id_number_errors(number):  # the roster's check: length, digits, date, check character
            err("id_number", problems[0])
        elif (cadre := cadres.get(number)) is None:
            err("id_number", _("No cadre of your county has this ID number."))
        elif cadre.pk in already:
            err("id_number", _("%(name)s already has a record for this course.") % {"name": cadre.name})
        elif cadre.pk in seen:
            err("id_number", _("The same cadre is also on row %(row)d.") % {"row": seen[cadre.pk]})
        if cadre is not None:
            seen.setdefault(cadre.pk, n)
        texts = {key: _text(cell(r, key)) for key in TEXT_MAX}
        for key, limit in TEXT_MAX.items():
            if len(texts[key]) > limit:
                err(key, _("At most %(n)d characters.") % {"n": limit})
        if cadre is not None and texts["name"] and len(texts["name"]) <= TEXT_MAX["name"] \
                and texts["name"] != cadre.name:
            err("name", _("The name does not match the ID number (the roster says %(name)s).") % {
                "name": cadre.name})
        values, unreadable = {}, set()
        for key in ("days_attended", "hours_attended"):
            try:
                values[key] = _number(cell(r, key))
            except ValueError:
                err(key, _("Enter a number."))
                values[key], unreadable = None, unreadable | {key}
        word = _text(cell(r, "result"))
        res = RESULT_WORDS.get(word, word.lower()) or TrainingRecord.Result.COMPLETED
        if res not in TrainingRecord.Result.values:
            labels = {str(label).lower(): code for code, label in TrainingRecord.Result.choices}
            res = labels.get(word.lower(), res)
        # The same rules as the picked list, on every row; a cell already reported as no
        # number is not reported twice.
        problems = record_value_errors(course, days_attended=values["days_attended"],
                                       hours_attended=values["hours_attended"], result=res,
                                       certificate_no=texts["certificate_no"])
        for key, message in problems.items():
            if key not in unreadable and key not in TEXT_MAX:
                err(key, message)
        result.errors.extend(RowError(n, _column_label(key), message)
                             for key, message in sorted(found, key=lambda f: column_order[f[0]]))
        if cadre is not None:
            entries.append(RecordEntry(cadre=cadre, days_attended=values["days_attended"],
                                       hours_attended=values["hours_attended"], result=res,
                                       certificate_no=texts["certificate_no"]))
    if result.errors:
        return result
    try:
        result.created = len(training_records_create(user=user, course=course, entries=entries))
    except ValidationError as exc:  # a colleague's change between the checks and the write
        result.errors.extend(RowError(0, "", m) for m in exc.messages)
    return result


# --- requirements (rules as data) ----------------------------------------------------------------

MAX_DAYS_PER_COURSE = Decimal(30)
MAX_COURSES_REQUIRED = 100


def _requirement_errors(*, region: Region | None, name: str, levels, min_days_per_course: Decimal | None,
                        courses_required: int | None, period: str, min_hours: Decimal | None,
                        exclude_pk: int | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the requirement a name.")
    else:
        same = TrainingRequirement.objects.filter(region=region, name=name).exclude(pk=exclude_pk)
        if same.exists():
            errors["name"] = (_("Your county already has a requirement with this name.") if region is not None
                              else _("A province-wide requirement with this name already exists."))
    chosen = list(levels or ())
    if not chosen:
        errors["levels"] = _("Choose at least one organiser level whose courses count.")
    elif any(code not in OrganiserLevel.values for code in chosen):
        errors["levels"] = _("Choose organiser levels from the list.")
    if min_days_per_course is None:
        errors["min_days_per_course"] = _("Enter the minimum days a cadre must attend a course for it to count.")
    elif not (0 < min_days_per_course <= MAX_DAYS_PER_COURSE) or not _one_decimal(min_days_per_course):
        errors["min_days_per_course"] = _(
            "The minimum days per course must be more than 0 and at most %(max)d, with at most one decimal "
            "place (e.g. 0.5 or 3).") % {"max": int(MAX_DAYS_PER_COURSE)}
    if courses_required is None:
        errors["courses_required"] = _("Enter the number of courses required.")
    elif not (1 <= courses_required <= MAX_COURSES_REQUIRED):
        errors["courses_required"] = _("The number of courses must be between 1 and %(max)d.") % {
            "max": MAX_COURSES_REQUIRED}
    if period not in TrainingRequirement.Period.values:
        errors["period"] = _("Choose the period: each assignment (tenure) or each calendar year.")
    if min_hours is not None and (not (0 < min_hours < 10000) or not _one_decimal(min_hours)):
        errors["min_hours"] = _(
            "The minimum hours, if given, must be more than 0 and less than 10000, with at most one decimal "
            "place; leave it empty for no hours rule.")
    return errors


def _requirement_region(user) -> Region | None:
    """Where a new rule applies: a county's staff set it for their county; a province
    reviewer's rule applies province-wide (region empty, like the default rule)."""
    scope = gate.scope_for_user(user)
    return scope.region if scope.role == Role.COUNTY else None


def _save_requirement(req: TrainingRequirement) -> TrainingRequirement:
    try:
        with transaction.atomic():
            req.save()
    except IntegrityError as exc:  # a colleague saved a rule with the same name a moment ago
        raise ValidationError({"name": _("A requirement with this name was saved meanwhile; choose another name.")}
                              ) from exc
    return req


def training_requirement_create(*, user, name: str, levels, min_days_per_course: Decimal | None,
                                courses_required: int | None = 1, period: str = TrainingRequirement.Period.ASSIGNMENT,
                                min_hours: Decimal | None = None, active: bool = True) -> TrainingRequirement:
    """A new rule the next scan applies: county staff for their county; province reviewers for
    the whole province (this is the province's only rule-setting write)."""
    if not selectors.can_create_requirement(user):
        raise PermissionDenied(_("Only county staff and province reviewers set training requirements."))
    region = _requirement_region(user)
    errors = _requirement_errors(region=region, name=name, levels=levels, min_days_per_course=min_days_per_course,
                                 courses_required=courses_required, period=period, min_hours=min_hours)
    if errors:
        raise ValidationError(errors)
    return _save_requirement(TrainingRequirement(
        name=name.strip(), region=region, levels=pack_codes(levels, OrganiserLevel.values),
        min_days_per_course=min_days_per_course, courses_required=courses_required, period=period,
        min_hours=min_hours, active=active,
    ))


def training_requirement_update(*, user, requirement: TrainingRequirement, name: str, levels,
                                min_days_per_course: Decimal | None, courses_required: int | None,
                                period: str, min_hours: Decimal | None = None,
                                active: bool = True) -> TrainingRequirement:
    """Change a rule, or switch it off with `active=False`. Rules are never deleted: findings
    name them (their period key holds the rule's id). Where it applies does not change."""
    if not selectors.can_edit_requirement(user, requirement):
        raise PermissionDenied(_("Only the county that set this requirement (or the province, for province-wide "
                                 "ones) changes it."))
    errors = _requirement_errors(region=requirement.region, name=name, levels=levels,
                                 min_days_per_course=min_days_per_course, courses_required=courses_required,
                                 period=period, min_hours=min_hours, exclude_pk=requirement.pk)
    if errors:
        raise ValidationError(errors)
    requirement.name, requirement.levels = name.strip(), pack_codes(levels, OrganiserLevel.values)
    requirement.min_days_per_course, requirement.courses_required = min_days_per_course, courses_required
    requirement.period, requirement.min_hours, requirement.active = period, min_hours, bool(active)
    return _save_requirement(requirement)


# --- the scan: unmet training -> findings -------------------------------------------------------


@dataclass
class TrainingScanResult:
    day: dt.date
    requirements: int = 0
    assignments: int = 0
    unmet: int = 0
    created: int = 0
    updated: int = 0
    resolved: int = 0

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["day"] = self.day.isoformat()
        return d


KIND = Finding.Kind.UNMET_TRAINING


def _detail(req: TrainingRequirement, p: selectors.Progress, end: dt.date, today: dt.date) -> tuple[str, dict]:
    """(text in the site language, arguments for any language): see finding_detail."""
    parts = [(gettext_noop("%(rule)s: %(n)d of %(need)d courses"),
              {"rule": req.name, "n": p.courses, "need": req.courses_required})]
    if req.min_hours is not None:
        parts.append((gettext_noop(", %(h)s of %(need)s hours"), {"h": num(p.hours), "need": num(req.min_hours)}))
    parts.append((gettext_noop("; %(m)d months left (until %(end)s)."),
                  {"m": selectors.months_between(today, end), "end": end.isoformat()}))
    return finding_detail(*parts)


@transaction.atomic
def training_scan(*, today: dt.date | None = None, county: Region | None = None, now=None) -> TrainingScanResult:
    """Flag every active assignment that has not met an applicable requirement, with severity
    rising as the period's end nears; resolve, with a note, findings whose requirement is now
    met or no longer applies. Five or six queries plus batched writes for the whole province:
    requirements, assignments, one progress aggregate, existing findings, then upsert and up
    to two UPDATEs. A second run with nothing changed writes nothing."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    result = TrainingScanResult(day=today)
    all_reqs = list(TrainingRequirement.objects.order_by("id"))
    reqs = [r for r in all_reqs if r.active]
    result.requirements = len(reqs)
    active = Assignment.objects.filter(end_date__isnull=True, start_date__lte=today)
    result.assignments = (active.filter(village__county_id=county.id) if county else active).count()
    unmet = selectors.unmet_assignments(requirements=reqs, today=today,
                                        county_ids=[county.id] if county is not None else None)

    keys = {r.period_key(today.year) for r in all_reqs}
    existing_qs = Finding.objects.filter(kind=KIND, period__in=keys)
    if county is not None:
        existing_qs = existing_qs.filter(county_id=county.id)
    # The assignment's end date tells "met" from "no longer applies" when a finding resolves.
    existing = {(f[1], f[2]): f for f in existing_qs.values_list(
        "id", "assignment_id", "period", "severity", "detail", "status", "resolved_by_id", "assignment__end_date",
        "detail_args")}

    wanted: dict[tuple[int, str], Finding] = {}
    province_of: dict[int, int | None] = {}
    if any(r.region_id is not None for r in reqs):  # county -> province, for province-set rules
        province_of = dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("id", "parent__parent_id"))
    with translation.override(settings.LANGUAGE_CODE):  # the stored detail is in the site language
        for aid, cadre_id, village_id, county_id, start, planned_end, *sums in unmet:
            for i, req in enumerate(reqs):
                if req.region_id is not None and req.region_id not in (county_id, province_of.get(county_id)):
                    continue
                p = selectors.Progress(sums[2 * i] or 0, Decimal(str(sums[2 * i + 1] or 0)))
                if selectors.is_met(req, p):
                    continue
                p_start, p_end = selectors.period_window(req, start=start, planned_end=planned_end, today=today)
                severity = selectors.severity_for(start=p_start, end=p_end, today=today)
                if severity is None:
                    continue  # unmet, but there is still time
                key = (aid, req.period_key(today.year))
                detail, detail_args = _detail(req, p, p_end, today)
                wanted[key] = Finding(
                    kind=KIND, cadre_id=cadre_id, assignment_id=aid, village_id=village_id, county_id=county_id,
                    period=key[1], severity=severity, detail=detail, detail_args=detail_args, status=Finding.Status.OPEN,
                    first_seen=now, last_seen=now, resolved_at=None, resolution_note="",
                )
        note_met = finding_auto_note("training_met")
        note_gone = finding_auto_note("training_gone")
    result.unmet = len(wanted)

    # Write only what changed: new findings, a new severity or detail, or an automatic
    # resolution that no longer holds. A finding a person resolved stays resolved.
    upsert = []
    for key, f in wanted.items():
        old = existing.get(key)
        if old is None:
            result.created += 1
        elif old[5] == Finding.Status.OPEN and (old[3], old[4], old[8]) == (f.severity, f.detail, f.detail_args):
            continue
        elif old[5] == Finding.Status.RESOLVED and old[6] is not None:
            continue
        else:
            result.updated += 1
        upsert.append(f)
    if upsert:
        Finding.objects.bulk_create(
            upsert, batch_size=2000, update_conflicts=True, unique_fields=["kind", "assignment", "period"],
            update_fields=["severity", "detail", "detail_args", "last_seen", "status", "resolved_at",
                           "resolution_note"],
        )
    active_keys = {r.period_key(today.year) for r in reqs}
    met_ids, gone_ids = [], []
    for key, f in existing.items():
        if f[5] == Finding.Status.OPEN and key not in wanted:
            still_applies = f[7] is None and key[1] in active_keys
            (met_ids if still_applies else gone_ids).append(f[0])
    for ids, note in ((met_ids, note_met), (gone_ids, note_gone)):
        if ids:
            result.resolved += Finding.objects.filter(id__in=ids, status=Finding.Status.OPEN).update(
                status=Finding.Status.RESOLVED, resolved_at=now, resolution_note=note)
    return result
