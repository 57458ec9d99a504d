"""Attendance pages: who may open what (404 out of scope, 403 not allowed) and that they work."""
import datetime as dt
from io import BytesIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from assignments.models import Finding
from attendance import services
from attendance.models import CountyAttendanceSetting, LeaveRequest, PresenceRecord, WorkLog

pytestmark = pytest.mark.urls("tests.attendance.urls")

TODAY = dt.date(2026, 11, 18)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def _as(client, user):
    client.force_login(user)
    return client


def _leave(world, start=TODAY, end=TODAY + dt.timedelta(days=1)):
    return services.leave_request_create(user=world.cadre_user, kind="personal", start=start, end=end, reason="看病")


def test_anonymous_users_are_sent_to_login(client, world):
    response = client.get(reverse("attendance:checkin"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_cadre_checks_in_with_one_tap_and_a_second_tap_adds_nothing(client, world, today):
    c = _as(client, world.cadre_user)
    page = c.get(reverse("attendance:checkin"))
    assert 'id="checkin-button"' in page.content.decode() and "geolocation" not in page.content.decode()
    c.post(reverse("attendance:checkin"))
    response = c.post(reverse("attendance:checkin"), follow=True)
    assert PresenceRecord.objects.filter(cadre=world.cadre, date=TODAY).count() == 1
    assert "already checked in" in response.content.decode()
    assert 'id="today-status"' in response.content.decode()


def test_the_pages_script_gets_a_json_answer_and_a_second_tap_changes_nothing(client, world, today):
    c = _as(client, world.cadre_user)
    first = c.post(reverse("attendance:checkin"), HTTP_ACCEPT="application/json")
    second = c.post(reverse("attendance:checkin"), HTTP_ACCEPT="application/json")
    assert first.status_code == 200 and first.json()["created"] is True and not first.json()["review"]
    assert second.status_code == 200 and second.json()["created"] is False
    assert "already checked in" in second.json()["message"]
    assert PresenceRecord.objects.filter(cadre=world.cadre, date=TODAY).count() == 1


def test_a_json_checkin_without_a_post_today_is_refused_with_the_reason(client, world, today):
    world.assignment.start_date = TODAY + dt.timedelta(days=3)
    world.assignment.save()
    response = _as(client, world.cadre_user).post(reverse("attendance:checkin"), HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "not stationed" in response.json()["message"]
    assert not PresenceRecord.objects.filter(cadre=world.cadre).exists()


def _locate(world):
    CountyAttendanceSetting.objects.create(county=world.county, location_checkin_enabled=True)
    world.village.latitude, world.village.longitude = 31.73, 105.93
    world.village.save()


def test_checkin_page_asks_for_location_only_where_the_county_turned_it_on(client, world, today):
    _locate(world)
    c = _as(client, world.cadre_user)
    assert "navigator.geolocation" in c.get(reverse("attendance:checkin")).content.decode()
    c.post(reverse("attendance:checkin"), {"latitude": "39.9", "longitude": "116.4", "accuracy": "20"})
    record = PresenceRecord.objects.get(cadre=world.cadre)
    assert record.review_status == "needs_review"


def test_only_cadres_check_in(client, world):
    for user in (world.owner, world.township_staff, world.liaison):
        assert _as(client, user).post(reverse("attendance:checkin")).status_code == 403
    assert not PresenceRecord.objects.exists()


def test_leave_form_shows_the_rule_and_saves_nothing_on_overlap(client, world, today):
    _leave(world)
    c = _as(client, world.cadre_user)
    response = c.post(reverse("attendance:leave_create"), {
        "kind": "sick", "start": "2026-11-19", "end": "2026-11-20", "reason": "发烧", "submit_now": "on"})
    assert response.status_code == 200 and "overlaps" in response.content.decode()
    response = c.post(reverse("attendance:leave_create"), {
        "kind": "sick", "start": "2026-11-25", "end": "2026-11-24", "reason": "发烧", "submit_now": "on"})
    assert "cannot be before" in response.content.decode()
    assert 'value="2026-11-25"' in response.content.decode()  # the dates typed stay in the form
    assert LeaveRequest.objects.count() == 1
    assert "Leave of up to 3 days (counted in calendar days) is decided by your township" in c.get(
        reverse("attendance:leave_create")).content.decode()
    assert _as(client, world.owner).get(reverse("attendance:leave_create")).status_code == 403


def test_township_approves_from_the_queue_then_the_cadre_reports_back(client, world, today):
    leave = _leave(world, TODAY - dt.timedelta(days=1), TODAY)
    t = _as(client, world.township_staff)
    assert "袁杰" in t.get(reverse("attendance:leave_queue")).content.decode()
    t.post(reverse("attendance:leave_decide", args=[leave.pk]), {"decision": "approve", "comment": "同意"})
    leave.refresh_from_db()
    assert leave.status == "approved" and leave.decided_by == world.township_staff
    c = _as(client, world.cadre_user)
    c.post(reverse("attendance:leave_return", args=[leave.pk]), {"actual_return_date": "2026-11-18"})
    leave.refresh_from_db()
    assert leave.status == "returned"
    assert list(PresenceRecord.objects.filter(cadre=world.cadre).values_list("date", "kind")) == [
        (TODAY - dt.timedelta(days=1), "leave")]


def test_leave_decisions_out_of_scope_are_404_and_wrong_level_403(client, world, today):
    leave = _leave(world)
    url = reverse("attendance:leave_decide", args=[leave.pk])
    assert _as(client, world.stranger).post(url, {"decision": "approve"}).status_code == 404
    assert _as(client, world.owner).post(url, {"decision": "approve"}).status_code == 403  # 2 days: township's
    assert _as(client, world.liaison).post(url, {"decision": "approve"}).status_code == 403
    assert _as(client, world.liaison).get(reverse("attendance:leave_detail", args=[leave.pk])).status_code == 200
    leave.refresh_from_db()
    assert leave.status == "submitted"


def test_the_approver_sees_the_cadres_other_leave_this_year(client, world, today):
    earlier = services.leave_request_create(user=world.cadre_user, kind="sick", start=dt.date(2026, 3, 2),
                                            end=dt.date(2026, 3, 5), reason="住院", submit=True)
    services.leave_request_approve(user=world.owner, leave=earlier)
    services.leave_request_return(user=world.cadre_user, leave=earlier, actual_return_date=dt.date(2026, 3, 4))
    last_year = services.leave_request_create(user=world.cadre_user, kind="annual", start=dt.date(2025, 12, 1),
                                              end=dt.date(2025, 12, 2), reason="年休", submit=True)
    services.leave_request_approve(user=world.township_staff, leave=last_year)
    leave = _leave(world)
    page = _as(client, world.township_staff).get(reverse("attendance:leave_detail", args=[leave.pk]))
    # Back a day early: 2 to 3 March, 2 days; December 2025 is another year; this request not counted.
    assert page.context["taken"] == {"count": 1, "days": 2}
    assert "1 leave, 2 days away" in page.content.decode()
    assert reverse("attendance:calendar", args=[world.cadre.pk]) + "?month=2026-11" in page.content.decode()


def test_report_back_is_offered_once_the_leave_has_begun_and_defaults_to_the_planned_day_back(client, world, today):
    ahead = _leave(world, TODAY + dt.timedelta(days=3), TODAY + dt.timedelta(days=4))
    services.leave_request_approve(user=world.township_staff, leave=ahead)
    c = _as(client, world.cadre_user)
    page = c.get(reverse("attendance:leave_detail", args=[ahead.pk]))
    assert not page.context["can_return"] and page.context["can_cancel"]
    assert 'id="return-later"' in page.content.decode()
    assert "confirm(" in page.content.decode()  # cancelling asks first
    # Ended two days ago without 销假: the planned first day back is offered; today at the latest.
    past = _leave(world, TODAY - dt.timedelta(days=4), TODAY - dt.timedelta(days=3))
    services.leave_request_approve(user=world.township_staff, leave=past)
    page = c.get(reverse("attendance:leave_detail", args=[past.pk]))
    assert page.context["can_return"]
    assert page.context["return_form"].initial["actual_return_date"] == TODAY - dt.timedelta(days=2)
    running = _leave(world, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1))
    services.leave_request_approve(user=world.township_staff, leave=running)
    assert c.get(reverse("attendance:leave_detail", args=[running.pk])).context["return_form"].initial[
        "actual_return_date"] == TODAY


def test_a_pending_request_says_who_decides_it(client, world, today):
    short = _leave(world)
    page = _as(client, world.cadre_user).get(reverse("attendance:leave_detail", args=[short.pk])).content.decode()
    assert f"Waiting for the staff of {world.village.township.name} (leave of up to 3 days)" in page
    long = _leave(world, TODAY + dt.timedelta(days=5), TODAY + dt.timedelta(days=9))
    page = _as(client, world.cadre_user).get(reverse("attendance:leave_detail", args=[long.pk])).content.decode()
    assert f"Waiting for the organisation department of {world.county.name} (leave of more than 3 days)" in page


def test_a_correction_that_fails_returns_to_a_grid_that_can_be_kept(client, world, today):
    response = _as(client, world.township_staff).post(reverse("attendance:presence_correct"), {
        "cadre": world.cadre.pk, "day": (TODAY + dt.timedelta(days=5)).isoformat(), "kind": "in_village",
        "reason": "补录"})
    assert f"?day={TODAY.isoformat()}&correct={world.cadre.pk}&reason=" in response.url
    # The grid reopens the correction for that cadre with the reason as typed.
    page = _as(client, world.township_staff).get(response.url)
    assert page.context["correct_row"].cadre_id == world.cadre.pk and 'value="补录"' in page.content.decode()
    response = _as(client, world.township_staff).post(reverse("attendance:presence_correct"), {
        "cadre": world.cadre.pk, "day": (world.assignment.start_date - dt.timedelta(days=1)).isoformat(),
        "kind": "in_village", "reason": "补录"}, follow=True)
    assert response.status_code == 200 and "was not stationed in your area" in response.content.decode()


def test_another_cadre_cannot_act_on_the_leave(client, world, today):
    from tests.factories import make_user
    leave = _leave(world)
    other = make_user("member", "cadre", cadre=world.member)
    # Same village, but the gate shows a cadre only their own leave.
    assert _as(client, other).post(reverse("attendance:leave_cancel", args=[leave.pk])).status_code == 404
    leave.refresh_from_db()
    assert leave.status == "submitted"


def test_reject_without_a_comment_shows_why(client, world, today):
    leave = _leave(world)
    response = _as(client, world.township_staff).post(
        reverse("attendance:leave_decide", args=[leave.pk]), {"decision": "reject", "comment": ""}, follow=True)
    assert "why the leave is rejected" in response.content.decode()
    leave.refresh_from_db()
    assert leave.status == "submitted"


def test_calendar_is_visible_in_scope_only(client, world, today):
    services.presence_checkin(user=world.cadre_user)
    url = reverse("attendance:calendar", args=[world.cadre.pk]) + "?month=2026-11"
    for user in (world.cadre_user, world.township_staff, world.owner, world.liaison, world.city_reviewer):
        body = _as(client, user).get(url).content.decode()
        assert 'data-date="2026-11-18" data-status="in_village"' in body
        assert 'data-date="2026-11-17" data-status="missing"' in body
    assert _as(client, world.stranger).get(url).status_code == 404
    mine = _as(client, world.cadre_user).get(reverse("attendance:calendar_mine"))
    assert mine["Location"] == reverse("attendance:calendar", args=[world.cadre.pk])


def test_calendar_marks_a_check_in_waiting_for_the_countys_review(client, world, today):
    from django.utils import timezone

    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=dt.date(2026, 11, 17),
                                  kind="in_village", source="self", recorded_at=timezone.now(),
                                  review_status="needs_review")
    body = _as(client, world.cadre_user).get(reverse("attendance:calendar", args=[world.cadre.pk])).content.decode()
    cell = body.split('data-date="2026-11-17"')[1].split("</td>")[0]
    assert 'data-review="pending"' in cell and 'data-review="pending"' not in body.split('data-date="2026-11-16"')[1].split("</td>")[0]


def test_calendar_says_what_the_month_asks_for_and_whether_a_past_month_met_it(client, world, today):
    from assignments.models import Finding

    services.working_days_ensure(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    services.scan_presence_shortfall(month=dt.date(2026, 10, 1))  # nobody recorded in October
    owed = Finding.objects.get(cadre=world.cadre, period="2026-10").detail_args["parts"][0][1]["r"]
    c = _as(client, world.owner)
    october = c.get(reverse("attendance:calendar", args=[world.cadre.pk]), {"month": "2026-10"}).context["cal"]
    assert (october["owed"], october["met"]) == (owed, False)  # the same number as the month-end check
    november = c.get(reverse("attendance:calendar", args=[world.cadre.pk]), {"month": "2026-11"}).context["cal"]
    assert november["met"] is None  # not over yet


def test_keeper_grid_records_the_township_and_refuses_others(client, world, today):
    t = _as(client, world.township_staff)
    page = t.get(reverse("attendance:keeper_grid") + "?day=2026-11-18").content.decode()
    assert "袁杰" in page and "王强" not in page
    assert "Working day" in page
    # A Sunday (from the official calendar) says no check-in is expected.
    assert "Day off: no check-in expected" in t.get(reverse("attendance:keeper_grid") + "?day=2026-11-15").content.decode()
    # "On approved leave" is offered only where approved leave covers the day.
    assert f'id="k{world.cadre.pk}leave"' not in page and f'id="k{world.cadre.pk}trip"' in page
    t.post(reverse("attendance:keeper_grid"), {"day": "2026-11-18", f"kind_{world.cadre.pk}": "trip"})
    assert PresenceRecord.objects.get(cadre=world.cadre).kind == "trip"
    response = t.post(reverse("attendance:keeper_grid"), {
        "day": "2026-11-18", f"kind_{world.member.pk}": "in_village", f"kind_{world.neighbour_cadre.pk}": "absent"},
        follow=True)
    assert "not stationed in your area" in response.content.decode()
    assert PresenceRecord.objects.count() == 1
    for user in (world.cadre_user, world.liaison, world.city_reviewer):
        assert _as(client, user).get(reverse("attendance:keeper_grid")).status_code == 403


def test_keeper_grid_has_no_future_days_and_no_save_button_once_the_day_is_full(client, world, today):
    t = _as(client, world.township_staff)
    response = t.get(reverse("attendance:keeper_grid"), {"day": "2026-12-02"}, follow=True)
    assert response.context["day"] == TODAY and "has not come yet" in response.content.decode()
    assert 'max="2026-11-18"' in response.content.decode()
    t.post(reverse("attendance:keeper_grid"), {"day": "2026-11-17", f"kind_{world.cadre.pk}": "in_village",
                                                f"kind_{world.member.pk}": "in_village"})
    full = t.get(reverse("attendance:keeper_grid"), {"day": "2026-11-17"}).content.decode()
    assert "Save the day" not in full and "Save the day" in t.get(reverse("attendance:keeper_grid")).content.decode()


def test_county_staff_turn_location_check_in_on_with_a_basis_and_cadres_are_asked_for_their_position(
        client, world, today):
    url = reverse("attendance:county_settings")
    o = _as(client, world.owner)
    page = o.get(url).content.decode()
    assert "location-state" in page
    assert "Positions are erased 90 days after the check-in" in page  # ZHUCUN POSITION_KEEP_DAYS
    # No basis, no change.
    page = o.post(url, {"location_checkin_enabled": "on", "reason": " "})
    assert "Say on what basis" in page.content.decode()
    assert not CountyAttendanceSetting.objects.filter(location_checkin_enabled=True).exists()
    assert 'id="location-hint"' not in _as(client, world.cadre_user).get(reverse("attendance:checkin")).content.decode()

    o = _as(client, world.owner)
    assert o.post(url, {"location_checkin_enabled": "on", "reason": "苍组通〔2026〕12号"}).status_code == 302
    setting = CountyAttendanceSetting.objects.get(county=world.county)
    assert setting.location_checkin_enabled
    latest = setting.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (world.owner, "苍组通〔2026〕12号")
    assert "苍组通〔2026〕12号" in o.get(url).content.decode()
    # The county's cadres are now asked for their position; another county's are not.
    assert 'id="location-hint"' in _as(client, world.cadre_user).get(reverse("attendance:checkin")).content.decode()
    assert not CountyAttendanceSetting.objects.filter(county=world.neighbour_county).exists()
    # Saving the same state again is refused with a message, and turning it off is recorded too.
    o = _as(client, world.owner)
    assert "already on" in o.post(url, {"location_checkin_enabled": "on", "reason": "x"}).content.decode()
    o.post(url, {"reason": "县委常委会决定停用"})
    assert not CountyAttendanceSetting.objects.get(county=world.county).location_checkin_enabled
    assert setting.history.count() == 2
    # Only the county's own staff change it.
    assert _as(client, world.township_staff).post(url, {"location_checkin_enabled": "on", "reason": "x"}).status_code == 403
    assert _as(client, world.city_reviewer).post(url, {"location_checkin_enabled": "on", "reason": "x"}).status_code == 403
    assert not CountyAttendanceSetting.objects.get(county=world.county).location_checkin_enabled


def test_keeper_grid_flags_a_check_in_the_county_rejected(client, world, today):
    from django.utils import timezone

    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=TODAY,
                                  kind=PresenceRecord.Kind.IN_VILLAGE, source=PresenceRecord.Source.SELF,
                                  recorded_at=timezone.now(), review_status=PresenceRecord.Review.REJECTED)
    page = _as(client, world.township_staff).get(reverse("attendance:keeper_grid")).content.decode()
    assert "Rejected after review" in page


def test_each_recorded_row_has_its_correction_and_leave_is_offered_only_under_approved_leave(client, world, today):
    services.presence_checkin(user=world.cadre_user)
    t = _as(client, world.township_staff)
    page = t.get(reverse("attendance:keeper_grid"), {"day": "2026-11-18"}).content.decode()
    assert f"correct={world.cadre.pk}#correction" in page
    opened = t.get(reverse("attendance:keeper_grid"), {"day": "2026-11-18", "correct": world.cadre.pk})
    form = opened.content.decode().split('id="correction"')[1]
    assert form.startswith(" open") and 'value="leave"' not in form.split("</select>")[1]
    # A check-in under review is the county's: the township gets no link for it, the county does.
    PresenceRecord.objects.filter(cadre=world.cadre).update(review_status="needs_review")
    link = f"correct={world.cadre.pk}#correction"
    assert link not in t.get(reverse("attendance:keeper_grid"), {"day": "2026-11-18"}).content.decode()
    assert link in _as(client, world.owner).get(reverse("attendance:keeper_grid"), {"day": "2026-11-18"}).content.decode()


def test_keeper_correction_needs_a_reason(client, world, today):
    services.presence_checkin(user=world.cadre_user)
    t = _as(client, world.township_staff)
    url = reverse("attendance:presence_correct")
    t.post(url, {"cadre": world.cadre.pk, "day": "2026-11-18", "kind": "absent", "reason": ""})
    assert PresenceRecord.objects.get(cadre=world.cadre).kind == "in_village"
    t.post(url, {"cadre": world.cadre.pk, "day": "2026-11-18", "kind": "absent", "reason": "暗访不在"})
    assert PresenceRecord.objects.get(cadre=world.cadre).kind == "absent"
    # The grid says the row was corrected, and why.
    assert "Corrected: 暗访不在" in t.get(reverse("attendance:keeper_grid"), {"day": "2026-11-18"}).content.decode()
    assert t.post(url, {"cadre": world.neighbour_cadre.pk, "day": "2026-11-18", "kind": "absent",
                        "reason": "x"}).status_code == 404


def test_review_queue_is_for_county_staff_of_the_county(client, world, today):
    _locate(world)
    record = services.presence_checkin(user=world.cadre_user, latitude=20, longitude=100, accuracy=10).record
    assert "袁杰" in _as(client, world.owner).get(reverse("attendance:review_queue")).content.decode()
    assert _as(client, world.township_staff).get(reverse("attendance:review_queue")).status_code == 403
    url = reverse("attendance:presence_review", args=[record.pk])
    assert _as(client, world.stranger).post(url, {"decision": "accept"}).status_code == 404
    assert _as(client, world.township_staff).post(url, {"decision": "accept"}).status_code == 403
    _as(client, world.owner).post(url, {"decision": "accept"})
    record.refresh_from_db()
    assert record.review_status == "accepted" and record.reviewed_by == world.owner


def test_findings_page_filters_resolves_and_runs_the_county_scan(client, world, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 11, 19))
    o = _as(client, world.owner)
    assert o.post(reverse("attendance:scan_run")).status_code == 302
    assert set(Finding.objects.values_list("cadre__name", flat=True)) == {"袁杰", "李明"}
    # Run again: the same gaps are found, none is new.
    again = o.post(reverse("attendance:scan_run"), follow=True).content.decode()
    assert "found 2 missing check-ins and 0 unreturned leave; 0 new findings" in again
    body = o.get(reverse("attendance:finding_list")).content.decode()
    assert "袁杰" in body and "Run the scan" in body
    assert "袁杰" not in _as(client, world.stranger).get(reverse("attendance:finding_list")).content.decode()
    assert "Run the scan" not in _as(client, world.township_staff).get(reverse("attendance:finding_list")).content.decode()
    finding = Finding.objects.get(cadre=world.cadre)
    url = reverse("attendance:finding_resolve", args=[finding.pk])
    assert _as(client, world.stranger).post(url, {"note": "x"}).status_code == 404
    assert _as(client, world.city_reviewer).post(url, {"note": "x"}).status_code == 403
    assert _as(client, world.township_staff).post(reverse("attendance:scan_run")).status_code == 403
    # Back to the list it came from, never to another site (a "next" forged into the form).
    response = _as(client, world.owner).post(url, {"note": "在县里开会", "next": "https://evil.example.com/x"})
    assert response["Location"] == reverse("attendance:finding_list")
    finding.refresh_from_db()
    assert finding.status == "resolved" and finding.resolved_by == world.owner
    open_only = _as(client, world.owner).get(reverse("attendance:finding_list") + "?status=open").content.decode()
    assert "袁杰" not in open_only and "李明" in open_only


