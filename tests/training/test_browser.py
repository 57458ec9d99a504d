"""In headless Chromium: county staff create a 3-day county course, record a cadre's
attendance, and see that cadre's training requirement turn from unmet to met."""
import pytest

from training.models import TrainingCourse, TrainingRecord

from ..conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.training.urls")]


def _requirement(page, world):
    return page.locator(f"#cadre-training li[data-requirement='{world.requirement.pk}']")


def test_county_course_and_attendance_turn_the_requirement_met(tw, live_server, page):
    browser_login(page, live_server, "owner")
    cadre_url = f"{live_server.url}/training/cadres/{tw.member.pk}/"
    page.goto(cadre_url)
    assert _requirement(page, tw).get_attribute("data-met") == "no"

    page.goto(f"{live_server.url}/training/courses/new/")
    page.fill("input[name=title]", "苍溪县驻村第一书记示范培训班")
    page.select_option("select[name=organiser_level]", "county")
    page.fill("input[name=start_date]", "2026-10-12")
    page.fill("input[name=end_date]", "2026-10-14")
    page.fill("input[name=days]", "3")
    page.fill("input[name=hours]", "24")
    page.fill("input[name=location]", "苍溪县委党校")
    page.check("input[name=topics][value=party]")
    page.locator("form:has(input[name=title]) [type=submit]").click()
    page.wait_for_url("**/records/")
    course = TrainingCourse.objects.get(title="苍溪县驻村第一书记示范培训班")
    assert (course.managed_by, course.days) == (tw.county, 3)

    page.check(f"input[name=cadres][value='{tw.member.pk}']")
    page.locator("form:has(input[name=days_attended]) [type=submit]").click()
    page.wait_for_url(f"**/training/courses/{course.pk}/")
    assert page.locator("#records").inner_text().count("李明") == 1
    assert TrainingRecord.objects.get(course=course).cadre == tw.member

    page.goto(cadre_url)
    item = _requirement(page, tw)
    assert item.get_attribute("data-met") == "yes"
    assert "苍溪县驻村第一书记示范培训班" in item.inner_text()
