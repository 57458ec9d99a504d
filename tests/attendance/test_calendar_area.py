"""A cadre who moved between townships: the calendar, the cadre page's attendance section and the
monthly report each show a viewer only the postings in the viewer's area, and agree on the
month's figures."""
import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assignments.models import Assignment
from attendance import selectors, services
from attendance.models import PresenceRecord, WorkingDay
from tests.factories import AssignmentFactory, CadreFactory

pytestmark = pytest.mark.urls("tests.attendance.urls")

TODAY = dt.date(2026, 11, 18)
OCTOBER = dt.date(2026, 10, 1)
MOVED_ON = dt.date(2026, 10, 14)  # served in 云峰镇 until this day, in 陵江镇 from it


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


@pytest.fixture
def moved(world, today):
    """史建国 served in 红星村 (云峰镇) and moved to 山水村 (陵江镇, world.township) on 14 October
    2026, the change date being the last day of one posting and the first of the other, as
    assignment_change writes it. Both postings have check-ins in October."""
    services.working_days_ensure(start=OCTOBER, end=dt.date(2026, 11, 30))
    cadre = CadreFactory(name="史建国", unit=world.unit, county=world.county)
    before = AssignmentFactory(cadre=cadre, village=world.village3, start_date=dt.date(2025, 11, 10),
                               end_date=MOVED_ON, end_reason=Assignment.EndReason.ADJUSTMENT)
    after = AssignmentFactory(cadre=cadre, village=world.village, start_date=MOVED_ON)
    working = list(WorkingDay.objects.filter(date__range=(OCTOBER, dt.date(2026, 10, 31)), is_working_day=True)
                   .order_by("date").values_list("date", flat=True))
    # Every working day before the move in the old village (the change day included), and three
    # working days after it in the new one: the rest of October after the move is missing.
    old_days = [d for d in working if d <= MOVED_ON]
    new_days = [d for d in working if d > MOVED_ON][:3]
    for day, assignment in [(d, before) for d in old_days] + [(d, after) for d in new_days]:
        PresenceRecord.objects.create(cadre=cadre, assignment=assignment, date=day, kind="in_village",
                                      source="keeper", recorded_at=timezone.now())
    return type("Moved", (), {"cadre": cadre, "before": before, "after": after, "working": working,
                              "old_days": old_days, "new_days": new_days})()


def _by_day(cal):
    return {d["date"]: d["status"] for d in cal["days"]}


def test_township_staff_see_the_days_before_the_move_as_outside_their_area_not_as_missing(world, moved):
    cal = selectors.month_calendar(user=world.township_staff, cadre=moved.cadre, month=OCTOBER, today=TODAY)
    days = _by_day(cal)
    # Before the move: the other township's attendance is neither shown nor missing.
    for day in moved.old_days:
        assert days[day] == selectors.OUTSIDE
    assert days[dt.date(2026, 10, 4)] == selectors.OUTSIDE  # a Sunday in the old posting: outside too
    assert not any(d["record"] for d in cal["days"] if d["date"] <= MOVED_ON)
    # After the move: their own township's days, kept and missing.
    for day in moved.new_days:
        assert days[day] == "in_village"
    missing = [d for d in moved.working if d > MOVED_ON and d not in moved.new_days]
    assert missing and all(days[d] == "missing" for d in missing)
    assert [d for d, s in days.items() if s == "missing"] == missing
    # The month's figures are the new posting's alone.
    assert cal["in_village_days"] == len(moved.new_days)
    assert cal["owed"] == selectors.presence_required_days(
        first=OCTOBER, last=dt.date(2026, 10, 31), start=MOVED_ON, end=None, leave=0, leave_working=0,
        working=moved.working, minimum=selectors.rule("MIN_DAYS_IN_VILLAGE_PER_MONTH"))
    assert cal["met"] is False and cal["outside"] is True


def test_county_staff_and_the_units_liaison_see_both_postings(world, moved):
    for user in (world.owner, world.liaison):
        cal = selectors.month_calendar(user=user, cadre=moved.cadre, month=OCTOBER, today=TODAY)
        days = _by_day(cal)
        assert selectors.OUTSIDE not in days.values() and cal["outside"] is False
        assert cal["in_village_days"] == len(moved.old_days) + len(moved.new_days)
        assert all(days[d] == "in_village" for d in moved.old_days + moved.new_days)