def test_findings_page_lists_the_most_severe_first_and_names_training_periods_in_words(client, world):
    from django.utils import timezone

    now = timezone.now()

    def finding(cadre, assignment, kind, period, severity):
        return Finding.objects.create(kind=kind, cadre=cadre, assignment=assignment, village=assignment.village,
                                      county=world.county, period=period, severity=severity, first_seen=now,
                                      last_seen=now, detail=f"{kind} {period}")

    finding(world.cadre, world.assignment, Finding.Kind.UNMET_TRAINING, "req7", Finding.Severity.NOTICE)
    finding(world.member, world.member_assignment, Finding.Kind.UNMET_TRAINING, "req8-2026", Finding.Severity.NOTICE)
    finding(world.member, world.member_assignment, Finding.Kind.UNEXCUSED_ABSENCE, "2026-10-31",
            Finding.Severity.WARNING)
    body = _as(client, world.owner).get(reverse("attendance:finding_list")).content.decode()
    # The inspection's warning comes before the notices (the old order put "req…" keys first).
    assert body.index("unexcused_absence 2026-10-31") < body.index("unmet_training req7")
    # A rule's internal key is not shown: per tenure reads "this tenure", per year the year.
    assert "· this tenure" in body and "· 2026" in body
    assert "· req7" not in body and "· req8" not in body


