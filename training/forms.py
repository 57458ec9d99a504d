"""Training forms: input parsing, plus the course and record rules applied through the very
functions training.services uses (`course_errors`, `record_value_errors`,
`recording_closed_reason`), so a bad value is refused next to its field before the service
runs, and the service refuses it alike when called directly: one rule, one message. Views
attach the service's remaining ValidationErrors with `apply_service_errors`."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assignments import selectors as gate
from assignments.models import DispatchingUnit, Region

from . import services
from .models import OrganiserLevel, Topic, TrainingCourse, TrainingRecord, TrainingRequirement

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Field errors next to their field, the rest at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            for message in msgs:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    organiser_level = forms.ChoiceField(label=_("Organiser level"), choices=OrganiserLevel.choices)
    township = forms.ModelChoiceField(label=_("Organising township"), queryset=Region.objects.none(), required=False,
                                      help_text=_("Only for a course a township organises."))
    unit = forms.ModelChoiceField(label=_("Organising dispatching unit"), queryset=DispatchingUnit.objects.none(),
                                  required=False, help_text=_("Only for a course a dispatching unit organises."))
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    end_date = forms.DateField(label=_("End date"), widget=DATE)
    days = forms.DecimalField(label=_("Days"), max_digits=4, decimal_places=1, min_value=0)
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=1, min_value=0, required=False)
    location = forms.CharField(label=pgettext_lazy("training venue", "Location"), max_length=120, required=False)
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=Topic.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = gate.scope_for_user(user)
        if scope.role in (gate.Role.CITY, gate.Role.PROVINCE):
            # Reviewers enter courses at their own level only: nothing else to choose.
            self.fields["organiser_level"].choices = [c for c in OrganiserLevel.choices if c[0] == scope.role]
            del self.fields["township"], self.fields["unit"]
        else:
            self.fields["township"].queryset = gate.regions_for_user(user).filter(level=Region.Level.TOWNSHIP)
            self.fields["unit"].queryset = gate.units_for_user(user)
            self.fields["organiser_level"].initial = OrganiserLevel.COUNTY

    def clean(self):
        data = super().clean()
        problems = services.course_errors(title=data.get("title"), start_date=data.get("start_date"),
                                          end_date=data.get("end_date"), days=data.get("days"),
                                          hours=data.get("hours"))
        for field, message in problems.items():
            if field not in self.errors:  # a value that did not parse already says so
                self.add_error(field, message)
        return data


class RecordBulkForm(forms.Form):
    """The same days, hours and result for every picked cadre (the usual case: all attended
    the whole course); exceptions are recorded in a second pass or by import."""

    cadres = forms.ModelMultipleChoiceField(label=_("Cadres who attended"), queryset=None,
                                            widget=forms.CheckboxSelectMultiple)
    days_attended = forms.DecimalField(label=_("Days attended"), max_digits=4, decimal_places=1)
    hours_attended = forms.DecimalField(label=_("Hours attended"), max_digits=5, decimal_places=1, required=False)
    result = forms.ChoiceField(label=_("Result"), choices=TrainingRecord.Result.choices)

    def __init__(self, *args, candidates, course: TrainingCourse, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["cadres"].queryset = candidates
        self.fields["cadres"].label_from_instance = lambda c: f"{c.name} · {c.unit.name}"

    def clean(self):
        data = super().clean()
        closed = services.recording_closed_reason(self.course)
        if closed:
            raise ValidationError(closed)
        # Every picked cadre gets the same values: said once next to the field, not per cadre.
        problems = services.record_value_errors(self.course, days_attended=data.get("days_attended"),
                                                hours_attended=data.get("hours_attended"),
                                                result=data.get("result", ""))
        for field, message in problems.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Attendance list (.xlsx)"))


class RequirementForm(forms.Form):
    """Types only: the rules (bounds, at least one level, unique name) and their messages are
    training.services', so a form and a direct service call refuse the same input alike."""

    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    levels = forms.MultipleChoiceField(label=_("Organiser levels that count"), choices=OrganiserLevel.choices,
                                       required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text=_("Courses organised at these levels count towards the rule."))
    min_days_per_course = forms.DecimalField(label=_("Minimum days attended per course"), max_digits=4,
                                             decimal_places=1, required=False,
                                             help_text=_("A course counts only if the cadre attended at least this "
                                                         "many days (at most 30)."))
    courses_required = forms.IntegerField(label=_("Number of courses"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=TrainingRequirement.Period.choices)
    min_hours = forms.DecimalField(label=_("Minimum hours in the period"), max_digits=5, decimal_places=1,
                                   required=False, help_text=_("Optional: leave empty for no hours rule."))
    active = forms.BooleanField(label=_("Active"), required=False,
                                help_text=_("Untick to switch the rule off: the next scan stops applying it and "
                                            "resolves its open findings. Rules are never deleted."))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:  # a new rule starts active; switching it off is an edit
            del self.fields["active"]


def requirement_form_initial(req: TrainingRequirement) -> dict:
    return {
        "name": req.name, "levels": req.level_list, "min_days_per_course": req.min_days_per_course,
        "courses_required": req.courses_required, "period": req.period, "min_hours": req.min_hours,
        "active": req.active,
    }