def test_on_the_day_of_the_move_a_record_kept_for_the_other_posting_is_not_missing_here(world, moved):
    # The change day belongs to both postings; its check-in went to the old one.
    assert MOVED_ON in moved.old_days
    days = _by_day(selectors.month_calendar(user=world.township_staff, cadre=moved.cadre, month=OCTOBER,
                                            today=TODAY))
    assert days[MOVED_ON] == selectors.OUTSIDE
    # The monthly report's row for the new posting agrees: blank, not M.
    _days, rows = selectors.monthly_report_rows(assignments=selectors.assignments_for_user(world.township_staff),
                                                month=OCTOBER, today=TODAY)
    row = next(r for r in rows if r["assignment"] == moved.after)
    assert MOVED_ON not in row["cells"]


def test_the_calendar_page_marks_outside_days_and_explains_them_in_a_legend(client, world, moved):
    client.force_login(world.township_staff)
    html = client.get(reverse("attendance:calendar", args=[moved.cadre.pk]), {"month": "2026-10"}).content.decode()
    assert f'data-date="{moved.old_days[0]:%Y-%m-%d}" data-status="outside"' in html
    assert 'data-status="missing"' in html
    assert 'id="calendar-legend"' in html and "Serving outside your area that day" in html
    assert f"Days counted (in the village and trips): <strong>{len(moved.new_days)}</strong>" in html
    # The cadre's own calendar has no outside days, and so no legend for them.
    client.force_login(world.owner)
    html = client.get(reverse("attendance:calendar", args=[moved.cadre.pk]), {"month": "2026-10"}).content.decode()
    assert 'data-status="outside"' not in html and 'id="calendar-legend"' not in html


def test_the_calendar_the_cadre_page_and_the_monthly_report_agree_for_township_staff(client, world, moved):
    cal = selectors.month_calendar(user=world.township_staff, cadre=moved.cadre, month=OCTOBER, today=TODAY)
    client.force_login(world.township_staff)
    ws = load_workbook(BytesIO(client.get(reverse("attendance:monthly_report"), {"month": "2026-10"}).content)).active
    header = next(ws.iter_rows(min_row=3, max_row=3, values_only=True))
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[2] == "史建国"]
    assert len(rows) == 1  # only the posting in their township
    row = rows[0]
    assert row[header.index("Days counted (in the village and trips)")] == cal["in_village_days"]
    assert row[header.index("Days required (pro-rated for days in post and leave)")] == cal["owed"]
    missing = sum(1 for d in cal["days"] if d["status"] in ("missing", "rejected"))
    assert row[header.index("Working days without a valid record (M and R)")] == missing


def test_the_cadre_pages_attendance_section_counts_this_month_in_the_viewers_area(client, world, today):
    """This month (November): the cadre moved on the 10th; township staff see the days from then."""
    services.working_days_ensure(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    cadre = CadreFactory(name="史建国", unit=world.unit, county=world.county)
    before = AssignmentFactory(cadre=cadre, village=world.village3, start_date=dt.date(2025, 11, 10),
                               end_date=dt.date(2026, 11, 9), end_reason=Assignment.EndReason.ADJUSTMENT)
    AssignmentFactory(cadre=cadre, village=world.village, start_date=dt.date(2026, 11, 10))
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 3)):
        PresenceRecord.objects.create(cadre=cadre, assignment=before, date=day, kind="in_village", source="keeper",
                                      recorded_at=timezone.now())
    working_since_move = WorkingDay.objects.filter(date__range=(dt.date(2026, 11, 10), TODAY - dt.timedelta(days=1)),
                                                   is_working_day=True).count()
    summary = selectors.cadre_attendance_summary(user=world.township_staff, cadre=cadre, today=TODAY)
    assert (summary["in_village"], summary["missing"], summary["outside"]) == (0, working_since_move, True)
    county = selectors.cadre_attendance_summary(user=world.owner, cadre=cadre, today=TODAY)
    assert county["in_village"] == 2 and county["outside"] is False
    assert county["missing"] > summary["missing"]  # the old posting's unrecorded days count there
    client.force_login(world.township_staff)
    html = client.get(reverse("cadre_detail", args=[cadre.pk])).content.decode()
    assert 'id="cadre-month-outside"' in html