def test_the_findings_list_stays_on_open_findings_when_paging(client, world, settings):
    from django.utils import timezone

    settings.ZHUCUN = {**settings.ZHUCUN, "PAGE_SIZE": 1}
    now = timezone.now()
    for n, status in enumerate(["open", "open", "resolved"]):
        Finding.objects.create(kind=Finding.Kind.MISSING_CHECKIN, cadre=world.cadre, assignment=world.assignment,
                               village=world.village, county=world.county, period=f"2026-11-1{n}", first_seen=now,
                               last_seen=now, status=status, resolved_at=now if status == "resolved" else None,
                               detail=f"finding {n}")
    o = _as(client, world.owner)
    pages = [o.get(reverse("attendance:finding_list") + f"?page={p}").context["page"] for p in (1, 2)]
    assert pages[0].paginator.count == 2 and all(f.status == "open" for p in pages for f in p)
    assert o.get(reverse("attendance:finding_list") + "?status=").context["page"].paginator.count == 3


def test_county_staff_filter_findings_by_township(client, world):
    from tests.factories import AssignmentFactory, CadreFactory

    other = AssignmentFactory(cadre=CadreFactory(name="赵敏", unit=world.unit, county=world.county),
                              village=world.village3, start_date=dt.date(2026, 1, 5))
    services.attendance_scan(day=dt.date(2026, 11, 18))
    assert Finding.objects.filter(assignment=other).exists()
    url = reverse("attendance:finding_list")
    o = _as(client, world.owner)
    everything = o.get(url + "?status=open").content.decode()
    assert "赵敏" in everything and "袁杰" in everything
    one = o.get(url + f"?status=open&township={world.other_township.pk}").content.decode()
    assert "赵敏" in one and "袁杰" not in one
    # Another county's township is not on the list.
    assert f'value="{world.neighbour_township.pk}"' not in everything


