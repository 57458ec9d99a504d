"""In a real browser: a county officer registers a cadre, assigns them, sees the team."""
import datetime as dt
import os
import re

import pytest

from assignments.models import AnnualAssessment, Assignment, Cadre

from ..conftest import browser_login
from ..factories import make_id_number

pytestmark = pytest.mark.browser


def test_county_officer_registers_assigns_and_sees_cadre_on_village_page(world, live_server, page):
    browser_login(page, live_server, "owner")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    page.goto(f"{live_server.url}/cadres/new/")
    birth = dt.date(1991, 8, 8)
    page.fill("input[name=name]", "周晓梅")
    page.fill("input[name=id_number]", make_id_number(birth, seq=7, gender="F"))
    page.select_option("select[name=gender]", "F")
    page.fill("input[name=birth_date]", birth.isoformat())
    page.select_option("select[name=education]", "bachelor")
    page.fill("input[name=mobile]", "13512345678")
    page.select_option("select[name=unit]", str(world.unit.pk))
    page.locator("form:has(input[name=id_number]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/cadres/\d+/$"))
    cadre = Cadre.objects.get(name="周晓梅")
    assert cadre.county == world.county

    # From the cadre page to the assignment form, as the officer would click.
    page.locator(f"a[href*='/assignments/new/?cadre={cadre.pk}']").click()
    page.select_option("select[name=village]", str(world.village2.pk))
    page.select_option("select[name=role]", Assignment.Role.FIRST_SECRETARY)
    page.fill("input[name=start_date]", "2026-03-01")
    page.locator("form:has(select[name=village]) [type=submit]").click()
    page.wait_for_url(re.compile(rf"/villages/{world.village2.pk}/$"))

    page.goto(f"{live_server.url}/villages/{world.village2.pk}/")
    team = page.locator("main")
    assert "周晓梅" in team.inner_text()
    assert Assignment.objects.get(cadre=cadre, end_date__isnull=True).village == world.village2
    if os.environ.get("ZHUCUN_SCREENSHOTS"):  # refresh the README's pictures on demand
        page.screenshot(path="docs/screenshots/village-detail.png", full_page=True)


def test_a_long_text_box_counts_what_is_left_and_turns_red_at_the_limit(world, live_server, page):
    browser_login(page, live_server, "owner")
    page.goto(f"{live_server.url}/supervision/assessments/new/?cadre={world.cadre.pk}&year=2025")
    box = page.locator("textarea[name=comments]")
    counter = box.locator("xpath=following-sibling::div[contains(@class, 'form-text')][1]")
    assert counter.inner_text() == "0 / 2000"
    box.fill("好" * 2500)  # more than the box holds: the browser keeps 2,000
    assert counter.inner_text() == "2000 / 2000" and "text-danger" in counter.get_attribute("class")


def test_one_click_of_save_on_a_new_assessment_records_nothing_and_asks_for_a_grade(world, live_server, page):
    browser_login(page, live_server, "owner")
    page.goto(f"{live_server.url}/supervision/assessments/new/?cadre={world.cadre.pk}&year=2025")
    assert page.locator("select[name=grade]").input_value() == ""
    page.locator("form:has(select[name=grade]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert not AnnualAssessment.objects.exists()
    assert "请选择考核等次。" in page.locator("main").inner_text()  # Chinese, the default language


@pytest.mark.parametrize("width", [1024, 1200])
def test_in_english_the_navbar_fits_the_window_and_the_user_menu_stays_reachable(world, live_server, page, width):
    # English role names run about twice as wide as Chinese: "李娜 · County organisation
    # department staff · 苍溪县" beside the links once pushed the page 124 px sideways at 1024.
    world.owner.first_name = "李娜"
    world.owner.save()
    browser_login(page, live_server, "owner")
    page.locator("footer button[value=en]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    page.set_viewport_size({"width": width, "height": 900})

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    whoami = page.locator(".app-whoami")
    assert whoami.get_attribute("title") == "李娜 · County organisation department staff · 苍溪县"
    box = whoami.bounding_box()
    assert box["x"] + box["width"] <= width
    whoami.click()
    logout = page.get_by_role("button", name="Log out")
    assert logout.is_visible()
    box = logout.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
