"""Training by level (分级培训): courses, who attended them, and the requirement as data.

The Sichuan rule ("at least one course organised at county level or above, of at least 3
days, in each tenure") is a `TrainingRequirement` row created by a data migration, not code:
a county or the province can add stricter ones (more courses, hours per calendar year).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assignments.codes import code_labels, unpack_codes
from assignments.models import Cadre, DispatchingUnit, Region


class OrganiserLevel(models.TextChoices):
    # Labels as assignments.models.DispatchingUnit.Level's ("County-level"), not the regions' nouns.
    PROVINCE = "province", _("Province-level")
    CITY = "city", _("City-level")
    COUNTY = "county", _("County-level")
    TOWNSHIP = "township", _("Township-level")
    UNIT = "unit", _("Dispatching unit")


# 学时 are class hours; real training days hold 6 to 10 of them and no day holds more than 24.
# As a bound per day (the course's days for a course, the days attended for a record) it is a
# row invariant the database checks: it refuses typos like 5000 hours for a 3-day course while
# never refusing a real timetable. training.services holds the other, cross-table bounds.
MAX_HOURS_PER_DAY = 24

# "County level or above", the levels the default Sichuan requirement counts.
COUNTY_OR_ABOVE = [OrganiserLevel.PROVINCE, OrganiserLevel.CITY, OrganiserLevel.COUNTY]


class Topic(models.TextChoices):
    """The four duties (same codes as attendance.Duty) and other common course topics."""

    PARTY = "party", _("Strengthen the village Party organisation")
    ECONOMY = "economy", _("Grow the collective economy and incomes")
    GOVERNANCE = "governance", _("Improve village governance")
    SERVICE = "service", _("Serve the villagers")
    POLICY = "policy", _("Policy and theory")
    SKILLS = "skills", _("Practical skills")
    OTHER = "other", _("Other")


class TrainingCourse(models.Model):
    title = models.CharField(_("title"), max_length=120)
    organiser_level = models.CharField(_("organiser level"), max_length=10, choices=OrganiserLevel.choices)
    # The organising region (province, city, county or township); a unit's course names the unit.
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="training_courses",
        verbose_name=_("organising region"),
    )
    unit = models.ForeignKey(
        DispatchingUnit, models.PROTECT, null=True, blank=True, related_name="training_courses",
        verbose_name=_("organising unit"),
    )
    # The region whose staff entered the course and may change it and its records (a county
    # for courses county staff enter, whatever the organiser level; a city or the province for
    # reviewers). Scoping follows it, so a course is one indexed filter away like the roster.
    managed_by = models.ForeignKey(
        Region, models.PROTECT, related_name="+", verbose_name=_("managed by"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    days = models.DecimalField(_("days"), max_digits=4, decimal_places=1)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, default=0)
    location = models.CharField(_("location"), max_length=120, blank=True)
    topics = models.CharField(_("topics"), max_length=120, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["managed_by", "start_date"], name="course_managed_start")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="course_ends_after_start"),
            models.CheckConstraint(condition=Q(days__gt=0), name="course_days_positive"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="course_hours_not_negative"),
            models.CheckConstraint(condition=Q(hours__lte=models.F("days") * MAX_HOURS_PER_DAY),
                                   name="course_hours_at_most_24_a_day"),
            models.CheckConstraint(
                condition=Q(organiser_level="unit", unit__isnull=False, region__isnull=True)
                | (~Q(organiser_level="unit") & Q(region__isnull=False, unit__isnull=True)),
                name="course_organiser_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def organiser(self) -> str:
        return str(self.unit if self.unit_id else self.region)

    @property
    def topic_list(self) -> list[str]:
        return unpack_codes(self.topics)

    @property
    def topic_labels(self) -> list[str]:
        return code_labels(self.topics, Topic.choices)


class TrainingRecord(models.Model):
    class Result(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        PARTIAL = "partial", _("Partly attended")
        ABSENT = "absent", pgettext_lazy("training result", "Absent")

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="training_records", verbose_name=_("cadre"))
    course = models.ForeignKey(TrainingCourse, models.CASCADE, related_name="records", verbose_name=_("course"))
    days_attended = models.DecimalField(_("days attended"), max_digits=4, decimal_places=1)
    hours_attended = models.DecimalField(_("hours attended"), max_digits=5, decimal_places=1, default=0)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.COMPLETED)
    certificate_no = models.CharField(_("certificate number"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["course", "cadre"]
        # "Attended days <= the course's days" crosses two tables, which a CHECK cannot see
        # portably: training.services enforces it (and the course's days cannot drop below
        # its records'). The per-row bounds are checks here.
        constraints = [
            models.UniqueConstraint(fields=["cadre", "course"], name="training_record_once_per_course"),
            models.CheckConstraint(condition=Q(days_attended__gte=0), name="record_days_not_negative"),
            models.CheckConstraint(condition=Q(hours_attended__gte=0), name="record_hours_not_negative"),
            models.CheckConstraint(condition=Q(hours_attended__lte=models.F("days_attended") * MAX_HOURS_PER_DAY),
                                   name="record_hours_at_most_24_a_day"),
            models.CheckConstraint(
                condition=~Q(result="absent") | Q(days_attended=0), name="record_absent_has_no_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} · {self.course}"


class TrainingRequirement(models.Model):
    class Period(models.TextChoices):
        ASSIGNMENT = "assignment", _("Each assignment (tenure)")
        YEAR = "year", _("Each calendar year")

    name = models.CharField(_("name"), max_length=120)
    # Empty: everywhere (the default Sichuan rule, created before any region is loaded);
    # else the province (applies everywhere in it) or one county.
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="training_requirements",
        verbose_name=_("applies in"), limit_choices_to={"level__in": [Region.Level.PROVINCE, Region.Level.COUNTY]},
        help_text=_("Empty: the whole province."),
    )
    levels = models.CharField(
        _("organiser levels that count"), max_length=60,
        help_text=_("Comma-wrapped organiser level codes, e.g. ,province,city,county,"),
    )
    min_days_per_course = models.DecimalField(_("minimum days attended per course"), max_digits=4, decimal_places=1)
    courses_required = models.PositiveSmallIntegerField(_("number of courses"), default=1)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default=Period.ASSIGNMENT)
    min_hours = models.DecimalField(
        _("minimum hours in the period"), max_digits=5, decimal_places=1, null=True, blank=True,
        help_text=_("Optional: hours attended at the counted levels, e.g. per calendar year."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training requirement")
        verbose_name_plural = _("training requirements")
        ordering = ["region__code", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(min_days_per_course__gte=0), name="requirement_days_not_negative"),
            models.CheckConstraint(
                condition=Q(courses_required__gt=0) | Q(min_hours__gt=0), name="requirement_asks_something",
            ),
            # Findings and reports show rules by name: one name per county, and one among the
            # province-wide rules (NULL regions are distinct in a plain unique index).
            models.UniqueConstraint(fields=["region", "name"], name="requirement_name_unique_in_region"),
            models.UniqueConstraint(fields=["name"], condition=Q(region__isnull=True),
                                    name="requirement_name_unique_province_wide"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_list(self) -> list[str]:
        return unpack_codes(self.levels)

    @property
    def level_labels(self) -> list[str]:
        return code_labels(self.levels, OrganiserLevel.choices)

    def period_key(self, year: int) -> str:
        """Finding.period for this requirement: per tenure, or per tenure and year."""
        return f"req{self.id}" if self.period == self.Period.ASSIGNMENT else f"req{self.id}-{year}"
