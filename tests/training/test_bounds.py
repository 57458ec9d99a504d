"""Sane bounds on courses and attendance: every bad number, text or
date is refused with its field (or its Excel row and column), and nothing is saved."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from training import services
from training.models import OrganiserLevel, TrainingCourse, TrainingRecord
from training.services import RecordEntry

from .test_services import xlsx

D = dt.date
TODAY = D(2026, 11, 20)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY




def errors_of(tw, rows, course=None):
    result = services.training_records_import(user=tw.owner, course=course or tw.course, data=xlsx(rows))
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()  # nothing saved
    return [(e.row, e.column, e.message) for e in result.errors]


def course_kwargs(**over):
    kw = dict(title="乡村振兴专题培训", organiser_level=OrganiserLevel.COUNTY, start_date=D(2026, 3, 2),
              end_date=D(2026, 3, 4), days=Decimal(3), hours=Decimal(24))
    kw.update(over)
    return kw


def course_without_hours(tw):
    return TrainingCourse.objects.create(
        title="无学时培训", organiser_level=OrganiserLevel.COUNTY, region=tw.county, managed_by=tw.county,
        start_date=D(2026, 5, 6), end_date=D(2026, 5, 8), days=Decimal(3), hours=0)


# --- hours in the import ------------------------------------------------------------------


def test_import_refuses_hours_above_the_course_hours(tw):
    assert errors_of(tw, [(tw.member.id_number, "李明", 3, 99999, "完成", "")]) == [
        (2, "Hours attended", "Attended hours (99999) cannot exceed the course's 24 hours."),
    ]


def test_import_bounds_hours_by_days_attended_when_the_course_gives_no_hours(tw):
    course = course_without_hours(tw)
    assert errors_of(tw, [(tw.member.id_number, "李明", 2, 49, "部分", "")], course=course) == [
        (2, "Hours attended", "49 hours in 2 days attended is more than 24 hours a day."),
    ]
    ok = services.training_records_import(user=tw.owner, course=course,
                                          data=xlsx([(tw.member.id_number, "李明", 2, 48, "部分", "")]))
    assert (ok.ok, ok.created) == (True, 1)


def test_an_absent_cadre_has_no_hours(tw):
    assert errors_of(tw, [(tw.member.id_number, "李明", 0, 8, "缺席", "")]) == [
        (2, "Hours attended", "8 hours in 0 days attended is more than 24 hours a day."),
    ]


# --- text lengths -------------------------------------------------------------------------


def test_import_checks_the_length_of_every_text_column(tw):
    assert errors_of(tw, [(tw.member.id_number, "李" * 33, 3, 24, "完成", "X" * 300)]) == [
        (2, "Name", "At most 32 characters."),
        (2, "Certificate number", "At most 40 characters."),
    ]


def test_import_refuses_an_unknown_result_whatever_its_length(tw):
    assert errors_of(tw, [(tw.member.id_number, "李明", 3, 24, "好" * 500, "")]) == [
        (2, "Result", "Choose completed, partly attended or absent."),
    ]


def test_the_service_refuses_a_long_certificate_number_too(tw):
    with pytest.raises(ValidationError) as exc:
        services.training_records_create(user=tw.owner, course=tw.course, entries=[
            RecordEntry(cadre=tw.member, days_attended=Decimal(3), certificate_no="X" * 41)])
    assert exc.value.messages == ["李明: At most 40 characters."]


# --- every numeric cell -------------------------------------------------------------------


@pytest.mark.parametrize("days, hours, expected", [
    (-1, 8, [(2, "Days attended", "Enter the days attended (0 or more).")]),
    ("-1", 8, [(2, "Days attended", "Enter the days attended (0 or more).")]),
    (None, 8, [(2, "Days attended", "Enter the days attended (0 or more).")]),
    ("三天", 8, [(2, "Days attended", "Enter a number.")]),
    ("nan", 8, [(2, "Days attended", "Enter a number.")]),
    ("Infinity", 8, [(2, "Days attended", "Enter a number.")]),
    (True, 8, [(2, "Days attended", "Enter a number.")]),
    (dt.datetime(2026, 3, 2), 8, [(2, "Days attended", "Enter a number.")]),
    (2.55, 8, [(2, "Days attended", "Use at most one decimal place (e.g. 2.5).")]),
    ("1e30", 8, [(2, "Days attended", "Attended days (1E+30) cannot exceed the course's 3 days.")]),
    (3, -2, [(2, "Hours attended", "Hours cannot be negative.")]),
    (3, "八", [(2, "Hours attended", "Enter a number.")]),
    (3, 7.25, [(2, "Hours attended", "Use at most one decimal place (e.g. 2.5).")]),
    ("-1", "x", [(2, "Days attended", "Enter the days attended (0 or more)."),
                 (2, "Hours attended", "Enter a number.")]),
])
def test_import_reports_every_bad_number_with_its_row_and_column(tw, days, hours, expected):
    assert errors_of(tw, [(tw.member.id_number, "李明", days, hours, "完成", "")]) == expected


def test_import_reads_numbers_typed_as_text_and_half_days(tw):
    result = services.training_records_import(user=tw.owner, course=tw.course, data=xlsx([
        (tw.member.id_number, "李明", " 2.5 ", "20", "部分", ""),
    ]))
    assert (result.ok, result.created) == (True, 1)
    record = TrainingRecord.objects.get(cadre=tw.member, course=tw.course)
    assert (record.days_attended, record.hours_attended) == (Decimal("2.5"), Decimal(20))


def test_a_bad_row_does_not_hide_the_errors_of_the_others(tw):
    assert errors_of(tw, [
        (tw.member.id_number, "李明", -1, 8, "完成", ""),
        (tw.neighbour_cadre.id_number, "王强", 3, 99999, "完成", ""),
    ]) == [
        (2, "Days attended", "Enter the days attended (0 or more)."),
        (3, "ID number", "No cadre of your county has this ID number."),
        (3, "Hours attended", "Attended hours (99999) cannot exceed the course's 24 hours."),
    ]


# --- the roster's ID number check ----------------------------------------------------------


def test_a_typo_in_the_id_check_character_says_so(tw):
    number = tw.member.id_number
    typo = number[:17] + ("0" if number[17] != "0" else "1")
    assert errors_of(tw, [(typo, "李明", 3, 24, "完成", "")]) == [
        (2, "ID number", f"The check character is wrong: with these first 17 digits it must be {number[17]}."),
    ]


@pytest.mark.parametrize("value, message", [
    ("51082419850312", "An ID number has 18 characters; this one has 14."),
    ("51082419851332001X", "The birth date in this ID number (characters 7–14) is not a real date."),
    (510824198503120010.0, "Excel stored this ID number as a number and lost its last digits. Format the column "
                           "as text and type the ID number again."),
])
def test_import_checks_id_numbers_as_the_roster_does(tw, value, message):
    assert errors_of(tw, [(value, "", 3, 24, "完成", "")]) == [(2, "ID number", message)]


# --- hours elsewhere, and the database checks ------------------------------------------------


def test_a_course_has_at_most_24_hours_a_day(world):
    with pytest.raises(ValidationError) as exc:
        services.course_create(user=world.owner, **course_kwargs(hours=Decimal(5000)))
    assert exc.value.message_dict["hours"] == ["A course of 3 days has at most 72 hours (24 a day)."]
    assert not TrainingCourse.objects.exists()
    assert services.course_create(user=world.owner, **course_kwargs(hours=Decimal(72))).hours == 72


def test_picked_attendance_cannot_have_more_hours_than_the_course(tw):
    with pytest.raises(ValidationError) as exc:
        services.training_records_create(user=tw.owner, course=tw.course, entries=[
            RecordEntry(cadre=tw.member, days_attended=Decimal(3), hours_attended=Decimal(9999))])
    assert exc.value.messages == ["李明: Attended hours (9999) cannot exceed the course's 24 hours."]
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()


def test_a_course_cannot_drop_below_the_hours_a_cadre_attended(tw):
    with pytest.raises(ValidationError) as exc:
        services.course_update(user=tw.owner, course=tw.course, **course_kwargs(
            start_date=D(2025, 9, 1), end_date=D(2025, 9, 3), hours=Decimal(20)))
    assert exc.value.message_dict["hours"] == ["A cadre attended 24 hours of this course; it cannot have fewer."]
    # 0 is "hours not given", which bounds nothing.
    services.course_update(user=tw.owner, course=tw.course, **course_kwargs(
        start_date=D(2025, 9, 1), end_date=D(2025, 9, 3), hours=Decimal(0)))


def test_the_database_refuses_more_than_24_hours_a_day(tw):
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingCourse.objects.filter(pk=tw.course.pk).update(hours=Decimal(73))
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRecord.objects.create(cadre=tw.member, course=tw.course, days_attended=1, hours_attended=25)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRecord.objects.create(cadre=tw.member, course=tw.course, days_attended=0, hours_attended=1,
                                      result="absent")


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("start, end, field, message", [
    (D(1900, 3, 2), D(1900, 3, 4), "start_date",
     "Courses before 2015-01-01 predate the stationed-cadre programme; check the year."),
    (D(2030, 3, 2), D(2030, 3, 4), "start_date",
     "A course can be entered at most a year ahead, starting by 2027-11-20; check the year."),
    (D(2026, 3, 2), D(2027, 3, 4), "end_date", "A course lasts at most 366 days; check the end date."),
])
def test_implausible_course_dates_are_refused(world, start, end, field, message):
    with pytest.raises(ValidationError) as exc:
        services.course_create(user=world.owner, **course_kwargs(start_date=start, end_date=end))
    assert exc.value.message_dict[field] == [message]
    assert not TrainingCourse.objects.exists()


def test_a_course_up_to_a_year_ahead_can_be_entered(world):
    course = services.course_create(user=world.owner, **course_kwargs(start_date=D(2027, 11, 20),
                                                                       end_date=D(2027, 11, 22)))
    assert course.start_date == D(2027, 11, 20)


def test_no_attendance_for_a_course_that_has_not_started(tw):
    course = services.course_create(user=tw.owner, **course_kwargs(start_date=D(2026, 11, 23),
                                                                    end_date=D(2026, 11, 25)))
    message = "This course starts on 2026-11-23; record attendance once it has started."
    with pytest.raises(ValidationError) as exc:
        services.training_records_create(user=tw.owner, course=course, entries=[
            RecordEntry(cadre=tw.member, days_attended=Decimal(3))])
    assert exc.value.messages == [message]
    assert errors_of(tw, [(tw.member.id_number, "李明", 3, 24, "完成", "")], course=course) == [(0, "", message)]
    assert not course.records.exists()


def test_a_course_with_records_cannot_move_after_today(tw):
    with pytest.raises(ValidationError) as exc:
        services.course_update(user=tw.owner, course=tw.course, **course_kwargs(
            start_date=D(2026, 12, 1), end_date=D(2026, 12, 3)))
    assert exc.value.message_dict["start_date"] == [
        "Attendance is already recorded for this course, so it cannot start after today."]
