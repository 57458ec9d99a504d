"""Village and dispatching-unit pages: create and edit through the services, refusals with
a message, and the vacancy hints on the village page."""
from __future__ import annotations

from django.urls import reverse

from assignments.models import DispatchingUnit, Region, Village
from tests.factories import CadreFactory


def test_county_staff_create_a_village_with_categories(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("village_create"), {
        "township": world.township.pk, "name": "新桥村", "code": "510824100203",
        "categories": ["relocation", "weak_party"],
    })
    village = Village.objects.get(code="510824100203")
    assert response.status_code == 302
    assert village.county == world.county
    assert village.category_list == ["relocation", "weak_party"]


def test_village_code_outside_the_township_is_refused(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("village_create"), {
        "township": world.township.pk, "name": "新桥村", "code": "510824101299",
    })
    assert response.status_code == 200
    assert "510824100" in " ".join(response.context["form"].errors["code"])
    assert not Village.objects.filter(name="新桥村").exists()


def test_township_of_another_county_is_not_a_choice(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("village_create"), {
        "township": world.neighbour_township.pk, "name": "新桥村", "code": "510823100299",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["township"]
    assert not Village.objects.filter(name="新桥村").exists()


def test_editing_a_village_keeps_its_categories_as_checkboxes(client, world):
    world.village.categories = Village.pack_categories(["poverty_exit"])
    world.village.save()
    client.force_login(world.owner)
    page = client.get(reverse("village_edit", args=[world.village.pk])).content.decode()
    assert 'type="checkbox"' in page and 'value="poverty_exit"' in page
    response = client.post(reverse("village_edit", args=[world.village.pk]), {
        "township": world.township.pk, "name": "山水新村", "code": world.village.code, "categories": [],
    })
    assert response.status_code == 302
    world.village.refresh_from_db()
    assert world.village.name == "山水新村" and world.village.categories == ""


def test_village_page_shows_vacancies(client, world):
    client.force_login(world.township_staff)
    page = client.get(reverse("village_detail", args=[world.village2.pk])).content.decode()
    assert 'id="vacancy-secretary"' in page and 'id="vacancy-understaffed"' in page
    # Read-only roles get no change buttons.
    assert reverse("assignment_create") not in page
    page = client.get(reverse("village_detail", args=[world.village.pk])).content.decode()
    assert 'id="vacancy-secretary"' not in page and 'id="vacancy-understaffed"' not in page


def test_county_staff_create_a_unit(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("unit_create"), {
        "name": "苍溪县水务局", "level": "county", "kind": "party_gov", "home_region": world.county.pk,
        "contact_person": "李四", "contact_phone": "0839-5222222",
    })
    assert response.status_code == 302
    assert DispatchingUnit.objects.get(name="苍溪县水务局").home_region == world.county


def test_duplicate_unit_name_is_refused(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("unit_create"), {
        "name": world.unit.name, "level": "county", "kind": "party_gov", "home_region": world.county.pk,
    })
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert DispatchingUnit.objects.filter(name=world.unit.name).count() == 1


def test_county_staff_cannot_edit_a_provincial_unit_they_can_read(client, world):
    client.force_login(world.owner)
    CadreFactory(unit=world.province_unit, county=world.county)
    assert client.get(reverse("unit_detail", args=[world.province_unit.pk])).status_code == 200
    assert client.get(reverse("unit_edit", args=[world.province_unit.pk])).status_code == 403


def test_unit_page_lists_only_the_units_cadres_in_scope(client, world):
    client.force_login(world.liaison)
    response = client.get(reverse("unit_detail", args=[world.unit.pk]))
    assert {c.name for c in response.context["page"]} == {world.cadre.name, world.member.name}
    assert reverse("unit_edit", args=[world.unit.pk]) not in response.content.decode()


def test_a_village_name_already_in_the_township_is_refused_on_the_form(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("village_create"), {
        "township": world.township.pk, "name": "山水村", "code": "510824100203",
    })
    assert response.status_code == 200
    assert "山水村" in " ".join(response.context["form"].errors["name"])
    assert Village.objects.filter(name="山水村").count() == 1


def test_a_township_name_already_in_the_county_is_refused_on_the_form(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("township_create"), {"name": "云峰镇", "code": "510824102"})
    assert response.status_code == 200
    assert "云峰镇" in " ".join(response.context["form"].errors["name"])
    assert Region.objects.filter(name="云峰镇").count() == 1


def test_a_unit_contact_phone_that_is_no_phone_number_is_refused_on_the_form(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("unit_create"), {
        "name": "苍溪县水务局", "level": "county", "kind": "party_gov", "home_region": world.county.pk,
        "contact_person": "李四", "contact_phone": "abc",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["contact_phone"]
    assert not DispatchingUnit.objects.filter(name="苍溪县水务局").exists()


def test_a_too_long_text_is_refused_in_our_words_not_djangos(client, world):
    # Django's own Chinese says "确保该变量包含不超过 32 字符"; the project's catalogue rewords it.
    client.force_login(world.owner)
    response = client.post(reverse("unit_create"), {
        "name": "苍溪县水务局", "level": "county", "kind": "party_gov", "home_region": world.county.pk,
        "contact_person": "李" * 40, "contact_phone": "",
    })
    body = response.content.decode()
    assert "最多32个字（现有40个）。" in body and "变量" not in body
    assert not DispatchingUnit.objects.filter(name="苍溪县水务局").exists()


def test_list_filters_offer_all_instead_of_dashes(client, world):
    client.force_login(world.owner)
    for name in ("village_list", "cadre_list", "unit_list"):
        body = client.get(reverse(name)).content.decode()
        assert "---------" not in body, name
    assert "全部乡镇" in client.get(reverse("village_list")).content.decode()
