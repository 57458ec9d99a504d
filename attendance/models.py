"""Attendance: daily presence, leave (请假 / 销假), work logs and the working-day calendar.

Scale: Sichuan has ~34,000 cadres, so a year of presence is ~10 million rows. The scans read
PresenceRecord by (date) and (cadre, date); both are indexed (the unique constraint gives the
second). Every row carries its assignment so a month's count is one GROUP BY per assignment.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assignments.codes import code_labels, pack_codes, unpack_codes
from assignments.models import Assignment, Cadre, Region


class Duty(models.TextChoices):
    """The four duties of a stationed cadre (四项职责)."""

    PARTY = "party", _("Strengthen the village Party organisation")
    ECONOMY = "economy", _("Grow the collective economy and incomes")
    GOVERNANCE = "governance", _("Improve village governance")
    SERVICE = "service", _("Serve the villagers")


class WorkingDay(models.Model):
    """One calendar day and whether a check-in is expected on it.

    Filled from the `chinesecalendar` package for the years it knows (weekends, public holidays
    and adjusted working days 调休); other years fall back to Monday–Friday. The province
    corrects a day on the working-days page (services.working_day_set): source becomes manual,
    with who, when and why, and a refill keeps it.
    """

    class Source(models.TextChoices):
        OFFICIAL = "official", _("Official calendar")
        WEEKDAY = "weekday", _("Monday to Friday (no official data for this year)")
        MANUAL = "manual", _("Edited by hand")

    date = models.DateField(_("date"), primary_key=True)
    is_working_day = models.BooleanField(_("working day"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # Who changed the day by hand, when and why (empty for days filled from the calendar).
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("edited by"),
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    edit_reason = models.CharField(_("reason for the edit"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("working day")
        verbose_name_plural = _("working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'✓' if self.is_working_day else '—'}"


class CountyAttendanceSetting(models.Model):
    """Per-county switches. Location check-in is off unless the county turns it on: a national
    rule forbids compulsory location tracking in government apps."""

    county = models.OneToOneField(
        Region, models.CASCADE, related_name="attendance_setting", verbose_name=_("county"),
        limit_choices_to={"level": Region.Level.COUNTY},
    )
    location_checkin_enabled = models.BooleanField(_("location check-in enabled"), default=False)
    # Who turned location check-in on or off, when and on what basis: a county must be able to
    # show why its cadres' positions were collected.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("county attendance setting")
        verbose_name_plural = _("county attendance settings")

    def __str__(self) -> str:
        return str(self.county)


class LeaveRequest(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal leave")
        SICK = "sick", _("Sick leave")
        ANNUAL = "annual", _("Annual leave")
        FAMILY = "family", _("Marriage or bereavement leave")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned (reported back)")
        CANCELLED = "cancelled", _("Cancelled")

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="leave_requests", verbose_name=_("cadre"))
    assignment = models.ForeignKey(
        Assignment, models.CASCADE, related_name="leave_requests", verbose_name=_("assignment"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    start = models.DateField(_("first day of leave"))
    end = models.DateField(_("last day of leave"))
    # Calendar days, start and end included; decides who approves.
    days = models.PositiveSmallIntegerField(_("days"), editable=False)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    # 销假: the first day back at post. Leave then covers start .. actual_return_date - 1.
    actual_return_date = models.DateField(_("actual return date"), null=True, blank=True)
    returned_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering = ["-start", "-id"]
        indexes = [models.Index(fields=["status", "end"], name="leave_status_end")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="leave_end_not_before_start"),
            models.CheckConstraint(
                condition=Q(actual_return_date__isnull=True) | Q(actual_return_date__gte=models.F("start")),
                name="leave_return_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.start}–{self.end} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.days = (self.end - self.start).days + 1
        super().save(*args, **kwargs)

    @property
    def effective_end(self) -> dt.date:
        """Last day actually on leave: the planned end, or the day before the reported return."""
        if self.actual_return_date is not None:
            return self.actual_return_date - dt.timedelta(days=1)
        return self.end


class PresenceRecord(models.Model):
    class Kind(models.TextChoices):
        IN_VILLAGE = "in_village", _("In the village")
        LEAVE = "leave", _("On approved leave")
        # Meetings, training or project work ordered by the work: counts as days in the village.
        TRIP = "trip", _("Official trip")
        ABSENT = "absent", _("Absent")

    class Source(models.TextChoices):
        SELF = "self", _("Self check-in")
        KEEPER = "keeper", _("Recorded by the township")
        LEAVE = "leave", _("From approved leave")

    class Review(models.TextChoices):
        OK = "ok", _("OK")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        ACCEPTED = "accepted", _("Accepted after review")
        REJECTED = "rejected", _("Rejected after review")

    # Kinds that count as days in the village for the monthly requirement.
    COUNTED_KINDS = (Kind.IN_VILLAGE, Kind.TRIP)

    # Indexes are kept to what queries use, because every check-in writes each of them (and
    # the history row its own): cadre and assignment are the leading columns of the unique
    # (cadre, date) constraint and of (assignment, date); leave and reviewed_by are mostly empty,
    # so their indexes are partial (see Meta).
    cadre = models.ForeignKey(
        Cadre, models.CASCADE, related_name="presence_records", verbose_name=_("cadre"), db_index=False,
    )
    assignment = models.ForeignKey(
        Assignment, models.CASCADE, related_name="presence_records", verbose_name=_("assignment"), db_index=False,
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=6, choices=Source.choices)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    leave = models.ForeignKey(
        LeaveRequest, models.SET_NULL, null=True, blank=True, related_name="presence_records",
        verbose_name=_("leave request"), db_index=False,
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    review_status = models.CharField(
        _("review status"), max_length=12, choices=Review.choices, default=Review.OK,
    )
    # Why a check-in needs review (set by the server), then the reviewer's reason.
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("reviewed by"), db_index=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    correction_reason = models.TextField(_("correction reason"), blank=True)
    # The messages behind the notes the system writes ({"review": parts, "correction": parts},
    # parts as in Finding.detail_args: [[msgid, values], …]): the notes are stored in the site
    # language, and shown in the reader's from these. A note typed by a person has none.
    note_args = models.JSONField(_("note messages"), null=True, blank=True, editable=False)
    # History is read by record (id) and date; the copies of the foreign keys need no index.
    history = HistoricalRecords(no_db_index=["cadre", "assignment", "leave", "recorded_by", "reviewed_by"])

    class Meta:
        verbose_name = _("presence record")
        verbose_name_plural = _("presence records")
        ordering = ["-date", "id"]
        indexes = [
            # Covers the daily scan's "who has a record on day D": an index-only lookup.
            models.Index(fields=["date", "cadre", "review_status"], name="presence_day_cadre"),
            models.Index(fields=["assignment", "date"], name="presence_assignment_date"),
            models.Index(fields=["leave"], name="presence_leave", condition=Q(leave__isnull=False)),
            models.Index(fields=["reviewed_by"], name="presence_reviewed_by", condition=Q(reviewed_by__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "date"], name="presence_one_per_cadre_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.date} {self.get_kind_display()}"

    @property
    def review_note_text(self) -> str:
        """The review note in the reader's language where the system wrote it (why a check-in
        needs review, an inspection's rejection), followed by anything a reviewer typed."""
        return _localized(self.review_note, (self.note_args or {}).get("review"))

    @property
    def correction_reason_text(self) -> str:
        return _localized(self.correction_reason, (self.note_args or {}).get("correction"))


