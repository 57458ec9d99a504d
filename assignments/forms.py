"""Forms for the roster pages.

The forms only parse input; the business rules (ID check character, one first secretary per
village, a note for every end) live in services.py and come back as ValidationError dicts
that the views attach to these forms with `apply_service_errors`. That is why the forms are
plain `forms.Form`s and not ModelForms: a ModelForm would validate model fields on its own
and a rule could then be checked twice with two different messages.
"""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Assignment, Cadre, DispatchingUnit, Region, Village, VillageCategory


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class _CrispyForm(forms.Form):
    """Renders with crispy-bootstrap5; the template supplies <form> and the buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has the token


def apply_service_errors(form: forms.Form, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Attach a service's ValidationError to the form: field errors next to the field they
    are about, everything else at the top of the form."""
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            field = rename.get(field, field)
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def village_label(village: Village) -> str:
    """"山水村 · 陵江镇": two townships of a county may have villages of the same name.
    The queryset should select_related("township")."""
    return f"{village.name} · {village.township.name}"


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Village) -> str:
        return village_label(obj)


class CadreChoiceField(forms.ModelChoiceField):
    """Cadres by name; a name that occurs more than once among the choices also shows the unit
    and the year of birth, so that two 张伟 can be told apart. The year, not the date: it is
    all that users who see masked ID numbers may see (selectors.cadre_identity_for_user). The
    queryset should select_related("unit")."""

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        self._shared_names = None

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj: Cadre) -> str:
        if self._shared_names is None:  # one query, when the choices are first rendered
            self._shared_names = set(
                self.queryset.order_by().values("name").annotate(n=Count("id")).filter(n__gt=1)
                .values_list("name", flat=True)
            )
        if obj.name not in self._shared_names:
            return obj.name
        return _("%(name)s (%(unit)s, born %(year)s)") % {
            "name": obj.name, "unit": obj.unit.name, "year": obj.birth_date.year,
        }


class TownshipForm(_CrispyForm):
    name = forms.CharField(label=_("Township name"), max_length=64)
    code = forms.CharField(
        label=_("Code"), max_length=9, min_length=9,
        help_text=_("9 digits, starting with the county code."),
    )


class VillageForm(_CrispyForm):
    township = forms.ModelChoiceField(label=_("Township"), queryset=Region.objects.none())
    name = forms.CharField(label=_("Village name"), max_length=64)
    code = forms.RegexField(
        label=_("Statistical code"), regex=r"^[0-9]{12}$", max_length=12,
        error_messages={"invalid": _("A village statistical code has 12 digits.")},
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=VillageCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=9, decimal_places=6, required=False,
                                  min_value=-90, max_value=90)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6, required=False,
                                   min_value=-180, max_value=180)
    checkin_radius_m = forms.IntegerField(
        label=_("Check-in radius (m)"), required=False, min_value=1,
        help_text=_("Distance from the village centre within which a located check-in counts."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        county = selectors.managed_county(user)
        self.fields["township"].queryset = Region.objects.filter(
            level=Region.Level.TOWNSHIP, parent_id=getattr(county, "id", None)
        )


class UnitForm(_CrispyForm):
    name = forms.CharField(label=_("Unit name"), max_length=100)
    level = forms.ChoiceField(label=_("Level"), choices=DispatchingUnit.Level.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=DispatchingUnit.Kind.choices)
    home_region = forms.ModelChoiceField(label=_("Home region"), queryset=Region.objects.none())
    contact_person = forms.CharField(label=_("Contact person"), max_length=32, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=20, required=False,
        help_text=_("A mobile number, or a landline with its area code such as 0839-5222222."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        county = selectors.managed_county(user)
        county_id = getattr(county, "id", None)
        # A county registers its own units: based in the county or one of its townships.
        self.fields["home_region"].queryset = Region.objects.filter(
            id=county_id
        ) | Region.objects.filter(parent_id=county_id, level=Region.Level.TOWNSHIP)


class CadreForm(_CrispyForm):
    name = forms.CharField(label=_("Full name"), max_length=32)
    id_number = forms.CharField(
        label=_("ID number"), max_length=18,
        help_text=_("18 characters; the last one is a digit or X."),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Cadre.Gender.choices)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=16, initial="汉族")
    political_status = forms.ChoiceField(
        label=_("Political status"), choices=Cadre.PoliticalStatus.choices, initial=Cadre.PoliticalStatus.MEMBER,
    )
    education = forms.ChoiceField(label=_("Education"), choices=Cadre.Education.choices)
    rank = forms.CharField(label=_("Rank"), max_length=32, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=11)
    unit = forms.ModelChoiceField(label=_("Dispatching unit"), queryset=DispatchingUnit.objects.none())

    def __init__(self, *args, user, instance: Cadre | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        units = selectors.units_selectable_for_user(user)
        if instance is not None:
            # Keep the cadre's current unit choosable even if it is no longer selectable.
            units = units | DispatchingUnit.objects.filter(pk=instance.unit_id)
        self.fields["unit"].queryset = units.distinct().order_by("name")


class AssignmentForm(_CrispyForm):
    cadre = CadreChoiceField(label=_("Cadre"), queryset=Cadre.objects.none())
    village = VillageChoiceField(label=_("Village"), queryset=Village.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    planned_end_date = forms.DateField(
        label=_("Planned end date"), widget=DateInput(), required=False,
        help_text=_("Leave empty for the standard tenure from the start date."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        county = selectors.managed_county(user)
        # Only the user's own county: the service refuses the others anyway.
        self.fields["cadre"].queryset = (
            selectors.cadres_for_user(user).filter(county_id=getattr(county, "id", None))
            .select_related("unit").order_by("name", "id")
        )
        self.fields["village"].queryset = (
            selectors.villages_for_user(user).select_related("township").order_by("township__code", "code")
        )
        self.fields["start_date"].initial = timezone.localdate()


class AssignmentEndForm(_CrispyForm):
    end_date = forms.DateField(label=_("End date"), widget=DateInput())
    # No "recalled" here: a recall goes through the recall page (the end page links to it),
    # which also opens the unit's replacement obligation.
    reason = forms.ChoiceField(label=_("Reason"), choices=[
        (value, label) for value, label in Assignment.EndReason.choices if value != Assignment.EndReason.RECALL])
    # Required (the form marks it so), with the service's own words instead of "This field is
    # required"; the service checks it again for every other caller.
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: why the cadre leaves the village."),
        error_messages={"required": _("Write in the note why the cadre leaves: no cadre is changed without one.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = timezone.localdate()


class AssignmentChangeForm(_CrispyForm):
    village = VillageChoiceField(label=_("Move to village"), queryset=Village.objects.none())
    role = forms.ChoiceField(label=_("New role"), choices=Assignment.Role.choices)
    change_date = forms.DateField(label=_("Date of the change"), widget=DateInput())
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: why the cadre is moved."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = (
            selectors.villages_for_user(user).select_related("township").order_by("township__code", "code")
        )
        self.fields["change_date"].initial = timezone.localdate()


class RosterImportForm(_CrispyForm):
    file = forms.FileField(
        label=_("Roster file (.xlsx)"),
        help_text=_("Fill in the template: one row per cadre."),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload an Excel file (.xlsx)."))
        if f.size > 20 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 20 MB."))
        return f

