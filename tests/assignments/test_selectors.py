"""The scoping gate: what each role can read and change."""
from assignments import selectors


def test_county_staff_see_only_their_county(world):
    names = set(selectors.cadres_for_user(world.owner).values_list("name", flat=True))
    assert names == {"袁杰", "李明"}
    assert set(selectors.villages_for_user(world.stranger).values_list("name", flat=True)) == {"柳沟村"}


def test_city_reviewer_sees_their_city_not_another(world):
    names = set(selectors.cadres_for_user(world.city_reviewer).values_list("name", flat=True))
    assert names == {"袁杰", "李明", "王强"}
    assert not selectors.cadres_for_user(world.other_city_reviewer).filter(name="袁杰").exists()


def test_province_reviewer_reads_everything_but_manages_nothing(world):
    assert selectors.cadres_for_user(world.province_reviewer).count() == 4
    assert selectors.managed_county(world.province_reviewer) is None


def test_township_staff_see_cadres_serving_in_their_township(world):
    assert set(selectors.cadres_for_user(world.township_staff).values_list("name", flat=True)) == {"袁杰", "李明"}
    assert set(selectors.villages_for_user(world.township_staff).values_list("name", flat=True)) == {"山水村", "白桥村"}


def test_unit_liaison_sees_their_units_cadres(world):
    assert set(selectors.cadres_for_user(world.liaison).values_list("name", flat=True)) == {"袁杰", "李明"}
    assert list(selectors.units_for_user(world.liaison)) == [world.unit]


def test_cadre_sees_only_themselves(world):
    assert list(selectors.cadres_for_user(world.cadre_user)) == [world.cadre]
    assert list(selectors.assignments_for_user(world.cadre_user)) == [world.assignment]


def test_full_id_number_only_for_staff_of_the_cadres_county(world):
    assert selectors.can_see_full_id_number(world.owner, world.cadre)
    assert not selectors.can_see_full_id_number(world.stranger, world.cadre)
    assert not selectors.can_see_full_id_number(world.province_reviewer, world.cadre)
    assert not selectors.can_see_full_id_number(world.cadre_user, world.cadre)


def test_unit_scope_follows_cadres_into_other_counties(world):
    # The neighbouring county's unit has a cadre in the neighbour county, not ours.
    assert world.other_unit not in selectors.units_for_user(world.owner)
    assert world.province_unit in selectors.units_selectable_for_user(world.owner)


def test_identity_rule_full_for_the_cadres_own_county_only(world):
    own = selectors.cadre_identity_for_user(world.owner, world.cadre)
    assert (own.id_number, own.birth) == (world.cadre.id_number, world.cadre.birth_date)
    for user in (world.stranger, world.city_reviewer, world.province_reviewer, world.liaison, world.township_staff):
        seen = selectors.cadre_identity_for_user(user, world.cadre)
        assert (seen.id_number, seen.birth_date, seen.birth) == (world.cadre.masked_id_number, None, "1985")
