"""Roster writes: every rule, with bad input saving nothing."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from assignments import services
from assignments.models import Assignment, Cadre, DispatchingUnit, Region, Village

from ..factories import make_id_number


def cadre_fields(world, **over):
    birth = dt.date(1990, 5, 17)
    fields = dict(
        name="陈静", gender="F", birth_date=birth, ethnicity="汉族", political_status="member",
        education="bachelor", rank="四级主任科员", id_number=make_id_number(birth, seq=42),
        mobile="13900001111", unit=world.unit,
    )
    fields.update(over)
    return fields


def test_county_staff_register_a_cadre_in_their_county(world):
    cadre = services.cadre_create(user=world.owner, **cadre_fields(world))
    assert cadre.county == world.county
    assert cadre.history.count() == 1


def test_bad_id_check_character_is_refused_in_chinese_and_nothing_saved(world):
    good = make_id_number(dt.date(1990, 5, 17), seq=42)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.cadre_create(user=world.owner, **cadre_fields(world, id_number=bad))
    assert "id_number" in exc.value.message_dict
    assert not Cadre.objects.filter(name="陈静").exists()


def test_birth_date_must_match_the_id_number(world):
    with pytest.raises(ValidationError) as exc:
        services.cadre_create(user=world.owner, **cadre_fields(world, birth_date=dt.date(1990, 5, 18)))
    assert "birth_date" in exc.value.message_dict


def test_duplicate_id_number_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.cadre_create(user=world.owner, **cadre_fields(world, id_number=world.cadre.id_number,
                                                               birth_date=world.cadre.birth_date))
    assert "id_number" in exc.value.message_dict


def test_mobile_must_have_11_digits(world):
    with pytest.raises(ValidationError) as exc:
        services.cadre_create(user=world.owner, **cadre_fields(world, mobile="1390000111"))
    assert "mobile" in exc.value.message_dict


def test_reviewers_and_other_roles_cannot_register_cadres(world):
    for user in (world.province_reviewer, world.city_reviewer, world.township_staff, world.liaison, world.cadre_user):
        with pytest.raises(PermissionDenied):
            services.cadre_create(user=user, **cadre_fields(world))
    assert not Cadre.objects.filter(name="陈静").exists()


def test_stranger_cannot_edit_our_cadre(world):
    with pytest.raises(PermissionDenied):
        services.cadre_update(user=world.stranger, cadre=world.cadre, **cadre_fields(world))


def test_assign_a_new_cadre_as_team_leader(world):
    cadre = services.cadre_create(user=world.owner, **cadre_fields(world))
    a = services.assignment_create(user=world.owner, cadre=cadre, village=world.village2,
                                   role=Assignment.Role.TEAM_LEADER, start_date=dt.date(2026, 3, 1))
    assert a.planned_end_date == dt.date(2028, 3, 1)
    assert a.approved_by == world.owner


def test_second_first_secretary_for_a_village_is_refused(world):
    cadre = services.cadre_create(user=world.owner, **cadre_fields(world))
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(user=world.owner, cadre=cadre, village=world.village,
                                   role=Assignment.Role.FIRST_SECRETARY, start_date=dt.date(2026, 3, 1))
    assert "role" in exc.value.message_dict
    assert not cadre.assignments.exists()


def test_a_cadre_serves_in_one_village_at_a_time(world):
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(user=world.owner, cadre=world.member, village=world.village2,
                                   role=Assignment.Role.TEAM_MEMBER, start_date=dt.date(2026, 3, 1))
    assert "cadre" in exc.value.message_dict


def test_cannot_assign_to_a_village_of_another_county(world):
    cadre = services.cadre_create(user=world.owner, **cadre_fields(world))
    with pytest.raises(ValidationError):
        services.assignment_create(user=world.owner, cadre=cadre, village=world.neighbour_village,
                                   role=Assignment.Role.TEAM_MEMBER, start_date=dt.date(2026, 3, 1))


def test_ending_an_assignment_needs_a_reason_and_a_note(world):
    with pytest.raises(ValidationError) as exc:
        services.assignment_end(user=world.owner, assignment=world.member_assignment,
                                end_date=dt.date(2026, 1, 1), reason="rotation", note="  ")
    assert "note" in exc.value.message_dict
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None


def test_ending_records_reason_note_and_who(world):
    services.assignment_end(user=world.owner, assignment=world.member_assignment,
                            end_date=dt.date(2026, 1, 1), reason="rotation", note="期满轮换")
    a = Assignment.objects.get(pk=world.member_assignment.pk)
    assert (a.end_reason, a.end_note, a.ended_by) == ("rotation", "期满轮换", world.owner)
    assert a.history.count() == 2


def test_a_plain_end_cannot_be_a_recall(world):
    # A recall opens the unit's replacement obligation: only the recall workflow records one.
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.assignment_end(user=world.owner, assignment=world.member_assignment,
                                end_date=dt.date(2026, 1, 1), reason="recall", note="长期不在岗")
    assert "recall page" in exc.value.message_dict["reason"][0]
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None


def test_end_before_start_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.assignment_end(user=world.owner, assignment=world.member_assignment,
                                end_date=dt.date(2025, 1, 1), reason="rotation", note="x")
    assert "end_date" in exc.value.message_dict


def test_colleague_may_end_but_stranger_may_not(world):
    with pytest.raises(PermissionDenied):
        services.assignment_end(user=world.stranger, assignment=world.member_assignment,
                                end_date=dt.date(2026, 1, 1), reason="rotation", note="x")
    services.assignment_end(user=world.colleague, assignment=world.member_assignment,
                            end_date=dt.date(2026, 1, 1), reason="rotation", note="期满")


def test_change_ends_the_old_assignment_as_adjusted_and_starts_the_new_one(world):
    new = services.assignment_change(user=world.owner, assignment=world.member_assignment, village=world.village2,
                                     role=Assignment.Role.FIRST_SECRETARY, change_date=dt.date(2026, 2, 1),
                                     note="白桥村缺第一书记")
    old = Assignment.objects.get(pk=world.member_assignment.pk)
    assert old.end_reason == Assignment.EndReason.ADJUSTMENT and old.end_date == dt.date(2026, 2, 1)
    assert new.village == world.village2 and new.end_date is None


def test_failed_change_leaves_the_old_assignment_active(world):
    # 山水村 already has a first secretary, so moving the member into that role fails as a whole.
    with pytest.raises(ValidationError):
        services.assignment_change(user=world.owner, assignment=world.member_assignment, village=world.village,
                                   role=Assignment.Role.FIRST_SECRETARY, change_date=dt.date(2026, 2, 1), note="x")
    assert Assignment.objects.get(pk=world.member_assignment.pk).end_date is None


def test_database_enforces_one_active_first_secretary(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(cadre=world.member, village=world.village, role="first_secretary",
                                  start_date=dt.date(2026, 1, 1), planned_end_date=dt.date(2028, 1, 1))


def test_township_code_must_belong_to_the_county(world):
    with pytest.raises(ValidationError):
        services.township_create(user=world.owner, name="白驿镇", code="510823102")
    t = services.township_create(user=world.owner, name="白驿镇", code="510824102")
    assert t.parent == world.county and t.level == Region.Level.TOWNSHIP


def test_village_code_must_extend_the_township_code(world):
    with pytest.raises(ValidationError) as exc:
        services.village_create(user=world.owner, township=world.township, name="新村", code="510824101999")
    assert "code" in exc.value.message_dict
    v = services.village_create(user=world.owner, township=world.township, name="新村", code="510824100999",
                                categories=["weak_party", "poverty_exit"])
    assert v.county == world.county and v.category_list == ["poverty_exit", "weak_party"]
    assert Village.objects.filter(categories__contains=",weak_party,").count() == 1


def test_village_in_another_county_cannot_be_created(world):
    with pytest.raises(ValidationError):
        services.village_create(user=world.owner, township=world.neighbour_township, name="外村", code="510823100999")


def test_a_plain_assignment_from_the_unit_fulfils_its_open_replacement_obligation(world):
    from assignments.models import ReplacementObligation
    from assignments.supervision.services import cadre_recall

    cadre_recall(user=world.owner, assignment=world.member_assignment, end_date=dt.date(2026, 1, 10),
                 reason="长期不在岗")
    obligation = ReplacementObligation.objects.get(recalled_assignment=world.member_assignment)
    assert obligation.status == ReplacementObligation.Status.OPEN
    newcomer = services.cadre_create(user=world.owner, **cadre_fields(world))
    assignment = services.assignment_create(user=world.owner, cadre=newcomer, village=world.village,
                                            role=Assignment.Role.TEAM_MEMBER, start_date=dt.date(2026, 2, 1))
    obligation.refresh_from_db()
    assert obligation.status == ReplacementObligation.Status.FULFILLED
    assert obligation.fulfilled_by == assignment


def test_database_enforces_one_active_assignment_per_cadre(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(cadre=world.member, village=world.village2, role="team_member",
                                  start_date=dt.date(2026, 1, 1), planned_end_date=dt.date(2028, 1, 1))


def test_database_refuses_an_ended_assignment_without_a_reason(world):
    from django.db import IntegrityError, transaction

    world.member_assignment.end_date = dt.date(2026, 1, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        world.member_assignment.save()


def test_a_second_township_with_the_same_name_in_a_county_is_refused(world):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.township_create(user=world.owner, name=" 陵江镇 ", code="510824102")
    assert exc.value.message_dict == {"name": ["苍溪县 already has a township named 陵江镇."]}
    assert not Region.objects.filter(code="510824102").exists()
    # The same name in another county is fine.
    services.township_create(user=world.stranger, name="陵江镇", code="510823102")


def test_a_second_village_with_the_same_name_in_a_township_is_refused(world):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.village_create(user=world.owner, township=world.township, name="山水村", code="510824100999")
    assert exc.value.message_dict == {"name": ["陵江镇 already has a village named 山水村."]}
    assert not Village.objects.filter(code="510824100999").exists()
    # Renaming another village of the township to it is refused too; another township may have one.
    with pytest.raises(ValidationError):
        services.village_update(user=world.owner, village=world.village2, township=world.township,
                                name="山水村", code=world.village2.code)
    services.village_create(user=world.owner, township=world.other_township, name="山水村", code="510824101999")
    # Saving a village under its own name is no clash.
    services.village_update(user=world.owner, village=world.village, township=world.township,
                            name="山水村", code=world.village.code)


def test_database_enforces_unique_names_per_township_and_county(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Village.objects.create(name="山水村", code="510824100998", township=world.township)
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(name="陵江镇", code="510824103", level=Region.Level.TOWNSHIP, parent=world.county)


def unit_fields(world, **overrides) -> dict:
    fields = dict(name="苍溪县水务局", level="county", kind="party_gov", home_region=world.county,
                  contact_person="李四", contact_phone="0839-5222222")
    fields.update(overrides)
    return fields


@pytest.mark.parametrize("phone", ["abc", "5222222", "0839 522", "1381234567", "23812345678", "0839-52222a2"])
def test_a_unit_contact_phone_must_be_a_mobile_or_a_landline_with_area_code(world, phone):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.unit_create(user=world.owner, **unit_fields(world, contact_phone=phone))
    assert "area code" in exc.value.message_dict["contact_phone"][0]
    assert not DispatchingUnit.objects.filter(name="苍溪县水务局").exists()
    with pytest.raises(ValidationError):
        services.unit_update(user=world.owner, unit=world.unit, **unit_fields(world, name=world.unit.name,
                                                                               contact_phone=phone))
    world.unit.refresh_from_db()
    assert world.unit.contact_phone == ""


def test_a_unit_phone_typed_with_a_chinese_input_method_is_stored_tidy(world):
    unit = services.unit_create(user=world.owner, **unit_fields(world, contact_phone="０８３９－５２２２２２２ "))
    assert unit.contact_phone == "0839-5222222"


@pytest.mark.parametrize("phone", ["0839-5222222", "028-86000000", "08395222222", "13812345678", " 13812345678 ",
                                   "028-86000000-123", ""])
def test_mobiles_and_landlines_with_area_code_are_accepted(world, phone):
    unit = services.unit_create(user=world.owner, **unit_fields(world, contact_phone=phone))
    assert unit.contact_phone == phone.strip()


def test_duplicate_names_and_bad_phones_are_refused_in_chinese_by_default(world):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as exc:
            services.township_create(user=world.owner, name="陵江镇", code="510824102")
        assert exc.value.message_dict["name"] == ["苍溪县已有名为陵江镇的乡镇。"]
        with pytest.raises(ValidationError) as exc:
            services.village_create(user=world.owner, township=world.township, name="山水村", code="510824100999")
        assert exc.value.message_dict["name"] == ["陵江镇已有名为山水村的村。"]
        with pytest.raises(ValidationError) as exc:
            services.unit_create(user=world.owner, **unit_fields(world, contact_phone="abc"))
        assert "区号" in exc.value.message_dict["contact_phone"][0]


def test_a_cadre_whose_id_number_says_another_gender_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.cadre_create(user=world.owner, **cadre_fields(world, gender="M"))
    assert "gender" in exc.value.message_dict


def test_the_age_range_applies_when_a_cadre_is_registered_not_when_an_older_one_is_edited(world):
    born = dt.date(1950, 1, 1)  # 76
    old_id = make_id_number(born, seq=42, gender="F")
    with pytest.raises(ValidationError) as exc:
        services.cadre_create(user=world.owner, **cadre_fields(world, birth_date=born, id_number=old_id))
    assert "birth_date" in exc.value.message_dict
    assert services.cadre_validate(id_number=old_id, birth_date=born, mobile="13900001111") == {}


def test_an_assignment_cannot_start_years_ahead_or_a_decade_ago(world):
    from tests.factories import CadreFactory

    cadre = CadreFactory(county=world.county, unit=world.unit)
    for start in (dt.date.today() + dt.timedelta(days=400), dt.date(2001, 3, 1)):
        with pytest.raises(ValidationError) as exc:
            services.assignment_create(user=world.owner, cadre=cadre, village=world.village, role="team_member",
                                       start_date=start)
        assert "start_date" in exc.value.message_dict
    assert not cadre.assignments.exists()