def test_a_city_reviewer_filters_findings_by_county_and_sees_where_and_whose(client, world):
    services.attendance_scan(day=dt.date(2026, 11, 18))
    url = reverse("attendance:finding_list")
    c = _as(client, world.city_reviewer)
    page = c.get(url)
    body = page.content.decode()
    assert 'name="county"' in body and "陵江镇 · 苍溪县" in body  # townships named with their county
    assert "苍溪县 · 陵江镇" in body and world.unit.name in body  # each finding's county, township, unit
    assert reverse("attendance:calendar", args=[world.cadre.pk]) + "?month=2026-11" in body
    def names(county):
        return {f.cadre.name for f in c.get(url, {"county": county.pk}).context["page"]}

    assert names(world.county) == {"袁杰", "李明"} and "袁杰" not in names(world.neighbour_county)
    # The province's counties come from several cities: each is named with its city.
    assert "广元市 · 苍溪县" in _as(client, world.province_reviewer).get(url).content.decode()
    # A county officer sees one county: no county filter, no county on each line.
    assert 'name="county"' not in _as(client, world.owner).get(url).content.decode()


def test_findings_download_holds_what_the_list_shows(client, world):
    import io

    import openpyxl

    services.attendance_scan(day=dt.date(2026, 11, 18))
    Finding.objects.filter(cadre=world.member).update(status="resolved", resolved_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC),
                                                      resolution_note="=HYPERLINK(1)", resolved_by=world.owner)
    c = _as(client, world.owner)
    export = reverse("attendance:finding_export")
    assert export + "?status=resolved" in c.get(reverse("attendance:finding_list"), {"status": "resolved"}).content.decode()

    def rows(**params):
        ws = openpyxl.load_workbook(io.BytesIO(c.get(export, params).content)).active
        return [r for r in ws.iter_rows(values_only=True)]

    header, *open_rows = rows()
    assert header[0] == "Kind" and [r[6] for r in open_rows] == ["袁杰"]  # open only, as on the page
    (resolved,) = rows(status="resolved")[1:]
    assert resolved[6] == "李明" and resolved[13] == "=HYPERLINK(1)"  # typed text, not a formula
    assert header[14] == "Resolved by" and resolved[14] == (world.owner.get_full_name() or world.owner.username)
    assert open_rows[0][14] is None  # nobody yet
    # Another county's officer gets only their own county's findings.
    ws = openpyxl.load_workbook(io.BytesIO(_as(client, world.stranger).get(export).content)).active
    assert not {"袁杰", "李明"} & {r[6] for r in ws.iter_rows(min_row=2, values_only=True)}


def test_cadre_sees_only_their_own_findings(client, world):
    services.attendance_scan(day=dt.date(2026, 11, 18))
    body = _as(client, world.cadre_user).get(reverse("attendance:finding_list")).content.decode()
    assert "袁杰" in body and "李明" not in body
    # No township filter for a cadre or a township: it would narrow nothing.
    for user in (world.cadre_user, world.township_staff):
        assert 'name="township"' not in _as(client, user).get(reverse("attendance:finding_list")).content.decode()
    assert 'name="township"' in _as(client, world.owner).get(reverse("attendance:finding_list")).content.decode()


def test_work_logs_page_shows_one_month_with_each_cadres_count_fewest_first(client, world, today,
                                                                            django_assert_max_num_queries):
    for day, content in [(TODAY, "召开支部会议"), (TODAY - dt.timedelta(days=1), "入户走访脱贫户"),
                         (dt.date(2026, 10, 20), "十月的日志")]:
        services.worklog_create(user=world.cadre_user, date=day, content=content, duties=["party"])
    url = reverse("attendance:worklog_list")
    o = _as(client, world.owner)
    with django_assert_max_num_queries(12):
        page = o.get(url + "?month=2026-11")
    # The member who wrote nothing comes first, flagged; the neighbour county is not counted.
    assert [(a.cadre.name, a.logs) for a in page.context["counts"]] == [("李明", 0), ("袁杰", 2)]
    body = page.content.decode()
    assert "召开支部会议" in body and "十月的日志" not in body and 'class="table-warning"' in body
    assert "十月的日志" in o.get(url + "?month=2026-10").content.decode()
    by_village = o.get(url + f"?month=2026-11&village={world.village2.pk}")
    assert by_village.context["counts"] == [] and "召开支部会议" not in by_village.content.decode()
    by_cadre = o.get(url + f"?month=2026-11&cadre={world.member.pk}")
    assert [a.cadre.name for a in by_cadre.context["counts"]] == ["李明"]
    # Another county's village or cadre is not found; a cadre sees only their own logs, no table.
    assert o.get(url + f"?village={world.neighbour_village.pk}").status_code == 404
    assert o.get(url + f"?cadre={world.neighbour_cadre.pk}").status_code == 404
    mine = _as(client, world.cadre_user).get(url)
    assert mine.context["counts"] == [] and "worklog-counts" not in mine.content.decode()
    assert "召开支部会议" in mine.content.decode()


