"""Browser: a province reviewer drills from the province to a city, a county and a cadre, and
downloads an export. With ZHUCUN_SCREENSHOTS set, screenshots go to docs/screenshots/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import browser_login

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(page, name: str) -> None:
    if os.environ.get("ZHUCUN_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_province_reviewer_drills_down_and_exports(world, live_server, page):
    browser_login(page, live_server, "province")
    page.goto(f"{live_server.url}/dashboard/")
    table = page.locator("[data-testid=region-table]")
    table.get_by_role("link", name="广元市").click()
    page.wait_for_load_state("networkidle")
    assert "广元市" in page.locator(".breadcrumb").inner_text()
    _shot(page, "dashboard-city")
    page.locator("[data-testid=region-table]").get_by_role("link", name="苍溪县").click()
    page.wait_for_load_state("networkidle")
    crumbs = page.locator(".breadcrumb").inner_text()
    assert "四川省" in crumbs and "苍溪县" in crumbs
    assert page.locator("[data-testid=active-cadres]").inner_text().strip() == "2"
    with page.expect_download() as download_info:
        page.locator("[data-testid=export-regions]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert Path(download.path()).stat().st_size > 1000
    page.locator("[data-testid=cadre-table]").get_by_role("link", name="袁杰").click()
    page.wait_for_load_state("networkidle")
    assert f"/cadres/{world.cadre.id}/" in page.url
    assert "袁杰" in page.content()


SQUARE = '{{"type": "Polygon", "coordinates": [[[{x}, 32], [{x1}, 32], [{x1}, 33], [{x}, 33], [{x}, 32]]]}}'

# The text of the tooltips ECharts draws as absolutely placed divs in the chart's box.
TOOLTIP = """(sel) => [...document.querySelectorAll(sel + ' > div')]
    .filter(d => getComputedStyle(d).position === 'absolute').map(d => d.innerText.trim()).filter(t => t)
    .join(' | ')"""


@pytest.mark.django_db(transaction=True)
def test_in_english_the_charts_tooltips_give_each_figure_once_with_its_unit(world, live_server, page):
    from django.utils import timezone

    from attendance.models import PresenceRecord
    from attendance.summaries import presence_summaries_refresh

    from .test_dashboard import _last_working_day

    day = _last_working_day(timezone.localdate())
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=day, kind="in_village",
                                  source="self", recorded_at=timezone.now())
    presence_summaries_refresh(days=[day])
    for county, x in ((world.county, 106), (world.neighbour_county, 105)):
        county.boundary = SQUARE.format(x=x, x1=x + 1)
        county.save(update_fields=["boundary"])
    browser_login(page, live_server, "city")
    page.locator("footer button[value=en]").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_function("() => echarts.getInstanceByDom(document.getElementById('region-map'))")

    page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('trend-chart'))
        .dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0})""")
    page.wait_for_function(f"() => ({TOOLTIP})('#trend-chart').includes('Presence rate')")
    # 广元市 that day: 1 of its 3 cadres present (苍溪县 1 of 2, 剑阁县 0 of 1).
    assert page.evaluate(TOOLTIP, "#trend-chart").split("\n") == [f"{day:%m-%d}", "Presence rate", "33.3%"]

    page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('region-map'))
        .dispatchAction({type: 'showTip', seriesIndex: 0, name: '苍溪县'})""")
    page.wait_for_function(f"() => ({TOOLTIP})('#region-map').includes('苍溪县')")
    tip = page.evaluate(TOOLTIP, "#region-map")
    assert tip.split("\n") == ["苍溪县", "Presence rate, last 30 days: 50%"], tip


@pytest.mark.django_db(transaction=True)
def test_in_english_the_region_table_fits_1366_px_and_card_titles_keep_clear_of_their_links(world, live_server,
                                                                                           page):
    browser_login(page, live_server, "province")
    page.locator("footer button[value=en]").click()
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/dashboard/")
    # English headers once made the table 1399 px in its 1340 px box ("Replacements owed" cut off).
    assert page.evaluate("""() => { const t = document.querySelector('[data-testid=region-table]');
        return t.scrollWidth <= t.parentElement.clientWidth; }""")
    page.set_viewport_size({"width": 800, "height": 900})  # three narrow cards side by side
    gaps = page.evaluate("""() => [...document.querySelectorAll('.card-header')]
        .filter(h => h.querySelector(':scope > a') && h.querySelector(':scope > span'))
        .map(h => h.querySelector(':scope > a').getBoundingClientRect().left
                  - h.querySelector(':scope > span').getBoundingClientRect().right)""")
    assert len(gaps) >= 4 and min(gaps) >= 4, gaps
