"""Supervision forms: input parsing only. Rules live in services; views attach a service's
ValidationError with `apply_service_errors`, so each rule has one message."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments import selectors as gate
from assignments.forms import CadreChoiceField, VillageChoiceField
from assignments.models import AnnualAssessment, Assignment, BenefitKind, Commendation, Inspection

from . import selectors, services

DATE = forms.DateInput(attrs={"type": "date"})


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Field errors next to their field, the rest at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            for message in msgs:
                known = field in form.fields or field in getattr(form, "late_fields", ())
                form.add_error(field if known else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _parse_date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        return None


class InspectionForm(forms.Form):
    village = VillageChoiceField(label=_("Village"), queryset=None)
    date = forms.DateField(label=_("Date of the inspection"), widget=DATE)
    kind = forms.ChoiceField(label=_("Kind"), choices=Inspection.Kind.choices)
    inspectors = forms.CharField(label=_("Inspectors"), max_length=200,
                                 help_text=_("Names of the inspection team, separated by commas."))
    absent = forms.TypedMultipleChoiceField(
        label=_("Team members found absent"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Unticked members are recorded as present. Absences covered by approved leave or an "
                    "official trip are excused automatically."),
    )
    issues = forms.CharField(label=_("Issues found"), required=False, max_length=services.MAX_ISSUES,
                             widget=forms.Textarea(attrs={"rows": 3}))
    rectification_deadline = forms.DateField(label=_("Rectification deadline"), required=False, widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = gate.villages_for_user(user).select_related("township").order_by("township__code", "code")
        self.fields["village"].queryset = villages
        source = self.data if self.is_bound else self.initial
        village_id, day = source.get("village"), _parse_date(source.get("date"))
        self.team: list[Assignment] = []
        if str(village_id or "").isdigit() and day is not None:
            village = villages.filter(pk=int(village_id)).first()
            if village is not None:
                self.team = selectors.team_on(village=village, day=day)
        self.fields["absent"].choices = [
            (a.cadre_id, f"{a.cadre.name} ({a.get_role_display()})") for a in self.team
        ]
        self.fields["date"].widget.attrs.update(min=services.inspection_earliest_date().isoformat(),
                                                max=timezone.localdate().isoformat())
        # Shown only once the service has asked: an earlier inspection that day found the
        # same cadre absent (see services.inspection_create).
        if self.is_bound and "repeat_confirmed" in self.data:
            self.fields["repeat_confirmed"] = self._repeat_field()

    late_fields = ("repeat_confirmed",)  # added when the service asks (see add_error)

    @staticmethod
    def _repeat_field() -> forms.BooleanField:
        return forms.BooleanField(label=_("This is a separate visit: record it"), required=False)

    def add_error(self, field, error):
        # The service's question about a repeated absence needs its checkbox on the page.
        if field == "repeat_confirmed" and field not in self.fields:
            self.fields[field] = self._repeat_field()
        super().add_error(field, error)


class RectifyForm(forms.Form):
    rectified_on = forms.DateField(label=_("Rectified on"), widget=DATE)
    note = forms.CharField(label=_("How the issues were rectified"), max_length=services.MAX_NOTE,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SampleForm(forms.Form):
    size = forms.IntegerField(label=_("Number of villages"), min_value=1, initial=10)
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0,
                              help_text=_("Leave empty for a new random draw; enter a recorded seed to repeat one."))


class AssessmentForm(forms.Form):
    # No grade is chosen for the user: a preselected one was saved by a single click of Save.
    # The list starts on "Choose a grade" and an assessment without one is refused.
    year = forms.IntegerField(label=_("Year"))
    grade = forms.ChoiceField(label=_("Grade"), choices=[("", _("Choose a grade")), *AnnualAssessment.Grade.choices],
                              error_messages={"required": _("Choose a grade.")})
    comments = forms.CharField(label=_("Comments"), required=False, max_length=services.MAX_COMMENTS,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, evidence: dict | None = None, year: int | None = None, **kwargs):
        """With the year's evidence (`selectors.assessment_evidence`) the grade offers only what
        the cap rule allows, and says why next to the field; the service still checks."""
        super().__init__(*args, **kwargs)
        best = (evidence or {}).get("best_grade")
        if best is not None:
            allowed = selectors.assessment_allowed_grades(best=best)
            self.fields["grade"].choices = [("", _("Choose a grade")), *(
                (v, label) for v, label in AnnualAssessment.Grade.choices if v in allowed)]
            self.fields["grade"].help_text = selectors.assessment_cap_message(
                unexcused=evidence["unexcused_absences"], year=year, best=best)
            if self.initial.get("grade") not in allowed:
                # An earlier grade the cap no longer allows is not replaced by a guess either.
                self.initial.pop("grade", None)


class RecallForm(forms.Form):
    end_date = forms.DateField(label=_("Recalled on"), widget=DATE)
    reason = forms.CharField(label=_("Reason for the recall"), max_length=services.MAX_REASON,
                             widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(label=_("Replacement due by"), required=False, widget=DATE,
                               help_text=_("Empty: the default period after the recall."))


class ReplacementForm(forms.Form):
    cadre = CadreChoiceField(label=_("Replacement cadre"), queryset=None)
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices)

    def __init__(self, *args, user, obligation, **kwargs):
        super().__init__(*args, **kwargs)
        # Cadres of the obliged unit that the county manages and who serve nowhere now, except
        # the recalled cadre herself (the service refuses her too).
        self.fields["cadre"].queryset = (
            gate.cadres_for_user(user).filter(unit_id=obligation.unit_id).select_related("unit")
            .exclude(pk=obligation.recalled_assignment.cadre_id)
            .exclude(Exists(Assignment.objects.filter(cadre=OuterRef("pk"), end_date__isnull=True))).order_by("name")
        )


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=BenefitKind.choices)
    cadre = CadreChoiceField(label=_("Cadre"), queryset=None, required=False)
    village = VillageChoiceField(label=_("Village"), queryset=None, required=False,
                                     help_text=_("For work funds only."))
    unit = forms.ModelChoiceField(label=_("Dispatching unit that paid"), queryset=None, required=False,
                                  help_text=_("County staff recording work funds: the paying unit."))
    year = forms.IntegerField(label=_("For the year"))
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=12, decimal_places=2)
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = gate.cadres_for_user(user).select_related("unit").order_by("name")
        self.fields["village"].queryset = gate.villages_for_user(user).select_related("township").order_by("code")
        scope = gate.scope_for_user(user)
        if scope.role == gate.Role.COUNTY:
            self.fields["unit"].queryset = gate.units_for_user(user).order_by("name")
        else:
            del self.fields["unit"]
        self.initial.setdefault("year", timezone.localdate().year)


class CommendationForm(forms.Form):
    cadre = CadreChoiceField(label=_("Cadre"), queryset=None)
    level = forms.ChoiceField(label=_("Level"), choices=Commendation.Level.choices)
    title = forms.CharField(label=_("Title of the honour"), max_length=120)
    date = forms.DateField(label=_("Date"), widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        county = gate.managed_county(user)
        self.fields["cadre"].queryset = (
            gate.cadres_for_user(user).filter(county=county).select_related("unit").order_by("name")
        )


class CaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    village = VillageChoiceField(label=_("Village"), queryset=None)
    date = forms.DateField(label=_("Date"), widget=DATE)
    text = forms.CharField(label=_("The good practice"), max_length=services.MAX_CASE_TEXT,
                           widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        county = gate.managed_county(user)
        self.fields["village"].queryset = (
            gate.villages_for_user(user).filter(county=county).select_related("township").order_by("code")
        )