def test_monthly_report_is_an_xlsx_within_scope(client, world, today):
    services.presence_checkin(user=world.cadre_user)
    response = _as(client, world.owner).get(reverse("attendance:monthly_report") + "?month=2026-11")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    by_name = {r[2]: r for r in rows}
    assert set(by_name) == {"袁杰", "李明"}
    assert by_name["袁杰"][4 + 17] == "√" and by_name["袁杰"][-3] == 1  # counted; then required, met
    assert ws.freeze_panes == "E4"
    stranger = load_workbook(BytesIO(_as(client, world.stranger).get(reverse("attendance:monthly_report")).content))
    assert {r[2] for r in stranger.active.iter_rows(min_row=4, values_only=True)} == {"王强"}
    other = reverse("attendance:monthly_report") + f"?township={world.township.pk}"
    assert _as(client, world.stranger).get(other).status_code == 404
    assert _as(client, world.cadre_user).get(reverse("attendance:monthly_report")).status_code == 403


def test_monthly_report_knows_the_holidays_of_a_month_no_scan_has_covered(client, world, today):
    from attendance.models import WorkingDay

    WorkingDay.objects.filter(date__year=2026, date__month=10).delete()
    ws = load_workbook(BytesIO(_as(client, world.owner).get(
        reverse("attendance:monthly_report") + "?month=2026-10").content)).active
    row = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}["李明"]
    # National Day week (1-7 October 2026) is a holiday, not seven working days without a record.
    assert row[4:4 + 7] == (None,) * 7 and row[4 + 8] == "M"  # 未 in Chinese
    assert ws.column_dimensions["E"].fill.fgColor.rgb.endswith("E7E6E6")


def test_report_page_offers_last_month_this_month_and_the_countys_townships(client, world, today,
                                                                            django_assert_max_num_queries):
    o = _as(client, world.owner)
    with django_assert_max_num_queries(10):
        page = o.get(reverse("attendance:report_page")).content.decode()
    report = reverse("attendance:monthly_report")
    assert f'href="{report}?month=2026-10"' in page and f'href="{report}?month=2026-11"' in page
    assert f'value="{world.township.pk}"' in page and f'value="{world.neighbour_township.pk}"' not in page
    # Township staff report on their own township: no township to choose.
    township_page = _as(client, world.township_staff).get(reverse("attendance:report_page")).content.decode()
    assert 'id="report-township"' not in township_page and f'href="{report}?month=2026-10"' in township_page
    assert _as(client, world.cadre_user).get(reverse("attendance:report_page")).status_code == 403


def test_monthly_report_refuses_a_month_that_is_not_one_and_names_its_file_after_the_area(client, world, today):
    o = _as(client, world.owner)
    for bad in ("2026-13", "abc"):
        response = o.get(reverse("attendance:monthly_report") + f"?month={bad}", follow=True)
        assert response.redirect_chain[-1][0] == reverse("attendance:report_page")
        assert f"“{bad}” is not a month" in response.content.decode()
    response = o.get(reverse("attendance:monthly_report") + "?month=2026-10")
    # The page's own name of the report, the county by its name, the month.
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''Monthly%20attendance%20report-{quote(world.county.name)}-2026-10.xlsx")
    assert load_workbook(BytesIO(response.content)).active["A1"].value == (
        f"Monthly attendance report {world.county.name} 2026-10")
    # A liaison's report is named after their unit, in the file name and the title row.
    response = _as(client, world.liaison).get(reverse("attendance:monthly_report") + "?month=2026-10")
    assert quote(world.unit.name) in response["Content-Disposition"]
    assert world.unit.name in load_workbook(BytesIO(response.content)).active["A1"].value


def test_a_large_monthly_report_is_built_by_the_export_worker_for_the_same_scope(
        client, world, today, settings, django_capture_on_commit_callbacks):
    from assignments import export_jobs
    from assignments.models import ExportJob

    settings.ZHUCUN = {**settings.ZHUCUN, "EXPORT_SYNC_MAX_ROWS": 1}
    o = _as(client, world.owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = o.get(reverse("attendance:monthly_report") + f"?month=2026-11&township={world.township.pk}")
    assert response["Location"] == reverse("export_list") and len(callbacks) == 1
    job = ExportJob.objects.get()
    assert (job.kind, job.params, job.rows) == ("attendance_report",
                                                {"month": ["2026-11"], "township": [str(world.township.pk)]}, 2)
    export_jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.filename.endswith(f"-{world.county.name}{world.township.name}-2026-11.xlsx")
    ws = load_workbook(BytesIO(o.get(reverse("export_download", args=[job.pk])).content)).active
    assert {r[2] for r in ws.iter_rows(min_row=4, values_only=True)} == {world.cadre.name, world.member.name}
    # A township outside the scope is refused before any job is made.
    assert o.get(reverse("attendance:monthly_report") + f"?month=2026-11&township={world.neighbour_township.pk}"
                 ).status_code == 404
    assert ExportJob.objects.count() == 1


def test_monthly_report_marks_gaps_and_rejected_check_ins_as_the_scans_count_them(client, world, today):
    from django.utils import timezone

    from attendance.models import WorkingDay

    # Monday 16 to Wednesday 18 November 2026 are working days; the 15th is a Sunday.
    WorkingDay.objects.filter(date__range=("2026-11-15", "2026-11-18")).delete()
    WorkingDay.objects.bulk_create([WorkingDay(date=dt.date(2026, 11, d), is_working_day=d != 15,
                                               source=WorkingDay.Source.MANUAL) for d in (15, 16, 17, 18)])
    K, S, R = PresenceRecord.Kind, PresenceRecord.Source, PresenceRecord.Review
    for day, review in [(16, R.OK), (17, R.REJECTED)]:
        PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=dt.date(2026, 11, day),
                                      kind=K.IN_VILLAGE, source=S.SELF, recorded_at=timezone.now(),
                                      review_status=review)
    ws = load_workbook(BytesIO(_as(client, world.owner).get(
        reverse("attendance:monthly_report") + "?month=2026-11").content)).active
    header = next(ws.iter_rows(min_row=3, max_row=3, values_only=True))
    row = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}["袁杰"]
    col = {d: 3 + d for d in (15, 16, 17, 18)}  # 0-based: four name columns, then day 1
    assert [row[col[d]] for d in (15, 16, 17, 18)] == [None, "√", "R", None]  # 18th: today, still open
    # The rejected check-in is not a day in the village; it is a working day without a record.
    assert row[header.index("Days counted (in the village and trips)")] == 1
    assert row[header.index("In the village")] == 1 and row[header.index("Check-ins rejected")] == 1
    missing = row[header.index("Working days without a valid record (M and R)")]
    assert missing == sum(1 for v in row[4:4 + 17] if v in ("M", "R")) and missing >= 2
    mine = 4 + [r[2] for r in ws.iter_rows(min_row=4, values_only=True)].index("袁杰")
    # The 15th, a day off: its column is grey (the header and every cell left empty).
    assert ws.column_dimensions["S"].fill.fgColor.rgb.endswith("E7E6E6")
    assert ws.cell(row=3, column=5 + 14).fill.fgColor.rgb.endswith("E7E6E6")
    assert ws.cell(row=mine, column=5 + 16).fill.fgColor.rgb.endswith("F8CBAD")  # the 17th, rejected


def test_monthly_report_says_the_days_required_and_whether_a_finished_month_met_them(client, world, today):
    from django.utils import timezone

    from assignments.models import Finding

    # October 2026, over: the cadre was in the village on the first five working days only.
    services.working_days_ensure(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    from attendance.models import WorkingDay

    worked = list(WorkingDay.objects.filter(date__month=10, date__year=2026, is_working_day=True)
                  .order_by("date").values_list("date", flat=True))[:5]
    for day in worked:
        PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=day, kind="in_village",
                                      source="keeper", recorded_at=timezone.now())
    services.scan_presence_shortfall(month=dt.date(2026, 10, 1))
    required = Finding.objects.get(cadre=world.cadre, period="2026-10").detail_args["parts"][0][1]["r"]

    def report(month):
        ws = load_workbook(BytesIO(_as(client, world.owner).get(
            reverse("attendance:monthly_report"), {"month": month}).content)).active
        header = next(ws.iter_rows(min_row=3, max_row=3, values_only=True))
        row = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}["袁杰"]
        return row[header.index("Days required (pro-rated for days in post and leave)")], \
            row[header.index("Requirement met")]

    # The same number the month-end check used, and "No": 5 days counted.
    assert report("2026-10") == (required, "No") and required > 5
    # This month is not over (today is the 18th): no verdict yet.
    assert report("2026-11")[1] == "Month not over"


