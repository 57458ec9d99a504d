"""The shared world: two cities, three counties, and the same users in every test.

Sichuan (51) ── 广元市 (5108) ── 苍溪县 (510824) ── 陵江镇 (510824100) ── 山水村, 白桥村
            │                 └─ 剑阁县 (510823) ── 普安镇 (510823100) ── 柳沟村
            └─ 成都市 (5101) ── 金堂县 (510121) ── 赵镇 (510121100) ── 三星村

`owner` is county staff of 苍溪县, `colleague` is another 苍溪县 officer, `stranger` is county
staff of 剑阁县. Reviewers, township staff, a unit liaison and a cadre complete the roles.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest

from assignments.models import Assignment, Profile, Region

from .factories import AssignmentFactory, CadreFactory, RegionFactory, UnitFactory, VillageFactory, make_user

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _restore_migration_data() -> None:
    """Rows that data migrations create (the default training requirement, beat schedules)
    vanish when a live-server test flushes the database; put them back for later tests."""
    import importlib

    from django.apps import apps

    for module in ("training.migrations.0002_default_requirement_and_schedule",
                   "assignments.migrations.0005_replacement_sync_schedule",
                   "assignments.migrations.0009_export_prune_schedule"):
        importlib.import_module(module).forwards(apps, None)


@pytest.fixture
def world(db):
    _restore_migration_data()
    W = type("World", (), {})()
    W.province = RegionFactory(code="510000", name="四川省", level=Region.Level.PROVINCE)
    W.city = RegionFactory(code="510800", name="广元市", level=Region.Level.CITY, parent=W.province)
    W.other_city = RegionFactory(code="510100", name="成都市", level=Region.Level.CITY, parent=W.province)
    W.county = RegionFactory(code="510824", name="苍溪县", parent=W.city)
    W.neighbour_county = RegionFactory(code="510823", name="剑阁县", parent=W.city)
    W.far_county = RegionFactory(code="510121", name="金堂县", parent=W.other_city)
    W.township = RegionFactory(code="510824100", name="陵江镇", level=Region.Level.TOWNSHIP, parent=W.county)
    W.other_township = RegionFactory(code="510824101", name="云峰镇", level=Region.Level.TOWNSHIP, parent=W.county)
    W.neighbour_township = RegionFactory(
        code="510823100", name="普安镇", level=Region.Level.TOWNSHIP, parent=W.neighbour_county
    )
    W.far_township = RegionFactory(code="510121100", name="赵镇", level=Region.Level.TOWNSHIP, parent=W.far_county)

    W.village = VillageFactory(name="山水村", code="510824100201", township=W.township)
    W.village2 = VillageFactory(name="白桥村", code="510824100202", township=W.township)
    W.village3 = VillageFactory(name="红星村", code="510824101201", township=W.other_township)
    W.neighbour_village = VillageFactory(name="柳沟村", code="510823100201", township=W.neighbour_township)
    W.far_village = VillageFactory(name="三星村", code="510121100201", township=W.far_township)

    W.unit = UnitFactory(name="苍溪县农业农村局", home_region=W.county)
    W.other_unit = UnitFactory(name="剑阁县财政局", home_region=W.neighbour_county)
    W.province_unit = UnitFactory(name="四川省农业农村厅", level="province", home_region=W.province)

    W.cadre = CadreFactory(name="袁杰", unit=W.unit, county=W.county, birth_date=dt.date(1985, 3, 12))
    W.member = CadreFactory(name="李明", unit=W.unit, county=W.county)
    W.neighbour_cadre = CadreFactory(name="王强", unit=W.other_unit, county=W.neighbour_county)
    W.far_cadre = CadreFactory(name="张华", unit=W.province_unit, county=W.far_county)

    W.assignment = AssignmentFactory(cadre=W.cadre, village=W.village, role=Assignment.Role.FIRST_SECRETARY)
    W.member_assignment = AssignmentFactory(cadre=W.member, village=W.village)
    W.neighbour_assignment = AssignmentFactory(
        cadre=W.neighbour_cadre, village=W.neighbour_village, role=Assignment.Role.FIRST_SECRETARY
    )
    W.far_assignment = AssignmentFactory(cadre=W.far_cadre, village=W.far_village)

    R = Profile.Role
    W.owner = make_user("owner", R.COUNTY, region=W.county)
    W.colleague = make_user("colleague", R.COUNTY, region=W.county)
    W.stranger = make_user("stranger", R.COUNTY, region=W.neighbour_county)
    W.province_reviewer = make_user("province", R.PROVINCE, region=W.province)
    W.city_reviewer = make_user("city", R.CITY, region=W.city)
    W.other_city_reviewer = make_user("other_city", R.CITY, region=W.other_city)
    W.township_staff = make_user("township", R.TOWNSHIP, region=W.township)
    W.liaison = make_user("liaison", R.UNIT, unit=W.unit)
    W.cadre_user = make_user("cadre", R.CADRE, cadre=W.cadre)
    W.today = dt.date.today()
    return W


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`).

    Outside CI a machine without Chromium skips browser tests with a clear reason; in CI a
    missing browser is a failure, since .ci/run installs it."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must apt-get install chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def browser_login(page, live_server, username: str, password: str = "pw-123456") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form [type=submit]").first.click()
    page.wait_for_load_state("networkidle")
