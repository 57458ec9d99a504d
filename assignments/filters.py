"""List filters. They only narrow a queryset that already came through the scoping gate;
choice lists that show roster data are built from the gate too."""
from __future__ import annotations

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Assignment, Cadre, DispatchingUnit, Region, Village, VillageCategory


class _Filter(django_filters.FilterSet):
    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.required = False


class VillageFilter(_Filter):
    VACANCY_CHOICES = [
        ("no_secretary", _("No first secretary")),
        ("understaffed", _("Under-staffed team")),
    ]

    q = django_filters.CharFilter(label=_("Name or code"), method="filter_q")
    county = django_filters.ModelChoiceFilter(label=_("County"), queryset=Region.objects.none(),
                                              empty_label=_("All counties"))
    township = django_filters.ModelChoiceFilter(label=_("Township"), queryset=Region.objects.none(),
                                                empty_label=_("All townships"))
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=VillageCategory.choices, method="filter_category",
    )
    vacancy = django_filters.ChoiceFilter(label=_("Vacancy"), choices=VACANCY_CHOICES, method="filter_vacancy")

    class Meta:
        model = Village
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        scope = selectors.scope_for_user(user)
        townships = selectors.regions_for_user(user).filter(level=Region.Level.TOWNSHIP)
        # A province has thousands of townships: reviewers filter by county, the others by township.
        if scope.role in (selectors.Role.PROVINCE, selectors.Role.CITY):
            counties = selectors.regions_for_user(user).filter(level=Region.Level.COUNTY).select_related("parent")
            self.filters.pop("township")
            self.form.fields.pop("township", None)
            self.filters["county"].queryset = counties
            self.form.fields["county"].queryset = counties
            self.form.fields["county"].label_from_instance = lambda r: f"{r.parent.name} · {r.name}"
        else:
            self.filters.pop("county")
            self.form.fields.pop("county", None)
            self.filters["township"].queryset = townships
            self.form.fields["township"].queryset = townships

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(code__startswith=value)) if value else qs

    def filter_category(self, qs, name, value):
        return qs.filter(categories__contains=f",{value},") if value else qs

    def filter_vacancy(self, qs, name, value):
        # Needs the annotations of selectors.villages_with_team_counts.
        if value == "no_secretary":
            return qs.filter(has_first_secretary=False)
        if value == "understaffed":
            return qs.filter(team_size__lt=settings.ZHUCUN["MIN_TEAM_SIZE"])
        return qs


class UnitFilter(_Filter):
    name = django_filters.CharFilter(label=_("Unit name"), lookup_expr="icontains")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=DispatchingUnit.Level.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DispatchingUnit.Kind.choices)

    class Meta:
        model = DispatchingUnit
        fields: list[str] = []


def _active(**lookups):
    return Exists(Assignment.objects.filter(cadre=OuterRef("pk"), end_date__isnull=True, **lookups))


class CadreFilter(_Filter):
    STATUS_CHOICES = [
        ("active", _("Serving in a village")),
        ("unassigned", _("Not assigned")),
    ]

    name = django_filters.CharFilter(label=_("Full name"), lookup_expr="icontains")
    unit = django_filters.CharFilter(label=_("Dispatching unit"), field_name="unit__name", lookup_expr="icontains")
    unit_id = django_filters.NumberFilter(field_name="unit_id", widget=forms.HiddenInput)
    village = django_filters.CharFilter(label=_("Village"), method="filter_village")
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Assignment.Role.choices, method="filter_role")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=STATUS_CHOICES, method="filter_status")

    class Meta:
        model = Cadre
        fields: list[str] = []

    def filter_village(self, qs, name, value):
        value = value.strip()
        return qs.filter(_active(village__name__icontains=value)) if value else qs

    def filter_role(self, qs, name, value):
        return qs.filter(_active(role=value)) if value else qs

    def filter_status(self, qs, name, value):
        if value == "active":
            return qs.filter(_active())
        if value == "unassigned":
            return qs.filter(~_active())
        return qs