def test_work_logs_written_by_the_cadre_and_read_in_scope(client, world, today):
    c = _as(client, world.cadre_user)
    # The date starts at today, in the form a browser's date input shows, in either language.
    for lang in ("zh-hans", "en"):
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        page = c.get(reverse("attendance:worklog_create")).content.decode()
        assert 'type="date" name="date" value="2026-11-18"' in page  # not "2026/11/18" in Chinese
    del c.cookies[settings.LANGUAGE_COOKIE_NAME]
    response = c.post(reverse("attendance:worklog_create"), {"date": "2026-11-18", "content": ""})
    assert "at least one of the four duties" in response.content.decode()
    c.post(reverse("attendance:worklog_create"), {"date": "2026-11-18", "content": "召开支部会议", "duties": ["party"]})
    assert WorkLog.objects.get().duties == ",party,"
    assert "召开支部会议" in _as(client, world.liaison).get(reverse("attendance:worklog_list")).content.decode()
    assert "召开支部会议" not in _as(client, world.stranger).get(reverse("attendance:worklog_list")).content.decode()
    assert _as(client, world.owner).post(reverse("attendance:worklog_create"), {}).status_code == 403


def test_leave_list_tells_who_is_away_today_and_who_leaves_within_a_week(client, world, today):
    from attendance.models import LeaveRequest

    away = _leave(world)  # today and tomorrow
    LeaveRequest.objects.filter(pk=away.pk).update(status="approved")
    soon = LeaveRequest.objects.create(cadre=world.member, assignment=world.member_assignment, kind="personal",
                                       start=TODAY + dt.timedelta(days=3), end=TODAY + dt.timedelta(days=3),
                                       reason="家事", status="approved")
    url = reverse("attendance:leave_list")
    c = _as(client, world.liaison)

    def listed(when):
        return {leave.pk for leave in c.get(url, {"when": when}).context["page"]}

    assert listed("now") == {away.pk}
    assert listed("soon") == {soon.pk}
    assert listed("") == {away.pk, soon.pk}


def test_leave_list_shows_the_scope_and_filters_by_status(client, world, today):
    _leave(world)
    url = reverse("attendance:leave_list")
    assert "2026-11-18" in _as(client, world.cadre_user).get(url).content.decode()
    assert "袁杰" in _as(client, world.liaison).get(url).content.decode()
    assert "袁杰" not in _as(client, world.liaison).get(url + "?status=approved").content.decode()
    assert "袁杰" not in _as(client, world.stranger).get(url).content.decode()
    # Only a cadre has drafts to filter by.
    assert "draft" in dict(_as(client, world.cadre_user).get(url).context["statuses"])
    assert "draft" not in dict(_as(client, world.township_staff).get(url).context["statuses"])


def test_a_cadres_page_shows_their_open_findings_leave_and_this_month(client, world, today):
    from attendance.models import LeaveRequest

    services.attendance_scan(day=dt.date(2026, 11, 17))
    LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="sick", start=TODAY,
                                end=TODAY + dt.timedelta(days=1), reason="发烧", status="approved")
    url = reverse("cadre_detail", args=[world.cadre.pk])
    body = _as(client, world.liaison).get(url).content.decode()
    assert 'id="cadre-findings"' in body and "No check-in, leave or trip recorded on 2026-11-17." in body
    assert "2026-11-18 – 2026-11-19" in body and "2026-11 so far" in body
    assert "Days counted (in the village and trips): <strong>0</strong>" in body
    # The county resolves the finding: it leaves the page.
    Finding.objects.filter(cadre=world.cadre).update(status="resolved", resolved_at=dt.datetime(2026, 11, 18, tzinfo=dt.UTC))
    assert "2026-11-17." not in _as(client, world.owner).get(url).content.decode()


# --- findings: month filter, count, fallbacks, links ------------------------------------------------


def _finding(world, cadre, assignment, kind, period, *, status="open", severity=Finding.Severity.NOTICE):
    from django.utils import timezone

    now = timezone.now()
    return Finding.objects.create(kind=kind, cadre=cadre, assignment=assignment, village=assignment.village,
                                  county=assignment.village.county, period=period, severity=severity,
                                  first_seen=now, last_seen=now, detail=f"{kind} {period}", status=status,
                                  resolved_at=now if status == "resolved" else None)


def _export_rows(client, query):
    import io

    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(client.get(reverse("attendance:finding_export") + "?" + query).content)).active
    return sorted((r[6], r[8]) for r in ws.iter_rows(min_row=2, values_only=True))  # cadre, period


def test_findings_filter_by_month_says_how_many_and_the_download_holds_the_same(client, world, today):
    K = Finding.Kind
    _finding(world, world.cadre, world.assignment, K.MISSING_CHECKIN, "2026-11-17")
    _finding(world, world.member, world.member_assignment, K.PRESENCE_SHORTFALL, "2026-10")
    _finding(world, world.member, world.member_assignment, K.UNEXCUSED_ABSENCE, "2026-10-31")
    _finding(world, world.cadre, world.assignment, K.UNRETURNED_LEAVE, "2026-10-05")
    _finding(world, world.cadre, world.assignment, K.MISSING_CHECKIN, "2026-10-20", status="resolved")
    # A training rule's period is its key or a year, never a month: no month lists it.
    _finding(world, world.cadre, world.assignment, K.UNMET_TRAINING, "req7-2026")
    _finding(world, world.member, world.member_assignment, K.UNMET_TRAINING, "req7")
    # A month that only starts like October's key ("2026-1…") is another month.
    _finding(world, world.member, world.member_assignment, K.MISSING_CHECKIN, "2026-01-05")
    c = _as(client, world.owner)
    url = reverse("attendance:finding_list")

    def listed(**params):
        page = c.get(url, params)
        return page, sorted((f.cadre.name, f.period) for f in page.context["page"])

    october = [("李明", "2026-10"), ("李明", "2026-10-31"), ("袁杰", "2026-10-05")]
    page, rows = listed(month="2026-10")  # open, the default
    assert rows == october
    body = page.content.decode()
    assert '<p class="mb-2" id="finding-count"><strong>3 findings</strong></p>' in body
    assert 'type="month" name="month" value="2026-10"' in body
    assert "Training findings have no month" in body
    # The download takes the page's filters: exactly these rows.
    assert page.context["export_query"] == "status=open&month=2026-10"
    assert _export_rows(c, page.context["export_query"]) == october
    # Any status: the resolved one of October too; no month: everything, training included.
    page, rows = listed(month="2026-10", status="")
    assert rows == sorted(october + [("袁杰", "2026-10-20")]) and "4 findings" in page.content.decode()
    assert _export_rows(c, page.context["export_query"]) == rows
    page, rows = listed()
    assert len(rows) == 7 and "7 findings" in page.content.decode()  # open, any month
    page, rows = listed(month="2026-10", kind=K.UNMET_TRAINING)
    assert rows == [] and "0 findings" in page.content.decode()
    page, rows = listed(kind=K.MISSING_CHECKIN)
    assert "2 findings" in page.content.decode()
    one = _as(client, world.owner).get(url, {"kind": K.PRESENCE_SHORTFALL})
    assert "1 finding<" in one.content.decode()


