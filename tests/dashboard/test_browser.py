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
