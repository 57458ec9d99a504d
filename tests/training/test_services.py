"""Courses and attendance records: every rule, with bad input refused and nothing saved."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from training import services
from training.models import OrganiserLevel, TrainingCourse, TrainingRecord
from training.services import RecordEntry

D = dt.date
TODAY = D(2026, 11, 20)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The services' "today" (course date bounds, courses not started yet) is pinned."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def course_kwargs(**over):
    kw = dict(title="乡村振兴专题培训", organiser_level=OrganiserLevel.COUNTY, start_date=D(2026, 3, 2),
              end_date=D(2026, 3, 4), days=Decimal(3), hours=Decimal(24), location="苍溪县委党校",
              topics=["party", "economy", "nonsense"])
    kw.update(over)
    return kw


def test_county_staff_create_a_county_course_managed_by_their_county(world):
    course = services.course_create(user=world.owner, **course_kwargs())
    assert (course.region, course.managed_by, course.topics) == (world.county, world.county, ",party,economy,")


def test_a_course_cannot_end_before_it_starts(world):
    with pytest.raises(ValidationError) as exc:
        services.course_create(user=world.owner, **course_kwargs(end_date=D(2026, 3, 1)))
    assert exc.value.message_dict["end_date"] == ["The course cannot end before it starts."]
    assert not TrainingCourse.objects.exists()


def test_a_course_cannot_have_more_days_than_its_dates_span(world):
    with pytest.raises(ValidationError) as exc:
        services.course_create(user=world.owner, **course_kwargs(days=Decimal(5)))
    assert exc.value.message_dict["days"] == ["A course from 2026-03-02 to 2026-03-04 lasts at most 3 days."]
    assert not TrainingCourse.objects.exists()


def test_township_course_must_be_in_the_staff_county(world):
    with pytest.raises(ValidationError) as exc:
        services.course_create(user=world.owner, **course_kwargs(organiser_level="township",
                                                                 township=world.neighbour_township))
    assert exc.value.message_dict["township"] == ["Choose the organising township in your county."]
    course = services.course_create(user=world.owner, **course_kwargs(organiser_level="township",
                                                                       township=world.township))
    assert course.region == world.township


def test_county_staff_may_enter_a_provincial_course_their_cadres_attended(world):
    course = services.course_create(user=world.owner, **course_kwargs(organiser_level="province"))
    assert (course.region, course.managed_by) == (world.province, world.county)


def test_reviewers_enter_courses_at_their_own_level_only(world):
    with pytest.raises(ValidationError) as exc:
        services.course_create(user=world.city_reviewer, **course_kwargs(organiser_level="county"))
    assert exc.value.message_dict["organiser_level"] == ["Reviewers enter courses organised at their own level only."]
    course = services.course_create(user=world.city_reviewer, **course_kwargs(organiser_level="city"))
    assert (course.region, course.managed_by) == (world.city, world.city)


@pytest.mark.parametrize("role", ["township_staff", "liaison", "cadre_user"])
def test_other_roles_cannot_enter_courses(world, role):
    with pytest.raises(PermissionDenied):
        services.course_create(user=getattr(world, role), **course_kwargs())


def test_record_attendance_in_bulk(tw):
    records = services.training_records_create(user=tw.owner, course=tw.course, entries=[
        RecordEntry(cadre=tw.member, days_attended=Decimal(2), hours_attended=Decimal(16),
                    result=TrainingRecord.Result.PARTIAL, certificate_no="CX-2"),
    ])
    assert [(r.cadre, r.days_attended, r.recorded_by) for r in records] == [(tw.member, 2, tw.owner)]


def test_attended_days_cannot_exceed_the_course_days_and_nothing_is_saved(tw):
    with pytest.raises(ValidationError) as exc:
        services.training_records_create(user=tw.owner, course=tw.course, entries=[
            RecordEntry(cadre=tw.member, days_attended=Decimal(4)),
        ])
    assert exc.value.messages == ["李明: Attended days (4) cannot exceed the course's 3 days."]
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()


def test_a_duplicate_record_is_refused(tw):
    with pytest.raises(ValidationError) as exc:
        services.training_records_create(user=tw.owner, course=tw.course, entries=[
            RecordEntry(cadre=tw.member, days_attended=Decimal(3)),
            RecordEntry(cadre=tw.cadre, days_attended=Decimal(3)),
        ])
    assert exc.value.messages == ["袁杰 already has a record for this course."]
    assert TrainingRecord.objects.filter(course=tw.course).count() == 1  # the member was not saved either


def test_a_record_for_a_cadre_out_of_scope_is_refused(tw):
    with pytest.raises(ValidationError) as exc:
        services.training_records_create(user=tw.owner, course=tw.course, entries=[
            RecordEntry(cadre=tw.neighbour_cadre, days_attended=Decimal(3)),
        ])
    assert exc.value.messages == ["王强 is not in your jurisdiction."]
    assert not TrainingRecord.objects.filter(cadre=tw.neighbour_cadre).exists()


def test_absent_means_zero_days(tw):
    with pytest.raises(ValidationError) as exc:
        services.training_records_create(user=tw.owner, course=tw.course, entries=[
            RecordEntry(cadre=tw.member, days_attended=Decimal(1), result="absent"),
        ])
    assert exc.value.messages == ["李明: An absent cadre attended 0 days."]


def test_county_staff_cannot_record_at_another_county_course(tw):
    with pytest.raises(PermissionDenied):
        services.training_records_create(user=tw.stranger, course=tw.course, entries=[
            RecordEntry(cadre=tw.neighbour_cadre, days_attended=Decimal(3)),
        ])


def test_city_reviewer_records_their_city_course_for_cadres_in_their_city(tw):
    course = services.course_create(user=tw.city_reviewer, **course_kwargs(organiser_level="city"))
    services.training_records_create(user=tw.city_reviewer, course=course, entries=[
        RecordEntry(cadre=tw.member, days_attended=Decimal(3)),
        RecordEntry(cadre=tw.neighbour_cadre, days_attended=Decimal(3)),
    ])
    with pytest.raises(PermissionDenied):  # a county course is not theirs to record
        services.training_records_create(user=tw.city_reviewer, course=tw.course, entries=[
            RecordEntry(cadre=tw.member, days_attended=Decimal(3)),
        ])
    with pytest.raises(ValidationError):  # 金堂县 is in another city
        services.training_records_create(user=tw.city_reviewer, course=course, entries=[
            RecordEntry(cadre=tw.far_cadre, days_attended=Decimal(3)),
        ])


def test_a_course_cannot_be_shortened_below_a_record(tw):
    with pytest.raises(ValidationError) as exc:
        services.course_update(user=tw.owner, course=tw.course, **course_kwargs(
            start_date=D(2025, 9, 1), end_date=D(2025, 9, 2), days=Decimal(2)))
    assert exc.value.message_dict["days"] == ["A cadre attended 3 days of this course; it cannot last fewer."]
    tw.course.refresh_from_db()
    assert tw.course.days == 3


def xlsx(rows, header=("身份证号", "姓名", "参训天数", "学时", "结果", "证书编号")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_an_attendance_list(tw):
    data = xlsx([(tw.member.id_number, "李明", 3, 24, "完成", "CX-001")])
    result = services.training_records_import(user=tw.owner, course=tw.course, data=data)
    assert (result.ok, result.created) == (True, 1)
    assert TrainingRecord.objects.get(cadre=tw.member, course=tw.course).certificate_no == "CX-001"


def test_import_with_a_bad_row_saves_nothing_and_says_where(tw):
    data = xlsx([
        (tw.member.id_number, "李明", 3, 24, "完成", ""),
        (tw.neighbour_cadre.id_number, "王强", 3, 24, "完成", ""),
        ("510824198001019999", "某人", 5, 24, "完成", ""),
        (tw.cadre.id_number, "袁杰", "三", 24, "完成", ""),
    ])
    result = services.training_records_import(user=tw.owner, course=tw.course, data=data)
    # Row 4: a mistyped check character says so (as the roster import does), and its other
    # cells are checked too, although no cadre was found.
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "ID number", "No cadre of your county has this ID number."),
        (4, "ID number", "The check character is wrong: with these first 17 digits it must be 5."),
        (4, "Days attended", "Attended days (5) cannot exceed the course's 3 days."),
        (5, "ID number", "袁杰 already has a record for this course."),
        (5, "Days attended", "Enter a number."),
    ]
    assert not TrainingRecord.objects.filter(cadre=tw.member).exists()


def test_an_import_matches_only_numbers_the_importer_may_see_whole(tw):
    # The city reviewer sees masked numbers only: a real number with a wrong name must read
    # exactly like a made-up one (no "the roster says 李明"), or a file of candidates would
    # give the masked numbers back.
    course = services.course_create(user=tw.city_reviewer, **course_kwargs(organiser_level="city"))
    data = xlsx([(tw.member.id_number, "某人", 3, 24, "完成", ""), ("510824198001019995", "某人", 3, 24, "完成", "")])
    result = services.training_records_import(user=tw.city_reviewer, course=course, data=data)
    assert [(e.row, e.message) for e in result.errors] == [
        (2, "No cadre of your county has this ID number."), (3, "No cadre of your county has this ID number.")]
    # County staff match their own county's cadres (the name check then may name the roster's).
    result = services.training_records_import(user=tw.owner, course=course, data=data)
    assert (result.errors[0].row, result.errors[0].message) == (
        2, "The name does not match the ID number (the roster says 李明).")


def test_import_reports_days_above_the_course(tw):
    result = services.training_records_import(user=tw.owner, course=tw.course,
                                              data=xlsx([(tw.member.id_number, "李明", 4, 24, "完成", "")]))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "Days attended", "Attended days (4) cannot exceed the course's 3 days."),
    ]


def test_import_of_a_non_xlsx_file(tw):
    result = services.training_records_import(user=tw.owner, course=tw.course, data=b"not a workbook")
    assert [e.message for e in result.errors] == ["The file is not an .xlsx workbook."]