def presence_note(parts: list[tuple[str, dict]]) -> tuple[str, list]:
    """A system-written note from (msgid, values) parts, sentences run together as the language
    does: the text in the site language (stored in the record) and the parts (note_args). Mark
    each msgid with gettext_noop where it is written, so makemessages finds it."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _render_note(parts)
    return text, [[msgid, values] for msgid, values in parts]


def _render_note(parts) -> str:
    from assignments.text import sentences_join

    return sentences_join(gettext(msgid) % values for msgid, values in parts)


def _localized(stored: str, parts) -> str:
    """`stored` begins with the site-language text of `parts` (what presence_note stored), maybe
    followed by a person's words: the first part in the active language, the rest as typed. A
    stored text that no longer begins with it (the catalogue changed) is shown as stored."""
    if not parts:
        return stored
    try:
        with translation.override(settings.LANGUAGE_CODE):
            written = _render_note(parts)
        if not stored.startswith(written):
            return stored
        return _render_note(parts) + stored[len(written):]
    except (KeyError, TypeError, ValueError):  # a message's placeholders changed since
        return stored


class WorkLog(models.Model):
    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="work_logs", verbose_name=_("cadre"))
    assignment = models.ForeignKey(Assignment, models.CASCADE, related_name="work_logs", verbose_name=_("assignment"))
    date = models.DateField(_("date"))
    content = models.TextField(_("content"))
    # Comma-wrapped duty codes (",party,service,"), like Village.categories.
    duties = models.CharField(_("duties"), max_length=60)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["assignment", "date"], name="worklog_assignment_date")]

    def __str__(self) -> str:
        return f"{self.cadre} {self.date}"

    @property
    def duty_list(self) -> list[str]:
        return unpack_codes(self.duties)

    @property
    def duty_labels(self) -> list[str]:
        return code_labels(self.duties, Duty.choices)

    @staticmethod
    def pack_duties(codes) -> str:
        return pack_codes(codes, Duty.values)


class DailyPresenceSummary(models.Model):
    """One township's presence on one day, for the dashboards.

    The 30-day presence rate of a province straight from PresenceRecord reads ~1 million rows
    (about half a second on PostgreSQL); summed from this table it reads a few thousand. The
    nightly scan rebuilds the last ZHUCUN["SUMMARY_REFRESH_DAYS"] days up to yesterday
    (attendance.summaries.presence_summaries_refresh), so corrections of earlier days show the
    next morning, and `manage.py refresh_summaries --days N` rebuilds any range. County and city are stored
    copies of the township's parents so a dashboard groups by them without joins.

    Counts are over assignments in post on the day; on a day off `expected` is 0 and the
    counts of records are kept for information. `missing` = expected minus cadres with any
    record (a rejected check-in counts as missing).
    """

    day = models.DateField(_("day"))
    township = models.ForeignKey(
        Region, models.CASCADE, related_name="+", verbose_name=_("township"),
        limit_choices_to={"level": Region.Level.TOWNSHIP},
    )
    county = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("county"))
    city = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("city"))
    working_day = models.BooleanField(_("working day"), default=True)
    expected = models.PositiveIntegerField(_("cadres expected"), default=0)
    in_village = models.PositiveIntegerField(_("in the village"), default=0)
    trip = models.PositiveIntegerField(_("official trip"), default=0)
    leave = models.PositiveIntegerField(_("on leave"), default=0)
    absent = models.PositiveIntegerField(_("absent"), default=0)
    missing = models.PositiveIntegerField(_("missing"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("daily presence summary")
        verbose_name_plural = _("daily presence summaries")
        ordering = ["-day", "township_id"]
        indexes = [
            models.Index(fields=["day", "city"], name="presence_summary_day_city"),
            models.Index(fields=["day", "county"], name="presence_summary_day_county"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["day", "township"], name="presence_summary_one_per_township_day"),
        ]

    def __str__(self) -> str:
        return f"{self.township_id} {self.day} {self.in_village + self.trip}/{self.expected}"