def test_an_invalid_filter_value_falls_back_to_its_default_and_the_form_shows_it(client, world, today):
    K = Finding.Kind
    _finding(world, world.cadre, world.assignment, K.MISSING_CHECKIN, "2026-11-17")
    _finding(world, world.member, world.member_assignment, K.MISSING_CHECKIN, "2026-11-16", status="resolved")
    _finding(world, world.member, world.member_assignment, K.PRESENCE_SHORTFALL, "2026-10")
    c = _as(client, world.owner)
    url = reverse("attendance:finding_list")
    open_ = [("李明", "2026-10"), ("袁杰", "2026-11-17")]
    for bad in ({"kind": "bogus"}, {"status": "bogus"}, {"month": "2026-13"}, {"month": "abc"},
                {"township": world.neighbour_township.pk}, {"kind": "bogus", "status": "resolved"}):
        page = c.get(url, bad)
        rows = sorted((f.cadre.name, f.period) for f in page.context["page"])
        body = page.content.decode()
        if bad.get("status") == "resolved":
            # The valid filter stays; only the bad one goes back to its default.
            assert rows == [("李明", "2026-11-16")], bad
            assert '<option value="resolved" selected>' in body
        else:
            assert rows == open_, bad  # never the resolved one: the list does not widen
            assert '<option value="open" selected>' in body, bad
        # The dropdowns show what is applied, and the page says what was not.
        assert '<option value="" selected>All kinds</option>' in body, bad
        assert "filter shows its default instead" in body, bad
        assert 'aria-invalid' not in body, bad
        # The download applies the same fallback, from its link or from the bad address itself.
        assert _export_rows(c, page.context["export_query"]) == rows, bad
        assert _export_rows(c, "&".join(f"{k}={v}" for k, v in bad.items())) == rows, bad
    month = c.get(url, {"month": "2026-13"}).content.decode()
    assert "“2026-13” is not a month" in month and 'type="month" name="month" value=""' not in month


def test_each_findings_cadre_name_leads_where_that_kind_is_read(client, world, today,
                                                                 django_assert_max_num_queries):
    from tests.factories import AssignmentFactory, CadreFactory

    K = Finding.Kind
    leave = LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="personal",
                                        start=dt.date(2026, 10, 5), end=dt.date(2026, 10, 8), reason="家事",
                                        status="approved")
    found = {
        "day": _finding(world, world.cadre, world.assignment, K.MISSING_CHECKIN, "2026-11-17"),
        "absence": _finding(world, world.member, world.member_assignment, K.UNEXCUSED_ABSENCE, "2026-10-31"),
        "month": _finding(world, world.member, world.member_assignment, K.PRESENCE_SHORTFALL, "2026-09"),
        "leave": _finding(world, world.cadre, world.assignment, K.UNRETURNED_LEAVE, "2026-10-05"),
        # Its leave is gone (deleted by an administrator): the calendar of the month it began.
        "no_leave": _finding(world, world.member, world.member_assignment, K.UNRETURNED_LEAVE, "2026-08-03"),
        "training": _finding(world, world.cadre, world.assignment, K.UNMET_TRAINING, "req7"),
    }
    # Serving in 苍溪县 but managed by 剑阁县: the finding is 苍溪县's, the cadre's pages are not.
    guest = AssignmentFactory(cadre=CadreFactory(name="周游", unit=world.other_unit, county=world.neighbour_county),
                              village=world.village2)
    found["closed"] = _finding(world, guest.cadre, guest, K.MISSING_CHECKIN, "2026-11-16")
    c = _as(client, world.owner)
    with django_assert_max_num_queries(11):
        page = c.get(reverse("attendance:finding_list"), {"status": ""})
    body = page.content.decode()

    def link(finding):
        row = body.split(f'action="/attendance/findings/{finding.pk}/resolve/"')[0].rsplit('class="list-group-item"', 1)[1]
        return row.split('<a href="')[1].split('"')[0] if '<a href="' in row.split("</strong>")[0] else None

    calendar = reverse("attendance:calendar", args=[world.cadre.pk])
    member_calendar = reverse("attendance:calendar", args=[world.member.pk])
    assert link(found["day"]) == f"{calendar}?month=2026-11"
    assert link(found["absence"]) == f"{member_calendar}?month=2026-10"
    assert link(found["month"]) == f"{member_calendar}?month=2026-09"
    assert link(found["leave"]) == reverse("attendance:leave_detail", args=[leave.pk])
    assert link(found["no_leave"]) == f"{member_calendar}?month=2026-08"
    assert link(found["training"]) == reverse("training:cadre_training", args=[world.cadre.pk])
    assert link(found["closed"]) is None and "周游" in body
    # Reported back since: the finding still leads to that leave.
    LeaveRequest.objects.filter(pk=leave.pk).update(status="returned", actual_return_date=dt.date(2026, 10, 12))
    body = c.get(reverse("attendance:finding_list"), {"status": ""}).content.decode()
    assert link(found["leave"]) == reverse("attendance:leave_detail", args=[leave.pk])
    # Twice the findings, the same number of queries: links are read for the whole page at once.
    for n in range(10):
        _finding(world, world.member, world.member_assignment, K.UNRETURNED_LEAVE, f"2026-07-{n + 10}")
        _finding(world, world.cadre, world.assignment, K.MISSING_CHECKIN, f"2026-06-{n + 10}")
    with django_assert_max_num_queries(11):
        assert c.get(reverse("attendance:finding_list"), {"status": ""}).status_code == 200


# --- work logs: the cadre filter is visible and a village clears it --------------------------------


def test_a_cadre_filter_shows_a_village_clears_it_and_an_empty_list_says_what_is_true(client, world, today):
    services.worklog_create(user=world.cadre_user, date=TODAY, content="召开支部会议", duties=["party"])
    url = reverse("attendance:worklog_list")
    o = _as(client, world.owner)
    body = o.get(url, {"month": "2026-11", "cadre": world.member.pk}).content.decode()
    form = body.split('id="worklog-filter"')[1].split("</form>")[0]
    # Shown as a ticked box that can be cleared, not a hidden field; picking a village unticks it.
    assert f'type="checkbox" name="cadre" value="{world.member.pk}" id="worklog-cadre" checked' in form
    assert 'type="hidden" name="cadre"' not in form
    assert "getElementById('worklog-cadre')" in form.split('name="village"')[1].split(">")[0]
    assert "No work logs by 李明 in 2026-11." in body
    # A cadre and a village they did not serve in: said as it is, not "nobody in post".
    both = o.get(url, {"month": "2026-11", "cadre": world.member.pk, "village": world.village3.pk})
    body = both.content.decode()
    assert both.context["counts"] == []
    assert "李明 did not serve in 红星村 in 2026-11." in body and "No work logs by 李明 in 红星村 in 2026-11." in body
    assert "Nobody in your area was in post" not in body
    village = o.get(url, {"month": "2026-11", "village": world.village3.pk}).content.decode()
    assert "Nobody served in 红星村 in 2026-11." in village and "No work logs in 红星村 in 2026-11." in village
    away = o.get(url, {"month": "2025-01", "cadre": world.cadre.pk}).content.decode()
    assert "袁杰 was not in post in your area in 2025-01." in away
    assert "No work logs in 2026-10." in _as(client, world.cadre_user).get(url, {"month": "2026-10"}).content.decode()
    # The filter that is shown is the one applied: the cadre's own village lists their log.
    same = o.get(url, {"month": "2026-11", "cadre": world.cadre.pk, "village": world.village.pk})
    assert "召开支部会议" in same.content.decode()


# --- calendar: what the headline counts, and the legend ---------------------------------------------


