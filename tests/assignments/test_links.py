"""A name is a link only where its page opens for the reader: cadres and villages a page names
through another path (a village's team, a cadre's earlier postings) stay plain text otherwise,
and whether they open is one query for the whole page."""
from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments import selectors
from assignments.models import Assignment
from tests.factories import AssignmentFactory, CadreFactory


def _href(html: str, url: str) -> bool:
    return f'href="{url}"' in html


def _moved_from_another_township(world):
    """史建国 served in 红星村 (云峰镇) and now serves in 山水村 (陵江镇, the township staff's)."""
    cadre = CadreFactory(name="史建国", unit=world.unit, county=world.county)
    AssignmentFactory(cadre=cadre, village=world.village3, start_date=dt.date(2023, 11, 10),
                      end_date=dt.date(2025, 11, 9), end_reason=Assignment.EndReason.ADJUSTMENT)
    AssignmentFactory(cadre=cadre, village=world.village, start_date=dt.date(2025, 11, 10))
    return cadre


def test_the_gate_says_which_of_a_pages_ids_open_in_one_query(world, django_assert_num_queries):
    ids = [world.cadre.pk, world.member.pk, world.neighbour_cadre.pk, world.far_cadre.pk, None]
    selectors.scope_for_user(world.township_staff)  # resolved once per request, as in a view
    with django_assert_num_queries(1):
        assert selectors.cadres_openable(world.township_staff, ids) == {world.cadre.pk, world.member.pk}
    villages = [world.village.pk, world.village3.pk, world.far_village.pk]
    assert selectors.villages_openable(world.township_staff, villages) == {world.village.pk}
    assert selectors.villages_openable(world.owner, villages) == {world.village.pk, world.village3.pk}
    assert selectors.units_openable(world.liaison, [world.unit.pk, world.other_unit.pk]) == {world.unit.pk}
    with django_assert_num_queries(0):  # nothing to ask about
        assert selectors.cadres_openable(world.owner, []) == set()


def test_township_staff_read_a_moved_cadres_other_township_village_without_a_link(client, world):
    cadre = _moved_from_another_township(world)
    client.force_login(world.township_staff)
    html = client.get(reverse("cadre_detail", args=[cadre.pk])).content.decode()
    assert "云峰镇 红星村" in html and not _href(html, reverse("village_detail", args=[world.village3.pk]))
    assert _href(html, reverse("village_detail", args=[world.village.pk]))
    assert client.get(reverse("village_detail", args=[world.village3.pk])).status_code == 404
    # County staff open both.
    client.force_login(world.owner)
    html = client.get(reverse("cadre_detail", args=[cadre.pk])).content.decode()
    assert _href(html, reverse("village_detail", args=[world.village3.pk]))


def test_a_liaison_opens_their_own_units_cadres_from_a_village_page_and_reads_the_others(client, world):
    other = CadreFactory(name="赵丽", unit=world.province_unit, county=world.county)
    AssignmentFactory(cadre=other, village=world.village)
    gone = CadreFactory(name="钱进", unit=world.province_unit, county=world.county)
    AssignmentFactory(cadre=gone, village=world.village, start_date=dt.date(2024, 1, 1),
                      end_date=dt.date(2025, 1, 1), end_reason=Assignment.EndReason.ROTATION)
    client.force_login(world.liaison)
    html = client.get(reverse("village_detail", args=[world.village.pk])).content.decode()
    for cadre in (world.cadre, world.member):
        assert _href(html, reverse("cadre_detail", args=[cadre.pk]))
    for cadre in (other, gone):  # the current team and the past one alike
        assert cadre.name in html and not _href(html, reverse("cadre_detail", args=[cadre.pk]))
        assert client.get(reverse("cadre_detail", args=[cadre.pk])).status_code == 404
    # County staff open every one of them.
    client.force_login(world.owner)
    html = client.get(reverse("village_detail", args=[world.village.pk])).content.decode()
    assert all(_href(html, reverse("cadre_detail", args=[c.pk])) for c in (world.cadre, world.member, other, gone))


def test_a_cadre_opens_only_their_own_page_from_their_villages_team(client, world):
    client.force_login(world.cadre_user)
    html = client.get(reverse("village_detail", args=[world.village.pk])).content.decode()
    assert _href(html, reverse("cadre_detail", args=[world.cadre.pk]))
    assert world.member.name in html and not _href(html, reverse("cadre_detail", args=[world.member.pk]))


def test_township_staff_read_where_a_cadre_who_left_serves_now_without_a_link(client, world):
    """李明 served in 陵江镇 and moved to 云峰镇: still in the township's cadre list, but his
    village now is another township's."""
    Assignment.objects.filter(pk=world.member_assignment.pk).update(
        end_date=dt.date(2025, 12, 31), end_reason=Assignment.EndReason.ADJUSTMENT)
    AssignmentFactory(cadre=world.member, village=world.village3, start_date=dt.date(2026, 1, 1))
    client.force_login(world.township_staff)
    html = client.get(reverse("cadre_list")).content.decode()
    assert "云峰镇 红星村" in html and not _href(html, reverse("village_detail", args=[world.village3.pk]))
    assert _href(html, reverse("village_detail", args=[world.village.pk]))  # 袁杰's, in the township
    unit = client.get(reverse("unit_detail", args=[world.unit.pk])).content.decode()
    assert "云峰镇 红星村" in unit and not _href(unit, reverse("village_detail", args=[world.village3.pk]))


def test_the_village_page_asks_once_whatever_the_size_of_the_team(client, world):
    client.force_login(world.liaison)
    url = reverse("village_detail", args=[world.village.pk])
    client.get(url)  # warm the session and the scope

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    before = queries()
    for n in range(4):
        cadre = CadreFactory(unit=world.province_unit, county=world.county)
        AssignmentFactory(cadre=cadre, village=world.village, start_date=dt.date(2020 + n, 1, 1),
                          end_date=dt.date(2020 + n, 6, 1), end_reason=Assignment.EndReason.ROTATION)
    after = queries()
    assert after == before
    html = client.get(url).content.decode()
    assert len(re.findall(r'href="/cadres/\d+/"', html)) == 2  # still only the liaison's two

