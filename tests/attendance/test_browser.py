"""On a phone-sized headless Chromium: the cadre checks in and asks for 2 days' leave, township
staff approve it, the cadre reports back (销假), and the month calendar shows it all."""
import datetime as dt
import re

import pytest

from attendance.models import LeaveRequest, PresenceRecord

from ..conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.attendance.urls")]

TODAY = dt.date(2026, 11, 18)
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser):
    contexts = []

    def new_page():
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        return pg

    yield new_page
    for context in contexts:
        context.close()


def test_checkin_leave_approval_return_and_calendar_on_a_phone(world, live_server, phone, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    cadre = phone()
    browser_login(cadre, live_server, "cadre")
    cadre.goto(f"{live_server.url}/attendance/")
    button = cadre.locator("#checkin-button")
    assert button.bounding_box()["width"] <= PHONE["width"]
    button.click()
    cadre.wait_for_selector("#today-status")
    assert PresenceRecord.objects.get(cadre=world.cadre).date == TODAY
    # No horizontal scrolling on a 360 px screen.
    assert cadre.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    cadre.goto(f"{live_server.url}/attendance/leave/new/")
    cadre.select_option("select[name=kind]", "personal")
    cadre.fill("input[name=start]", "2026-11-16")
    cadre.fill("input[name=end]", "2026-11-17")
    cadre.fill("textarea[name=reason]", "回家处理私事")
    cadre.locator("form:has(textarea[name=reason]) [type=submit]").click()
    cadre.wait_for_url(re.compile(r"/attendance/leave/\d+/$"))
    leave = LeaveRequest.objects.get(cadre=world.cadre)
    assert leave.days == 2 and leave.status == "submitted"

    township = phone()
    browser_login(township, live_server, "township")
    township.goto(f"{live_server.url}/attendance/leave/queue/")
    township.locator(f"a[href='/attendance/leave/{leave.pk}/']").click()
    township.locator("button[value=approve]").click()
    township.wait_for_selector("#leave-status")
    leave.refresh_from_db()
    assert leave.status == "approved"

    cadre.goto(f"{live_server.url}/attendance/leave/{leave.pk}/")
    cadre.fill("input[name=actual_return_date]", "2026-11-17")  # back a day early
    cadre.locator("form[action$='/return/'] button").click()
    cadre.wait_for_selector("#leave-status")
    leave.refresh_from_db()
    assert leave.status == "returned"

    cadre.goto(f"{live_server.url}/attendance/calendar/?month=2026-11")
    assert cadre.locator("td[data-date='2026-11-16']").get_attribute("data-status") == "leave"
    assert cadre.locator("td[data-date='2026-11-17']").get_attribute("data-status") == "missing"
    assert cadre.locator("td[data-date='2026-11-18']").get_attribute("data-status") == "in_village"
    assert "1" in cadre.locator("#month-count strong").inner_text()


def test_the_keeper_marks_everyone_not_yet_chosen_as_in_the_village(world, live_server, phone, monkeypatch):
    # A township keeper with a page of cadres: one button ticks "in the village" for every row
    # not chosen yet; rows already recorded or already chosen stay as they are, and nothing is
    # saved until "Save the day".
    from django.utils import timezone

    from tests.factories import AssignmentFactory, CadreFactory

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    third = AssignmentFactory(cadre=CadreFactory(name="周平", unit=world.unit, county=world.county),
                              village=world.village2, start_date=TODAY - dt.timedelta(days=30))
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=TODAY,
                                  kind=PresenceRecord.Kind.IN_VILLAGE, source=PresenceRecord.Source.SELF,
                                  recorded_by=world.cadre_user, recorded_at=timezone.now())
    township = phone()
    browser_login(township, live_server, "township")
    township.goto(f"{live_server.url}/attendance/keeper/?day={TODAY.isoformat()}")
    assert "1" in township.locator("#keeper-count").inner_text()
    township.locator(f"label[for='k{world.member.pk}absent']").click()
    township.locator("#mark-rest-present").click()
    assert PresenceRecord.objects.filter(date=TODAY).count() == 1  # ticking saves nothing
    township.locator("form:has(#mark-rest-present) button.btn-primary").click()
    township.wait_for_selector(".alert-success")
    kinds = dict(PresenceRecord.objects.filter(date=TODAY).values_list("cadre_id", "kind"))
    assert kinds == {world.cadre.pk: "in_village", world.member.pk: "absent", third.cadre_id: "in_village"}
    assert PresenceRecord.objects.get(cadre=world.cadre, date=TODAY).source == PresenceRecord.Source.SELF