def test_the_calendar_counts_in_the_reports_words_with_the_split_and_explains_its_marks(client, world, today):
    from django.utils import timezone

    K, S = PresenceRecord.Kind, PresenceRecord.Source
    for day, kind in [(16, K.IN_VILLAGE), (17, K.TRIP), (13, K.IN_VILLAGE)]:
        PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=dt.date(2026, 11, day),
                                      kind=kind, source=S.KEEPER, recorded_at=timezone.now())
    c = _as(client, world.owner)
    page = c.get(reverse("attendance:calendar", args=[world.cadre.pk]), {"month": "2026-11"})
    body = page.content.decode()
    headline = body.split('id="month-count">')[1].split("<br>")[0]
    assert ("Days counted (in the village and trips): <strong>3</strong> (In the village 2 + Official trip 1)"
            in headline)
    assert "Days required (pro-rated for days in post and leave): " in headline
    # The monthly report says the same in its columns.
    ws = load_workbook(BytesIO(c.get(reverse("attendance:monthly_report"), {"month": "2026-11"}).content)).active
    header = next(ws.iter_rows(min_row=3, max_row=3, values_only=True))
    row = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}["袁杰"]
    assert row[header.index("In the village")] == 2 and row[header.index("Official trip")] == 1
    assert row[header.index("Days counted (in the village and trips)")] == 3
    key = body.split('id="calendar-key"')[1].split("</ul>")[0]
    for mark in ("in_village", "trip", "leave", "absent", "missing", "rejected", "review", "day_off"):
        assert f'data-key="{mark}"' in key, mark
    assert "waiting for the county" in key.split('data-key="review"')[1].split("</li>")[0]
    assert 'data-key="outside"' not in key  # nothing served elsewhere in this reader's calendar
    # The cadre's page says it the same way.
    cadre_page = c.get(reverse("cadre_detail", args=[world.cadre.pk])).content.decode()
    assert "Days counted (in the village and trips): <strong>3</strong> (In the village 2 + Official trip 1)" in cadre_page


# --- leave: one cadre's leave ---------------------------------------------------------------------------


def test_the_leave_list_finds_one_cadres_leave_and_the_cadre_page_and_requests_lead_there(client, world, today):
    old = LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="sick",
                                      start=dt.date(2026, 2, 2), end=dt.date(2026, 2, 3), reason="住院",
                                      status="returned", actual_return_date=dt.date(2026, 2, 4))
    recent = _leave(world)
    member = LeaveRequest.objects.create(cadre=world.member, assignment=world.member_assignment, kind="personal",
                                         start=TODAY, end=TODAY, reason="家事", status="submitted")
    url = reverse("attendance:leave_list")
    t = _as(client, world.township_staff)

    def listed(**params):
        response = t.get(url, params)
        return response, {leave.pk for leave in response.context["page"]}

    response, pks = listed(cadre=world.cadre.pk)
    assert pks == {old.pk, recent.pk}  # February too, which the cadre's page no longer lists
    body = response.content.decode()
    # The cadre filter is shown, with a box that clears it; the list can go back to everyone.
    assert f'type="checkbox" name="cadre" value="{world.cadre.pk}" id="leave-cadre" checked' in body
    assert f'href="{url}">All leave</a>' in body and "Leave requests · 袁杰" in body
    assert listed(cadre=world.cadre.pk, status="returned")[1] == {old.pk}
    # A name typed into the search: part of it is enough; another name finds nothing.
    assert listed(name="李")[1] == {member.pk}
    response, pks = listed(name="王强")
    assert pks == set() and "No leave requests match these filters." in response.content.decode()
    # Outside the reader's area, as everywhere: not found.
    assert t.get(url, {"cadre": world.neighbour_cadre.pk}).status_code == 404
    assert _as(client, world.stranger).get(url, {"cadre": world.cadre.pk}).status_code == 404
    # A cadre reads only their own: no search for them.
    mine = _as(client, world.cadre_user).get(url, {"name": "李"})
    assert {leave.pk for leave in mine.context["page"]} == {old.pk, recent.pk}
    assert 'name="name"' not in mine.content.decode()
    # The cadre's page (last 90 days and ahead) and a request both lead to all of it.
    all_leave = f'{url}?cadre={world.cadre.pk}'
    cadre_page = t.get(reverse("cadre_detail", args=[world.cadre.pk])).content.decode()
    assert "2026-02-02" not in cadre_page and f'href="{all_leave}" id="cadre-leave-all"' in cadre_page
    detail = t.get(reverse("attendance:leave_detail", args=[recent.pk])).content.decode()
    assert f'href="{all_leave}" id="leave-all"' in detail


# --- monthly report: check-ins waiting for review, and its name ------------------------------------------


def test_monthly_report_marks_check_ins_awaiting_review_and_counts_them_as_the_calendar(client, world, today):
    from django.utils import timezone

    K, S, R = PresenceRecord.Kind, PresenceRecord.Source, PresenceRecord.Review
    for day, review in [(16, R.NEEDS_REVIEW), (17, R.OK)]:
        PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=dt.date(2026, 11, day),
                                      kind=K.IN_VILLAGE, source=S.SELF, recorded_at=timezone.now(),
                                      review_status=review)
    c = _as(client, world.owner)
    ws = load_workbook(BytesIO(c.get(reverse("attendance:monthly_report"), {"month": "2026-11"}).content)).active
    header = next(ws.iter_rows(min_row=3, max_row=3, values_only=True))
    rows = [r[2] for r in ws.iter_rows(min_row=4, values_only=True)]
    row = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}["袁杰"]
    assert (row[3 + 16], row[3 + 17]) == ("P", "√")
    assert "P: a check-in waiting for the county's review, counted as in the village" in ws["A2"].value
    line = 4 + rows.index("袁杰")
    assert ws.cell(row=line, column=4 + 16).fill.fgColor.rgb.endswith("FFF2CC")
    # Counted meanwhile, as the calendar counts it (and the month-end check: rejected ones only are not).
    cal = c.get(reverse("attendance:calendar", args=[world.cadre.pk]), {"month": "2026-11"}).context["cal"]
    assert row[header.index("In the village")] == 2
    assert row[header.index("Days counted (in the village and trips)")] == cal["in_village_days"] == 2
    assert row[header.index("Working days without a valid record (M and R)")] == sum(
        1 for d in cal["days"] if d["status"] in ("missing", "rejected"))


def test_a_townships_monthly_report_names_it_with_its_county_whoever_downloads_it(client, world, today):
    expected = f"{world.county.name}{world.township.name}"
    by_township = _as(client, world.township_staff).get(reverse("attendance:monthly_report"), {"month": "2026-10"})
    by_county = _as(client, world.owner).get(reverse("attendance:monthly_report"),
                                             {"month": "2026-10", "township": world.township.pk})
    for response in (by_township, by_county):
        assert response["Content-Disposition"].endswith(
            f"''Monthly%20attendance%20report-{quote(expected)}-2026-10.xlsx")
        assert load_workbook(BytesIO(response.content)).active["A1"].value == (
            f"Monthly attendance report {expected} 2026-10")
    city = _as(client, world.city_reviewer).get(reverse("attendance:monthly_report"), {"month": "2026-10"})
    assert quote(f"-{world.city.name}-2026-10.xlsx") in city["Content-Disposition"]


# --- one name per page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["leave_queue", "report_page"])
def test_the_attendance_menu_names_a_page_as_the_page_names_itself(client, world, today, name):
    import re

    body = _as(client, world.township_staff).get(reverse(f"attendance:{name}")).content.decode()
    nav = body.split('class="nav nav-pills')[1].split("</nav>")[0]
    label = re.search(rf'href="{reverse(f"attendance:{name}")}">([^<]+)</a>', nav).group(1)
    title = re.search(r"<title>([^<]+)</title>", body).group(1).strip()
    heading = re.search(r"<h1[^>]*>([^<]+)", body).group(1).strip()
    assert label == title == heading.split("·")[0].strip()
