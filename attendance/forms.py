"""Attendance forms: input parsing only. The rules live in services, whose ValidationErrors
views attach with `apply_service_errors`, so one rule has one message."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments import dates
from assignments.access import month_refused_message
from assignments.models import Finding

from .models import Duty, LeaveRequest, PresenceRecord
from .selectors import rule

# ISO format: a browser date input shows nothing for a localised value such as "2026年11月18日".
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


class CheckinForm(forms.Form):
    # Filled by the browser's Geolocation API where the county turned location check-in on.
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)


class LeaveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of leave"), choices=LeaveRequest.Kind.choices)
    start = forms.DateField(label=_("First day of leave"), widget=DATE)
    end = forms.DateField(label=_("Last day of leave"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Who will decide, before the cadre asks (the limit is a setting).
        self.fields["end"].help_text = _(
            "Leave of up to %(n)d days (counted in calendar days) is decided by your township; longer leave by "
            "the county organisation department.") % {"n": rule("LEAVE_TOWNSHIP_MAX_DAYS")}
    submit_now = forms.BooleanField(label=_("Submit for approval now"), required=False, initial=True)


class LeaveReturnForm(forms.Form):
    actual_return_date = forms.DateField(label=_("Back in the village on"), widget=DATE)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), required=False)


class CorrectionForm(forms.Form):
    cadre = forms.IntegerField(widget=forms.HiddenInput)
    day = forms.DateField(label=_("Day"), widget=DATE)
    kind = forms.ChoiceField(label=_("Attendance"), choices=PresenceRecord.Kind.choices)
    reason = forms.CharField(label=_("Reason for the correction"))


class WorkLogForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    duties = forms.MultipleChoiceField(label=_("Duties"), choices=Duty.choices, widget=forms.CheckboxSelectMultiple,
                                       required=False)
    content = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 5}), required=False)


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class FindingFilterForm(forms.Form):
    # What the list shows when nothing (or something that is not a choice) is asked for: open
    # findings of every kind, period and place. A bad value falls back to its field's default,
    # never to "everything" (see FindingFilterForm.applied).
    DEFAULTS = {"status": Finding.Status.OPEN}

    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds"))] + Finding.Kind.choices,
                             widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status"))] + Finding.Status.choices,
                               widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}))
    month = forms.CharField(
        label=_("Month"), required=False,
        help_text=_("A month shows the findings of its days and its month-end check. Training findings "
                    "have no month: with a month chosen they are not listed."),
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm w-auto",
                                      "placeholder": "YYYY-MM"}))

    def clean_month(self):
        # The programme's months only (assignments.dates), as every ?month= in an address.
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        month = dates.parse_month(value, today=timezone.localdate())
        if month is None:
            raise ValidationError(month_refused_message(value, today=timezone.localdate()))
        return month

    def __init__(self, *args, townships=None, counties=None, **kwargs):
        # Counties of a reviewer's scope (a city, the province) and townships, where a list of
        # them stays short; a township is named with its county where several counties show.
        super().__init__(*args, **kwargs)
        if counties is not None:
            field = forms.ModelChoiceField(
                label=_("County"), required=False, queryset=counties, empty_label=_("All counties"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}))
            # Across cities a county's name is not unique (市中区 in 内江市 and in 乐山市).
            if len({c.parent_id for c in counties}) > 1:
                field.label_from_instance = lambda c: f"{c.parent.name} · {c.name}"
            self.fields["county"] = field
        if townships is not None:
            field = forms.ModelChoiceField(
                label=_("Township"), required=False, queryset=townships, empty_label=_("All townships"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}))
            if counties is not None:
                field.label_from_instance = lambda t: f"{t.name} · {t.parent.name}"
            self.fields["township"] = field


def finding_filter_form(params, *, townships=None, counties=None) -> tuple[FindingFilterForm, list[str]]:
    """The findings filters from an address's parameters, each one that is not a valid choice
    (?kind=bogus, a township of another county, ?month=2026-13) put back to its default, and the
    form bound to what is applied, so its dropdowns show the list's real filter. Also the
    messages saying which values were not applied. An invalid value used to void the whole form
    and with it the "open" default: the list widened to resolved findings under a dropdown that
    still said "open"."""
    params = params.copy()
    params.setdefault("status", FindingFilterForm.DEFAULTS["status"])
    form = FindingFilterForm(params, townships=townships, counties=counties)
    refused = []
    if not form.is_valid():
        for name, errors in form.errors.items():
            if name not in form.fields:
                continue
            refused.append(_("%(error)s The “%(field)s” filter shows its default instead.") % {
                "error": " ".join(errors), "field": form.fields[name].label})
            params[name] = FindingFilterForm.DEFAULTS.get(name, "")
        form = FindingFilterForm(params, townships=townships, counties=counties)
        form.is_valid()  # every field now holds a valid value or its default
    return form, refused


class WorkingDaySetForm(forms.Form):
    # The date range and the reason's length are checked by services.working_day_set.
    day = forms.DateField(label=_("Date"), widget=DATE, error_messages={
        "required": _("Choose the date to change."), "invalid": _("Give the date as YYYY-MM-DD.")})
    is_working_day = forms.TypedChoiceField(
        label=_("The day becomes"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
        choices=[("1", _("A working day: a check-in is expected")), ("0", _("A rest day: no check-in expected"))],
        error_messages={"required": _("Choose working day or rest day.")},
    )
    # Same message as the service's rule, so the user reads one sentence whichever catches it.
    reason = forms.CharField(label=_("Reason"), help_text=_("For example the State Council notice on this year's holidays."),
                             error_messages={"required": _("Say why this day changes (for example the State Council notice).")})


class LocationSettingForm(forms.Form):
    location_checkin_enabled = forms.BooleanField(label=_("Use the position at check-in in this county"),
                                                  required=False)
    reason = forms.CharField(
        label=_("Basis for the change"), max_length=100,
        help_text=_("For example the county's notice (文号) or meeting that decided it; kept in the change history."),
        error_messages={"required": _("Say on what basis the setting is changed.")},
    )
