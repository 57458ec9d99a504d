"""An inspection's team outcomes, as each reader may see them: a liaison their unit's cadres, a
cadre themselves; staff and reviewers of the village's area the whole team."""
import datetime as dt

import pytest
from django.urls import reverse

from assignments.supervision import selectors, services
from tests.factories import AssignmentFactory, CadreFactory

pytestmark = pytest.mark.urls("tests.supervision.urls")

TODAY = dt.date(2026, 11, 18)
DAY = dt.date(2026, 11, 10)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


@pytest.fixture
def inspection(world, today):
    """山水村's team: 袁杰 and 李明 of the liaison's unit, and 赵丽 of a provincial unit; 赵丽 and
    李明 were found absent without leave."""
    world.outsider = CadreFactory(name="赵丽", unit=world.province_unit, county=world.county)
    AssignmentFactory(cadre=world.outsider, village=world.village)
    return services.inspection_create(user=world.owner, village=world.village, kind="unannounced", date=DAY,
                                      inspectors="督查组", absent_cadre_ids=[world.outsider.pk, world.member.pk])


def _names(world, user, inspection):
    return {m.cadre.name for m in selectors.inspection_members_for_user(user=user, inspection=inspection)}


def test_each_reader_gets_the_outcomes_of_the_cadres_the_gate_shows_them(world, inspection):
    team = {"袁杰", "李明", "赵丽"}
    for user in (world.owner, world.township_staff, world.city_reviewer, world.province_reviewer):
        assert _names(world, user, inspection) == team
    assert _names(world, world.liaison, inspection) == {"袁杰", "李明"}
    assert _names(world, world.cadre_user, inspection) == {"袁杰"}


def test_the_liaisons_page_leaves_out_another_units_cadre_and_says_the_list_is_partial(client, world, inspection):
    url = reverse("supervision:inspection_detail", args=[inspection.pk])
    client.force_login(world.liaison)
    html = client.get(url).content.decode()
    assert "李明" in html and "Absent without leave" in html  # their own cadre's outcome
    assert "赵丽" not in html
    assert 'id="members-partial"' in html


def test_a_cadre_sees_only_their_own_outcome(client, world, inspection):
    client.force_login(world.cadre_user)
    html = client.get(reverse("supervision:inspection_detail", args=[inspection.pk])).content.decode()
    assert "袁杰" in html and "Present" in html
    assert "李明" not in html and "赵丽" not in html and "Absent without leave" not in html
    assert 'id="members-partial"' in html


def test_county_and_township_staff_see_the_whole_team_and_no_partial_note(client, world, inspection):
    for user in (world.owner, world.township_staff):
        client.force_login(user)
        html = client.get(reverse("supervision:inspection_detail", args=[inspection.pk])).content.decode()
        assert all(name in html for name in ("袁杰", "李明", "赵丽"))
        assert html.count("Absent without leave") == 2
        assert 'id="members-partial"' not in html
