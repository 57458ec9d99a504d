"""Writes for supervision, incentives and publicity.

Each service checks the role and scope itself (the same gate as the selectors), validates the
business rules with messages a county officer understands, and writes in one transaction.
ValidationError carries a dict of field -> message; PermissionDenied means "not your write".
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assignments import selectors as gate
from assignments.models import (
    AnnualAssessment,
    Assignment,
    BenefitKind,
    BenefitPayment,
    Cadre,
    Commendation,
    DispatchingUnit,
    Finding,
    GoodPracticeCase,
    Inspection,
    InspectionMember,
    InspectionSample,
    ReplacementObligation,
    Village,
    finding_detail,
)
from assignments.services import assignment_create, assignment_end
from assignments.text import list_join

from . import selectors

Role = gate.Role
MAX_SAMPLE = 500
FIRST_YEAR = 2000
# An inspection is keyed in soon after the visit; last year's are still entered early in the
# year for the annual assessment. Anything older is a typing slip (2001 for 2021), so the date
# must fall in this year or the two before it.
INSPECTION_MAX_BACK_YEARS = 2
# Free text: long enough for a real note, short enough that a pasted document is refused.
# The forms carry the same limits (forms.py imports these).
MAX_ISSUES = 2000
MAX_NOTE = 2000
MAX_COMMENTS = 2000
MAX_REASON = 1000
MAX_CASE_TEXT = 10000
# A recall can be decided shortly before it takes effect, as an assignment can be ended.
RECALL_MAX_AHEAD = dt.timedelta(days=31)


def _require_county(user, county_id: int | None, message: str) -> None:
    if not gate.can_manage_county(user, county_id):
        raise PermissionDenied(message)


def _not_future(day: dt.date | None, field: str, errors: dict) -> None:
    if day is not None and day > timezone.localdate():
        errors[field] = _("This date is in the future.")


def _max_length(text: str, limit: int, field: str, errors: dict) -> None:
    if len(text.strip()) > limit:
        errors[field] = _("Keep this to %(max)d characters (it has %(n)d).") % {"max": limit, "n": len(text.strip())}


def inspection_earliest_date(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return dt.date(today.year - INSPECTION_MAX_BACK_YEARS, 1, 1)


# --- inspections --------------------------------------------------------------------------------


def inspection_create(*, user, village: Village, kind: str, date: dt.date, inspectors: str, issues: str = "",
                      rectification_deadline: dt.date | None = None, absent_cadre_ids=(),
                      repeat_confirmed: bool = False) -> Inspection:
    """Record an inspection and each team member found present or absent. An absence is
    reconciled with attendance at once: covered by approved leave or a trip that day it is
    excused; otherwise it is unexcused and opens (or refreshes) a finding for that day.

    A second inspection of the same village on the same day that finds the same cadre absent
    is asked to be confirmed (`repeat_confirmed`), not refused: two teams may well visit the
    same day, but more often it is the same visit keyed in twice. Either way the day counts
    as one absence for the cap rule."""
    if not selectors.can_record_inspection(user):
        raise PermissionDenied(_("Only county staff and city or province reviewers record inspections."))
    if not gate.villages_for_user(user).filter(pk=village.pk).exists():
        raise ValidationError({"village": _("Choose a village in your jurisdiction.")})
    errors: dict[str, str] = {}
    if kind not in Inspection.Kind.values:
        errors["kind"] = _("Choose the kind of inspection.")
    _not_future(date, "date", errors)
    earliest = inspection_earliest_date()
    if date < earliest:
        errors["date"] = _("An inspection is recorded within %(n)d years of it: the date cannot be before %(d)s. "
                           "Check the year.") % {"n": INSPECTION_MAX_BACK_YEARS, "d": earliest.isoformat()}
    if not inspectors.strip():
        errors["inspectors"] = _("Name the inspectors.")
    _max_length(inspectors, Inspection._meta.get_field("inspectors").max_length, "inspectors", errors)
    _max_length(issues, MAX_ISSUES, "issues", errors)
    if rectification_deadline is not None and rectification_deadline < date:
        errors["rectification_deadline"] = _("The rectification deadline cannot be before the inspection.")
    if rectification_deadline is not None and not issues.strip():
        errors["issues"] = _("Describe the issues to rectify, or leave the deadline empty.")
    team = selectors.team_on(village=village, day=date)
    absent = {int(c) for c in absent_cadre_ids}
    strangers = absent - {a.cadre_id for a in team}
    if strangers:
        errors["absent"] = _("Only members of the village's team on the inspection day can be marked absent.")
    if not errors and not repeat_confirmed:
        again = selectors.absences_already_found(village=village, day=date, cadre_ids=absent)
        if again:
            errors["repeat_confirmed"] = _(
                "An inspection of %(v)s on %(d)s already found %(names)s absent. If this is a separate visit, "
                "tick the box to record it; if it is the same visit, it is already recorded. Either way the day "
                "counts as one absence."
            ) % {"v": village.name, "d": date.isoformat(), "names": list_join(again)}
    if errors:
        raise ValidationError(errors)
    return inspection_record(village=village, kind=kind, date=date, inspectors=inspectors, issues=issues,
                             rectification_deadline=rectification_deadline, absent=absent, team=team, user=user)


def inspection_record(*, village: Village, kind: str, date: dt.date, inspectors: str, issues: str,
                      rectification_deadline: dt.date | None, absent: set[int], team: list[Assignment],
                      user=None) -> Inspection:
    """The write behind inspection_create, after its checks (also used by the demo seeder)."""
    excuses = selectors.absence_excuses(cadre_ids=list(absent), day=date)
    now = timezone.now()
    with transaction.atomic():
        inspection = Inspection(
            kind=kind, date=date, village=village, inspectors=inspectors.strip(), issues=issues.strip(),
            rectification_deadline=rectification_deadline, created_by=user,
        )
        inspection.save()
        rows = []
        for a in team:
            row = InspectionMember(inspection=inspection, assignment=a, cadre=a.cadre,
                                   outcome=InspectionMember.Outcome.PRESENT)
            if a.cadre_id in absent:
                if a.cadre_id in excuses:
                    row.outcome, row.excuse = InspectionMember.Outcome.EXCUSED, excuses[a.cadre_id]
                else:
                    row.outcome = InspectionMember.Outcome.UNEXCUSED
                    row.finding = _unexcused_finding(inspection=inspection, assignment=a, now=now)
            rows.append(row)
        InspectionMember.objects.bulk_create(rows)
        _presence_contradicted(cadre_ids=[r.cadre_id for r in rows if r.outcome == InspectionMember.Outcome.UNEXCUSED],
                               day=date, user=user, now=now)
    return inspection


def _presence_contradicted(*, cadre_ids: list[int], day: dt.date, user, now) -> None:
    """An inspection found these cadres away without leave on `day`: a record saying they were
    in the village that day (a check-in, or the township's entry) is rejected, as the county
    rejects a doubtful check-in, so the day no longer counts towards the month's presence and
    the calendar and report show it. The record is changed, not deleted: its history keeps what
    it said. (A trip that day would have made the absence excused, so only "in the village".)"""
    if not cadre_ids or not apps.is_installed("attendance"):
        return
    from attendance.models import PresenceRecord, presence_note

    note, parts = presence_note([(gettext_noop("The inspection of %(d)s found the cadre away without leave."),
                                  {"d": day.isoformat()})])
    for record in PresenceRecord.objects.filter(cadre_id__in=cadre_ids, date=day,
                                                kind=PresenceRecord.Kind.IN_VILLAGE).exclude(
            review_status=PresenceRecord.Review.REJECTED):
        record.review_status, record.review_note = PresenceRecord.Review.REJECTED, note
        record.reviewed_by, record.reviewed_at = user, now
        record.note_args = {**(record.note_args or {}), "review": parts}
        record._change_reason = note
        record.save()


_UNEXCUSED_DETAIL = {
    "unannounced": gettext_noop("An unannounced inspection on %(date)s by %(who)s found the cadre absent without "
                                "approved leave or a trip."),
    "research": gettext_noop("A research visit on %(date)s by %(who)s found the cadre absent without approved "
                             "leave or a trip."),
    "guidance": gettext_noop("A guidance visit on %(date)s by %(who)s found the cadre absent without approved "
                             "leave or a trip."),
}


def _unexcused_finding(*, inspection: Inspection, assignment: Assignment, now) -> Finding:
    """One finding per cadre assignment and day (the Finding uniqueness): a second inspection
    the same day refreshes it, and reopens it if it had been resolved."""
    # One message per kind of visit, so each language can place the kind where it belongs.
    detail, detail_args = finding_detail((_UNEXCUSED_DETAIL.get(inspection.kind, _UNEXCUSED_DETAIL["unannounced"]),
                                          {"date": inspection.date.isoformat(), "who": inspection.inspectors}))
    finding, created = Finding.objects.get_or_create(
        kind=Finding.Kind.UNEXCUSED_ABSENCE, assignment=assignment, period=inspection.date.isoformat(),
        defaults={"cadre_id": assignment.cadre_id, "village_id": assignment.village_id,
                  "county_id": inspection.county_id, "severity": Finding.Severity.WARNING, "detail": detail,
                  "detail_args": detail_args,
                  "first_seen": now, "last_seen": now},
    )
    if not created:
        finding.last_seen, finding.status, finding.resolved_at, finding.resolved_by = now, Finding.Status.OPEN, None, None
        finding.save(update_fields=["last_seen", "status", "resolved_at", "resolved_by"])
    return finding


def inspection_rectify(*, user, inspection: Inspection, rectified_on: dt.date, note: str) -> Inspection:
    """Mark the issues rectified: county staff of the village's county, or whoever recorded it."""
    if not (gate.can_manage_county(user, inspection.county_id) or inspection.created_by_id == user.pk):
        raise PermissionDenied(_("Only the county's staff or the inspector who recorded it close a rectification."))
    errors: dict[str, str] = {}
    if inspection.rectified_on is not None:
        errors["rectified_on"] = _("This rectification is already closed.")
    elif inspection.rectification_status == Inspection.Rectification.NONE:
        errors["rectified_on"] = _("This inspection found nothing to rectify.")
    elif rectified_on < inspection.date:
        errors["rectified_on"] = _("The rectification cannot be before the inspection.")
    _not_future(rectified_on, "rectified_on", errors)
    if not note.strip():
        errors["note"] = _("Say how the issues were rectified.")
    _max_length(note, MAX_NOTE, "note", errors)
    if errors:
        raise ValidationError(errors)
    inspection.rectified_on, inspection.rectification_note = rectified_on, note.strip()
    inspection.save(update_fields=["rectified_on", "rectification_note"])
    return inspection


def inspection_sample_create(*, user, size: int, seed: int | None = None) -> InspectionSample:
    """Draw `size` villages of the user's region to inspect, weighted toward open findings.
    The seed is recorded: drawing again with it on the same data gives the same list."""
    if not selectors.can_draw_sample(user):
        raise PermissionDenied(_("Only county or city staff draw inspection samples."))
    errors: dict[str, str] = {}
    if not 1 <= size <= MAX_SAMPLE:
        errors["size"] = _("Choose between 1 and %(n)d villages.") % {"n": MAX_SAMPLE}
    if seed is not None and not 0 <= seed < 2**63:
        errors["seed"] = _("The seed is a whole number from 0 to 9223372036854775807.")
    if errors:
        raise ValidationError(errors)
    candidates = selectors.sample_candidates(user)
    if not candidates:
        raise ValidationError({"size": _("There are no villages in your jurisdiction to sample.")})
    seed = secrets.randbelow(2**31) if seed is None else seed
    chosen = selectors.sample_draw(candidates=candidates, seed=seed, size=size)
    return InspectionSample.objects.create(
        region=gate.scope_for_user(user).region, seed=seed, size=size, village_ids=chosen, created_by=user,
    )


# --- annual assessment --------------------------------------------------------------------------


def assessment_save(*, user, cadre: Cadre, year: int, grade: str, comments: str = "",
                    instance: AnnualAssessment | None = None) -> AnnualAssessment:
    """Create (or, with `instance`, change) a cadre's assessment for a year, applying the cap
    rule: unexcused absences found by inspection limit the best grade allowed."""
    _require_county(user, cadre.county_id, _("Only staff of the cadre's county assess the cadre."))
    errors: dict[str, str] = {}
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= this_year:
        errors["year"] = _("Choose a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": this_year}
    if grade not in AnnualAssessment.Grade.values:
        errors["grade"] = _("Choose a grade.")
    _max_length(comments, MAX_COMMENTS, "comments", errors)
    clash = AnnualAssessment.objects.filter(cadre=cadre, year=year)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if "year" not in errors and clash.exists():
        errors["year"] = _("%(c)s has already been assessed for %(y)d; change that assessment instead.") % {
            "c": cadre.name, "y": year}
    if not errors:
        # The last line of the cap rule (the form offers only the allowed grades): days found
        # absent, not inspection rows.
        unexcused = selectors.unexcused_absence_days(cadre_id=cadre.pk, year=year)
        best = selectors.assessment_best_grade(unexcused=unexcused)
        if grade not in selectors.assessment_allowed_grades(best=best):
            errors["grade"] = selectors.assessment_cap_message(unexcused=unexcused, year=year, best=best)
    if errors:
        raise ValidationError(errors)
    assessment = instance or AnnualAssessment(cadre=cadre, year=year)
    assessment.year, assessment.grade, assessment.comments = year, grade, comments.strip()
    assessment.county_id, assessment.assessed_by = cadre.county_id, user
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as exc:
        raise ValidationError({"year": _("Someone else assessed this cadre for this year at the same moment.")}) from exc
    return assessment


# --- recall and replacement ---------------------------------------------------------------------


def cadre_recall(*, user, assignment: Assignment, reason: str, end_date: dt.date | None = None,
                 due_date: dt.date | None = None) -> ReplacementObligation:
    """召回: end the assignment as recalled, with the reason, and open the dispatching unit's
    obligation to send a replacement to the village by the due date. Both or neither."""
    _require_county(user, assignment.village.county_id, _("Only staff of the village's county recall a cadre."))
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = _("Write down the reason: no cadre is recalled without one.")
    _max_length(reason, MAX_REASON, "reason", errors)
    end_date = end_date or timezone.localdate()
    due_date = due_date or end_date + dt.timedelta(days=selectors.replacement_due_days())
    # The recall's own wording for the dates, before assignment_end's (which speaks of ending).
    if assignment.end_date is not None:
        errors["end_date"] = _("This cadre has already left the village: there is nothing to recall.")
    elif end_date > timezone.localdate() + RECALL_MAX_AHEAD:
        errors["end_date"] = _("A recall can be recorded at most a month before it takes effect.")
    elif end_date < assignment.start_date:
        errors["end_date"] = _("The recall cannot be before the cadre started in the village (%(d)s).") % {
            "d": assignment.start_date.isoformat()}
    if due_date <= end_date:
        errors["due_date"] = _("The replacement due date must come after the recall.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assignment_end(user=user, assignment=assignment, end_date=end_date,
                       reason=Assignment.EndReason.RECALL, note=reason, via_recall=True)
        return ReplacementObligation.objects.create(
            unit_id=assignment.cadre.unit_id, village=assignment.village, role=assignment.role,
            recalled_assignment=assignment, reason=reason.strip(), due_date=due_date, created_by=user,
        )


def replacement_fulfil_for(*, assignment: Assignment) -> ReplacementObligation | None:
    """Mark the oldest open obligation this new assignment fills (same unit, same village,
    started on or after the recall) as fulfilled. Call it after assignment_create."""
    with transaction.atomic():
        obligation = (
            ReplacementObligation.objects.select_for_update()
            .filter(status=ReplacementObligation.Status.OPEN, unit_id=assignment.cadre.unit_id,
                    village_id=assignment.village_id, recalled_assignment__end_date__lte=assignment.start_date)
            # The recalled cadre sent back does not replace herself.
            .exclude(recalled_assignment__cadre_id=assignment.cadre_id)
            .order_by("due_date", "id").first()
        )
        if obligation is None:
            return None
        obligation.status, obligation.fulfilled_by, obligation.fulfilled_at = (
            ReplacementObligation.Status.FULFILLED, assignment, timezone.now())
        obligation.save(update_fields=["status", "fulfilled_by", "fulfilled_at"])
        return obligation


def assignment_create_replacement(*, user, obligation: ReplacementObligation, cadre: Cadre,
                                  start_date: dt.date, role: str | None = None) -> Assignment:
    """撤换: assign a cadre of the obliged unit to the village and close the obligation."""
    _require_county(user, obligation.county_id, _("Only staff of the village's county assign a replacement."))
    if obligation.status != ReplacementObligation.Status.OPEN:
        raise ValidationError({"cadre": _("This replacement has already been sent.")})
    if cadre.unit_id != obligation.unit_id:
        raise ValidationError({"cadre": _("The replacement must be a cadre of %(u)s.") % {"u": obligation.unit.name}})
    if cadre.pk == obligation.recalled_assignment.cadre_id:
        raise ValidationError({"cadre": _("%(c)s is the cadre who was recalled: the unit must send someone else.") % {
            "c": cadre.name}})
    if start_date < obligation.recalled_assignment.end_date:
        raise ValidationError({"start_date": _("The replacement cannot start before the recall (%(d)s).") % {
            "d": obligation.recalled_assignment.end_date.isoformat()}})
    with transaction.atomic():
        new = assignment_create(user=user, cadre=cadre, village=obligation.village,
                                role=role or obligation.role, start_date=start_date)
        ReplacementObligation.objects.filter(pk=obligation.pk).update(
            status=ReplacementObligation.Status.FULFILLED, fulfilled_by=new, fulfilled_at=timezone.now())
    obligation.refresh_from_db()
    return new


def replacement_obligations_sync(*, county_id: int | None = None) -> int:
    """Close open obligations already filled through the plain assignment form (for a nightly
    task): returns how many were closed."""
    qs = selectors.obligations_with_match(
        ReplacementObligation.objects.filter(status=ReplacementObligation.Status.OPEN)
    ).filter(matched_assignment_id__isnull=False)
    if county_id is not None:
        qs = qs.filter(county_id=county_id)
    closed = 0
    for ob in qs:
        with transaction.atomic():
            if ReplacementObligation.objects.filter(fulfilled_by_id=ob.matched_assignment_id).exists():
                continue
            closed += ReplacementObligation.objects.filter(pk=ob.pk, status=ReplacementObligation.Status.OPEN).update(
                status=ReplacementObligation.Status.FULFILLED, fulfilled_by_id=ob.matched_assignment_id,
                fulfilled_at=timezone.now())
    return closed


# --- benefits ledger ----------------------------------------------------------------------------


def benefit_payment_create(*, user, kind: str, year: int, amount, paid_on: dt.date, note: str = "",
                           cadre: Cadre | None = None, village: Village | None = None,
                           unit: DispatchingUnit | None = None) -> BenefitPayment:
    """A payment recorded by the dispatching unit's liaison (their unit's cadres and the
    villages their cadres serve: the liaison's only write) or by county staff (their county).
    Work funds go to a village; the other kinds to a cadre."""
    scope = gate.scope_for_user(user)
    if scope.role not in (Role.UNIT, Role.COUNTY):
        raise PermissionDenied(_("Only the dispatching unit's liaison or county staff record payments."))
    errors: dict[str, str] = {}
    if kind not in BenefitKind.values:
        errors["kind"] = _("Choose what was paid.")
    elif kind == BenefitKind.WORK_FUNDS and village is None:
        errors["village"] = _("Work funds are paid to a village: choose the village.")
    elif kind != BenefitKind.WORK_FUNDS and cadre is None:
        errors["cadre"] = _("This benefit is paid to a cadre: choose the cadre.")
    if kind == BenefitKind.WORK_FUNDS:
        cadre = None
    else:
        village = None
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= this_year + 1:
        errors["year"] = _("Choose a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": this_year + 1}
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        if amount <= 0 or amount >= Decimal("1e10"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = _("Enter an amount in yuan greater than zero.")
    _not_future(paid_on, "paid_on", errors)
    _max_length(note, BenefitPayment._meta.get_field("note").max_length, "note", errors)
    if scope.role == Role.UNIT:
        unit = DispatchingUnit.objects.get(pk=scope.unit_id)
        if cadre is not None and cadre.unit_id != unit.id:
            errors["cadre"] = _("You can record payments only for your own unit's cadres.")
        if village is not None and not Assignment.objects.filter(village=village, cadre__unit=unit).exists():
            errors["village"] = _("Your unit has no cadre in this village.")
    else:
        county = gate.managed_county(user)
        if cadre is not None:
            if cadre.county_id != county.id:
                errors["cadre"] = _("This cadre is managed by another county.")
            unit = cadre.unit
        if village is not None:
            if village.county_id != county.id:
                errors["village"] = _("Choose a village of your own county.")
            elif unit is None:
                errors["unit"] = _("Choose the dispatching unit that paid.")
            elif not Assignment.objects.filter(village=village, cadre__unit=unit).exists():
                errors["unit"] = _("This unit has no cadre in this village.")
    if errors:
        raise ValidationError(errors)
    payment = BenefitPayment(
        unit=unit, cadre=cadre, village=village, kind=kind, year=year, amount=amount, paid_on=paid_on,
        note=note.strip(), recorded_by=user,
        county_id=cadre.county_id if cadre is not None else village.county_id,
    )
    payment.save()
    return payment


# --- exemplars ----------------------------------------------------------------------------------


def commendation_create(*, user, cadre: Cadre, level: str, title: str, date: dt.date) -> Commendation:
    _require_county(user, cadre.county_id, _("Only staff of the cadre's county record commendations."))
    errors: dict[str, str] = {}
    if level not in Commendation.Level.values:
        errors["level"] = _("Choose the level of the commendation.")
    if not title.strip():
        errors["title"] = _("Give the title of the commendation.")
    _max_length(title, Commendation._meta.get_field("title").max_length, "title", errors)
    _not_future(date, "date", errors)
    if errors:
        raise ValidationError(errors)
    item = Commendation(cadre=cadre, level=level, title=title.strip(), date=date, created_by=user)
    item.save()
    return item


def case_create(*, user, village: Village, title: str, text: str, date: dt.date) -> GoodPracticeCase:
    _require_county(user, village.county_id, _("Only staff of the village's county record good-practice cases."))
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Give the case a title.")
    if not text.strip():
        errors["text"] = _("Describe the good practice.")
    _max_length(title, GoodPracticeCase._meta.get_field("title").max_length, "title", errors)
    _max_length(text, MAX_CASE_TEXT, "text", errors)
    _not_future(date, "date", errors)
    if errors:
        raise ValidationError(errors)
    case = GoodPracticeCase(village=village, title=title.strip(), text=text.strip(), date=date, created_by=user)
    case.save()
    return case
