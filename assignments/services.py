"""Writes. Every change to the roster goes through a function here.

Each service checks that the user may make the change (the same gate as the selectors),
validates business rules with messages in the user's language, and leans on the database
constraints as the last line of defence. Multi-row writes run in one transaction.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .idcard import birth_date_of, id_number_errors
from .models import PHONE_PATTERN, Assignment, Cadre, DispatchingUnit, Region, Village
from .selectors import can_manage_county, can_manage_unit, managed_county, units_selectable_for_user


def _require_county(user) -> Region:
    county = managed_county(user)
    if county is None:
        raise PermissionDenied(_("Only county organisation department staff can change the roster."))
    return county


# --- regions ------------------------------------------------------------------------------


def township_create(*, user, name: str, code: str) -> Region:
    county = _require_county(user)
    code = code.strip()
    if not (code.isdigit() and len(code) == 9 and code.startswith(county.code)):
        raise ValidationError(
            {"code": _("A township code has 9 digits and starts with the county code %(c)s.") % {"c": county.code}}
        )
    if Region.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A region with code %(c)s already exists.") % {"c": code}})
    name = name.strip()
    if Region.objects.filter(parent=county, name=name).exists():
        raise ValidationError({"name": _("%(county)s already has a township named %(name)s.") % {
            "county": county.name, "name": name,
        }})
    try:
        with transaction.atomic():
            return Region.objects.create(code=code, name=name, level=Region.Level.TOWNSHIP, parent=county)
    except IntegrityError as exc:
        # Two officers saving at once: the unique constraints (code; parent and name) decide.
        raise ValidationError(_("Someone else added this township at the same moment; reload and try again.")) from exc


# --- villages -----------------------------------------------------------------------------


def _village_check(*, user, township: Region, name: str, code: str, instance: Village | None = None) -> None:
    if township.level != Region.Level.TOWNSHIP or not can_manage_county(user, township.parent_id):
        raise ValidationError({"township": _("Choose a township of your own county.")})
    if not code.startswith(township.code):
        raise ValidationError(
            {"code": _("The statistical code must start with the township code %(c)s.") % {"c": township.code}}
        )
    others = Village.objects.all() if instance is None else Village.objects.exclude(pk=instance.pk)
    errors = {}
    if others.filter(code=code).exists():
        errors["code"] = _("Another village already has the code %(c)s.") % {"c": code}
    if others.filter(township=township, name=name).exists():
        errors["name"] = _("%(township)s already has a village named %(name)s.") % {
            "township": township.name, "name": name,
        }
    if errors:
        raise ValidationError(errors)


def _village_save(village: Village) -> None:
    try:
        with transaction.atomic():
            village.save()
    except IntegrityError as exc:
        # Two officers saving at once: the unique constraints (code; township and name) decide.
        raise ValidationError(_("Someone else changed this township's villages at the same moment; "
                                "reload and try again.")) from exc


def village_create(*, user, township: Region, name: str, code: str, categories=(), latitude=None,
                   longitude=None, checkin_radius_m=None) -> Village:
    _require_county(user)
    name = name.strip()
    _village_check(user=user, township=township, name=name, code=code)
    village = Village(
        township=township, name=name, code=code, categories=Village.pack_categories(categories),
        latitude=latitude, longitude=longitude, checkin_radius_m=checkin_radius_m,
    )
    _village_save(village)
    return village


def village_update(*, user, village: Village, township: Region, name: str, code: str, categories=(),
                   latitude=None, longitude=None, checkin_radius_m=None) -> Village:
    if not can_manage_county(user, village.county_id):
        raise PermissionDenied
    name = name.strip()
    _village_check(user=user, township=township, name=name, code=code, instance=village)
    village.township, village.name, village.code = township, name, code
    village.categories = Village.pack_categories(categories)
    village.latitude, village.longitude, village.checkin_radius_m = latitude, longitude, checkin_radius_m
    _village_save(village)
    return village


# --- dispatching units --------------------------------------------------------------------


def _unit_home_check(*, user, home_region: Region) -> None:
    county = _require_county(user)
    if not (home_region.id == county.id or home_region.parent_id == county.id):
        raise ValidationError({"home_region": _("A unit you register must be based in your county or one of its townships.")})


_PHONE = re.compile(PHONE_PATTERN)


def phone_error(value: str) -> str | None:
    """Why `value` is not a phone number to call, or None (an empty value is no number)."""
    if value and not _PHONE.match(value):
        return _("Enter a mobile number (11 digits starting with 1) or a landline with its area code, "
                 "such as 0839-5222222: digits and '-' only.")
    return None


def phone_normalise(value: str) -> str:
    """A phone number as typed, made comparable: full-width digits and dashes (a Chinese input
    method's) as ASCII, spaces and dashes of other widths dropped or made "-", "+86" dropped."""
    value = unicodedata.normalize("NFKC", value).strip()
    value = re.sub(r"[\s()（）]", "", value)
    value = re.sub(r"[‐‑‒–—―−]", "-", value)
    return re.sub(r"^(\+?86-?)(?=1[0-9]{10}$)", "", value)


def _unit_phone_check(contact_phone: str) -> str:
    contact_phone = phone_normalise(contact_phone)
    if (error := phone_error(contact_phone)) is not None:
        raise ValidationError({"contact_phone": error})
    return contact_phone


def unit_create(*, user, name: str, level: str, kind: str, home_region: Region,
                contact_person: str = "", contact_phone: str = "") -> DispatchingUnit:
    _unit_home_check(user=user, home_region=home_region)
    if DispatchingUnit.objects.filter(name=name.strip()).exists():
        raise ValidationError({"name": _("A dispatching unit named %(n)s already exists.") % {"n": name}})
    contact_phone = _unit_phone_check(contact_phone)
    return DispatchingUnit.objects.create(
        name=name.strip(), level=level, kind=kind, home_region=home_region,
        contact_person=contact_person, contact_phone=contact_phone,
    )


def unit_update(*, user, unit: DispatchingUnit, **fields) -> DispatchingUnit:
    if not can_manage_unit(user, unit):
        raise PermissionDenied
    _unit_home_check(user=user, home_region=fields["home_region"])
    if DispatchingUnit.objects.filter(name=fields["name"].strip()).exclude(pk=unit.pk).exists():
        raise ValidationError({"name": _("A dispatching unit named %(n)s already exists.") % {"n": fields["name"]}})
    if "contact_phone" in fields:
        fields["contact_phone"] = _unit_phone_check(fields["contact_phone"])
    for key, value in fields.items():
        setattr(unit, key, value)
    unit.save()
    return unit


# --- cadres -------------------------------------------------------------------------------


# Ages at which a cadre can be registered to be stationed: wider than any rule on who is sent,
# so that only a slip (a wrong year typed into the ID number) is caught. Checked when a cadre is
# registered, not on later edits: a cadre grows older in post.
CADRE_AGE_RANGE = (18, 70)


def cadre_validate(*, id_number: str, birth_date: dt.date | None, mobile: str, gender: str | None = None,
                   new: bool = False, today: dt.date | None = None) -> dict[str, str]:
    """Field errors for a cadre's identity fields, shared by forms, services and the import.
    `new`: the cadre is being registered (the age range applies)."""
    errors: dict[str, str] = {}
    problems = id_number_errors(id_number)
    born = None if problems else birth_date_of(id_number)
    if problems:
        errors["id_number"] = problems[0]
    elif birth_date is not None and born != birth_date:
        errors["birth_date"] = _("The birth date does not match the ID number (%(d)s).") % {"d": born.isoformat()}
    elif new:
        today = today or timezone.localdate()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        low, high = CADRE_AGE_RANGE
        if not low <= age <= high:
            errors["birth_date"] = _("By its ID number this cadre was born on %(d)s and is %(a)d years old; a "
                                     "cadre to be stationed is %(low)d to %(high)d. Check the ID number.") % {
                "d": born.isoformat(), "a": age, "low": low, "high": high}
    # The 17th character of an ID number is odd for a man and even for a woman (GB 11643).
    if born is not None and gender in (Cadre.Gender.MALE, Cadre.Gender.FEMALE):
        by_id = Cadre.Gender.MALE if int(id_number[16]) % 2 else Cadre.Gender.FEMALE
        if gender != by_id:
            errors["gender"] = _("The ID number is a %(g)s's (its 17th digit is %(parity)s); check the gender or "
                                 "the ID number.") % {
                "g": _("man") if by_id == Cadre.Gender.MALE else _("woman"),
                "parity": _("odd") if by_id == Cadre.Gender.MALE else _("even")}
    if not (len(mobile) == 11 and mobile.isdigit() and mobile.startswith("1")):
        errors["mobile"] = _("A mobile number has 11 digits and starts with 1.")
    return errors


_CADRE_FIELDS = ("name", "gender", "birth_date", "ethnicity", "political_status", "education", "rank",
                 "id_number", "mobile", "unit")


def _cadre_check(*, user, fields: dict, instance: Cadre | None = None) -> None:
    fields["id_number"] = fields["id_number"].strip().upper()
    errors = cadre_validate(id_number=fields["id_number"], birth_date=fields["birth_date"], mobile=fields["mobile"],
                            gender=fields.get("gender"), new=instance is None)
    clash = Cadre.objects.filter(id_number=fields["id_number"])
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if "id_number" not in errors and clash.exists():
        errors["id_number"] = _("A cadre with this ID number is already registered.")
    unit = fields["unit"]
    if instance is None or unit.pk != instance.unit_id:
        if not units_selectable_for_user(user).filter(pk=unit.pk).exists():
            errors["unit"] = _("Choose a dispatching unit from the list.")
    if errors:
        raise ValidationError(errors)


def cadre_create(*, user, **fields) -> Cadre:
    county = _require_county(user)
    _cadre_check(user=user, fields=fields)
    cadre = Cadre(county=county, **{k: fields[k] for k in _CADRE_FIELDS})
    try:
        with transaction.atomic():
            cadre.save()
    except IntegrityError as exc:
        raise ValidationError(_("The cadre could not be saved: %(e)s") % {"e": exc}) from exc
    return cadre


def cadre_update(*, user, cadre: Cadre, **fields) -> Cadre:
    if not can_manage_county(user, cadre.county_id):
        raise PermissionDenied
    _cadre_check(user=user, fields=fields, instance=cadre)
    for key in _CADRE_FIELDS:
        setattr(cadre, key, fields[key])
    cadre.save()
    return cadre


# --- assignments --------------------------------------------------------------------------


# How far from today an assignment may start: a county posts a round a few weeks ahead and
# records postings it missed, but a start years away is a typing slip (2030 for 2023), and an
# active posting that began over a decade ago is no two-year tenure.
ASSIGNMENT_START_MAX_AHEAD = dt.timedelta(days=90)
ASSIGNMENT_START_MAX_BACK_YEARS = 10


def assignment_start_error(start_date: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why an assignment cannot start on `start_date`, or None."""
    today = today or timezone.localdate()
    if start_date > today + ASSIGNMENT_START_MAX_AHEAD:
        return _("The start date is more than %(n)d days from today; record an assignment when it is decided, "
                 "at most %(n)d days ahead.") % {"n": ASSIGNMENT_START_MAX_AHEAD.days}
    if start_date.year < today.year - ASSIGNMENT_START_MAX_BACK_YEARS:
        return _("The start date is more than %(n)d years ago; check the year.") % {
            "n": ASSIGNMENT_START_MAX_BACK_YEARS}
    return None


def _assignment_rules(*, cadre: Cadre, village: Village, role: str, start_date: dt.date,
                      planned_end_date: dt.date, ignore: Assignment | None = None) -> None:
    errors: dict[str, str] = {}
    if (start_error := assignment_start_error(start_date)) is not None:
        errors["start_date"] = start_error
    active = Assignment.objects.filter(end_date__isnull=True)
    if ignore is not None:
        active = active.exclude(pk=ignore.pk)
    current = active.filter(cadre=cadre).select_related("village").first()
    if current is not None:
        errors["cadre"] = _("%(c)s already serves in %(v)s; end that assignment first.") % {
            "c": cadre.name, "v": current.village.name,
        }
    if role == Assignment.Role.FIRST_SECRETARY:
        secretary = active.filter(village=village, role=role).select_related("cadre").first()
        if secretary is not None:
            errors["role"] = _("%(v)s already has a first secretary (%(c)s).") % {
                "v": village.name, "c": secretary.cadre.name,
            }
    if planned_end_date <= start_date:
        errors["planned_end_date"] = _("The planned end date must come after the start date.")
    last_end = (
        Assignment.objects.filter(cadre=cadre, end_date__isnull=False)
        .exclude(pk=getattr(ignore, "pk", None)).order_by("-end_date").values_list("end_date", flat=True).first()
    )
    if last_end is not None and start_date < last_end:
        errors["start_date"] = _("The start date overlaps the cadre's previous assignment, which ended on %(d)s.") % {
            "d": last_end.isoformat()
        }
    if errors:
        raise ValidationError(errors)


def assignment_create(*, user, cadre: Cadre, village: Village, role: str, start_date: dt.date,
                      planned_end_date: dt.date | None = None) -> Assignment:
    county = _require_county(user)
    if village.county_id != county.id:
        raise ValidationError({"village": _("Choose a village of your own county.")})
    if cadre.county_id != county.id:
        raise ValidationError({"cadre": _("This cadre is managed by another county.")})
    planned_end_date = planned_end_date or Assignment.default_planned_end(start_date)
    _assignment_rules(cadre=cadre, village=village, role=role, start_date=start_date,
                      planned_end_date=planned_end_date)
    # Imported here: supervision builds on these services.
    from .supervision.services import replacement_fulfil_for

    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                cadre=cadre, village=village, role=role, start_date=start_date,
                planned_end_date=planned_end_date, approved_by=user,
            )
            # A unit that owes this village a replacement after a recall has now sent one.
            replacement_fulfil_for(assignment=assignment)
            return assignment
    except IntegrityError as exc:
        # Two officers saving at once: the partial unique constraints decide.
        raise ValidationError(_("Someone else changed this team at the same moment; reload and try again.")) from exc


def assignment_end(*, user, assignment: Assignment, end_date: dt.date, reason: str, note: str,
                   via_recall: bool = False) -> Assignment:
    """End an assignment with a reason and a note. A recall (召回) is more than an end: it opens
    the dispatching unit's obligation to send a replacement, so only the recall workflow
    (supervision.services.cadre_recall, which passes `via_recall`) ends one as recalled."""
    if not can_manage_county(user, assignment.village.county_id):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if assignment.end_date is not None:
        errors["end_date"] = _("This assignment has already ended.")
    if reason not in Assignment.EndReason.values:
        errors["reason"] = _("Choose why the assignment ends.")
    elif reason == Assignment.EndReason.RECALL and not via_recall:
        errors["reason"] = _("A recall is recorded on the recall page: it also asks the dispatching unit for a "
                             "replacement.")
    if not note.strip():
        errors["note"] = _("Write in the note why the cadre leaves: no cadre is changed without one.")
    if end_date < assignment.start_date:
        errors["end_date"] = _("The end date cannot be before the start date (%(d)s).") % {
            "d": assignment.start_date.isoformat()
        }
    if end_date > timezone.localdate() + dt.timedelta(days=31):
        errors["end_date"] = _("An assignment can be ended at most a month ahead.")
    if errors:
        raise ValidationError(errors)
    assignment.end_date, assignment.end_reason, assignment.end_note = end_date, reason, note.strip()
    assignment.ended_by = user
    assignment.save()
    return assignment


def assignment_change(*, user, assignment: Assignment, village: Village, role: str, change_date: dt.date,
                      note: str) -> Assignment:
    """Move a cadre to another village or role: the old assignment ends as 'adjusted' with the
    note, the new one starts the same day. Both happen or neither."""
    if not can_manage_county(user, assignment.village.county_id):
        raise PermissionDenied
    if village.id == assignment.village_id and role == assignment.role:
        raise ValidationError(_("Nothing changes: pick another village or role."))
    with transaction.atomic():
        assignment_end(user=user, assignment=assignment, end_date=change_date,
                       reason=Assignment.EndReason.ADJUSTMENT, note=note)
        return assignment_create(user=user, cadre=assignment.cadre, village=village, role=role,
                                 start_date=change_date, planned_end_date=assignment.planned_end_date
                                 if assignment.planned_end_date > change_date else None)
