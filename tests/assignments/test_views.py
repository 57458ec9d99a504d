"""Roster pages: forms save through the services, refusals show a message and save nothing,
and every page keeps to the user's jurisdiction."""
from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from assignments.models import Assignment, Cadre
from tests.factories import AssignmentFactory, CadreFactory, VillageFactory, make_id_number


def _cadre_post(world, **overrides) -> dict:
    birth = dt.date(1990, 5, 17)
    data = {
        "name": "陈静", "id_number": make_id_number(birth, seq=124), "gender": "F",
        "birth_date": birth.isoformat(), "ethnicity": "汉族", "political_status": "member",
        "education": "bachelor", "rank": "", "mobile": "13912345678", "unit": world.unit.pk,
    }
    data.update(overrides)
    return data


def _wrong_check_character(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


def test_county_staff_registers_a_cadre_through_the_form(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("cadre_create"), _cadre_post(world))
    cadre = Cadre.objects.get(name="陈静")
    assert response.status_code == 302
    assert response["Location"] == reverse("cadre_detail", args=[cadre.pk])
    # The service sets the managing county from the user, not from the form.
    assert cadre.county == world.county
    assert cadre.unit == world.unit


def test_bad_id_check_character_shows_the_reason_and_saves_nothing(client, world):
    client.force_login(world.owner)
    data = _cadre_post(world)
    good = data["id_number"]
    data["id_number"] = _wrong_check_character(good)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("cadre_create"), data)
    assert response.status_code == 200
    assert not Cadre.objects.filter(name="陈静").exists()
    errors = response.context["form"].errors["id_number"]
    assert any(good[-1] in e and "check character" in e for e in errors), errors


def test_bad_id_check_character_message_is_chinese_by_default(client, world, settings):
    """The message is a translatable msgid; with the Chinese catalogue it reads in Chinese.
    Until locale/ is filled it must at least name the expected check character."""
    client.force_login(world.owner)
    data = _cadre_post(world)
    expected = data["id_number"][-1]
    data["id_number"] = _wrong_check_character(data["id_number"])
    response = client.post(reverse("cadre_create"), data)
    assert response.wsgi_request.LANGUAGE_CODE == "zh-hans"
    assert "<html lang=\"zh-hans\">" in response.content.decode()
    assert expected in " ".join(response.context["form"].errors["id_number"])


def test_county_staff_assigns_a_first_secretary(client, world):
    cadre = CadreFactory(name="赵新", unit=world.unit, county=world.county)
    client.force_login(world.owner)
    response = client.post(reverse("assignment_create"), {
        "cadre": cadre.pk, "village": world.village2.pk, "role": "first_secretary",
        "start_date": "2026-03-01", "planned_end_date": "",
    })
    assert response.status_code == 302
    assignment = Assignment.objects.get(cadre=cadre)
    assert assignment.village == world.village2
    assert assignment.role == Assignment.Role.FIRST_SECRETARY
    # No planned end given: the standard two-year tenure.
    assert assignment.planned_end_date == dt.date(2028, 3, 1)
    assert assignment.approved_by == world.owner
    page = client.get(reverse("village_detail", args=[world.village2.pk])).content.decode()
    assert "赵新" in page
    assert 'id="vacancy-secretary"' not in page


def test_second_first_secretary_for_a_village_is_refused_with_a_message(client, world):
    cadre = CadreFactory(name="赵新", unit=world.unit, county=world.county)
    client.force_login(world.owner)
    response = client.post(reverse("assignment_create"), {
        "cadre": cadre.pk, "village": world.village.pk, "role": "first_secretary",
        "start_date": "2026-03-01",
    })
    assert response.status_code == 200
    assert not Assignment.objects.filter(cadre=cadre).exists()
    errors = response.context["form"].errors["role"]
    assert any("山水村" in e and world.cadre.name in e for e in errors), errors
    assert world.cadre.name in response.content.decode()


def test_assignment_create_preselects_the_village_from_the_village_page(client, world):
    client.force_login(world.owner)
    page = client.get(reverse("village_detail", args=[world.village2.pk])).content.decode()
    link = reverse("assignment_create") + f"?village={world.village2.pk}"
    assert link in page
    response = client.get(link)
    assert response.context["form"]["village"].value() == world.village2.pk
    # "Cancel" goes back where the officer came from, if that is on this site.
    back = reverse("village_detail", args=[world.village2.pk])
    assert client.get(link + f"&next={back}").context["cancel_url"] == back
    for elsewhere in ("/\\evil.example.com/x", "//evil.example.com/x", "https://evil.example.com/x"):
        assert client.get(link, {"next": elsewhere}).context["cancel_url"] == reverse("cadre_list"), elsewhere


def test_assignment_form_tells_same_named_villages_and_cadres_apart(client, world):
    VillageFactory(name="山水村", code="510824101202", township=world.other_township)
    twin = CadreFactory(name="袁杰", unit=world.province_unit, county=world.county, birth_date=dt.date(1991, 8, 8))
    client.force_login(world.owner)
    form = client.get(reverse("assignment_create")).context["form"]
    # Labels are made when the choices are read: in English here (the request left Chinese active).
    with translation.override("en"):
        villages = [label for _value, label in form.fields["village"].choices]
        cadres = {value.value: label for value, label in form.fields["cadre"].choices if value}
    assert {"山水村 · 陵江镇", "山水村 · 云峰镇"} <= set(villages)
    assert cadres[world.cadre.pk] == "袁杰 (苍溪县农业农村局, born 1985)"
    assert cadres[twin.pk] == "袁杰 (四川省农业农村厅, born 1991)"
    assert cadres[world.member.pk] == "李明"  # a name nobody shares stays short


def test_ending_an_assignment_without_a_note_is_refused(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("assignment_end", args=[world.member_assignment.pk]), {
        "end_date": dt.date.today().isoformat(), "reason": "rotation", "note": "  ",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None


def test_ending_an_assignment_with_a_note_ends_it(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("assignment_end", args=[world.member_assignment.pk]), {
        "end_date": dt.date.today().isoformat(), "reason": "rotation", "note": "期满轮换",
    })
    assert response.status_code == 302
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date == dt.date.today()
    assert world.member_assignment.end_reason == "rotation"
    assert world.member_assignment.ended_by == world.owner


def test_the_end_page_sends_a_recall_to_the_recall_workflow(client, world):
    from assignments.models import ReplacementObligation

    client.force_login(world.owner)
    url = reverse("assignment_end", args=[world.member_assignment.pk])
    page = client.get(url)
    html = page.content.decode()
    assert "recall" not in [value for value, _ in page.context["form"].fields["reason"].choices]
    assert 'id="recall-hint"' in html and reverse("supervision:recall", args=[world.member_assignment.pk]) in html
    response = client.post(url, {"end_date": dt.date.today().isoformat(), "reason": "recall", "note": "长期不在岗"})
    assert response.status_code == 200
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None and not ReplacementObligation.objects.exists()


def test_moving_a_cadre_ends_the_old_assignment_and_starts_a_new_one(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("assignment_change", args=[world.member_assignment.pk]), {
        "village": world.village3.pk, "role": "team_member", "change_date": dt.date.today().isoformat(),
        "note": "工作需要调整",
    })
    assert response.status_code == 302
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_reason == Assignment.EndReason.ADJUSTMENT
    assert Assignment.objects.get(cadre=world.member, end_date__isnull=True).village == world.village3


def test_ending_without_a_note_is_marked_required_and_says_what_to_write(client, world):
    client.force_login(world.owner)
    url = reverse("assignment_end", args=[world.member_assignment.pk])
    assert 'name="note"' in (page := client.get(url).content.decode()) and "asteriskField" in page
    response = client.post(url, {"end_date": dt.date.today().isoformat(), "reason": "adjustment", "note": " "})
    assert response.context["form"].errors["note"] == ["请在备注中写明干部离村的原因：没有原因不得调整干部。"]
    world.member_assignment.refresh_from_db()
    assert world.member_assignment.end_date is None


def test_moving_without_a_note_changes_nothing(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("assignment_change", args=[world.member_assignment.pk]), {
        "village": world.village3.pk, "role": "team_member", "change_date": dt.date.today().isoformat(),
        "note": "",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert Assignment.objects.filter(cadre=world.member).count() == 1


def test_county_staff_of_the_cadres_county_see_the_full_id_number(client, world):
    client.force_login(world.owner)
    page = client.get(reverse("cadre_detail", args=[world.cadre.pk])).content.decode()
    assert world.cadre.id_number in page


@pytest.mark.parametrize("who", ["province_reviewer", "city_reviewer", "township_staff", "liaison"])
def test_other_roles_see_the_id_number_masked(client, world, who):
    client.force_login(getattr(world, who))
    page = client.get(reverse("cadre_detail", args=[world.cadre.pk])).content.decode()
    assert world.cadre.id_number not in page
    assert world.cadre.masked_id_number in page


def test_county_staff_of_the_cadres_county_see_the_full_birth_date(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("cadre_detail", args=[world.cadre.pk]))
    assert response.context["identity"].birth_date == dt.date(1985, 3, 12)
    assert "1985-03-12" in response.content.decode()


@pytest.mark.parametrize("who", ["province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"])
def test_whoever_gets_the_masked_id_number_sees_only_the_birth_year(client, world, who):
    # The hidden digits of 5108**********xxxx are the county code and the birth date: a full
    # birth date on the same page would give the number back.
    client.force_login(getattr(world, who))
    page = client.get(reverse("cadre_detail", args=[world.cadre.pk])).content.decode()
    assert world.cadre.masked_id_number in page
    assert "1985-03-12" not in page and "03-12" not in page
    assert '<dd class="col-8 col-md-10" id="birth">1985</dd>' in page


@pytest.mark.parametrize("name", [
    "cadre_create", "village_create", "unit_create", "assignment_create", "township_create", "roster_import",
])
def test_province_reviewer_cannot_open_create_pages(client, world, name):
    client.force_login(world.province_reviewer)
    assert client.get(reverse(name)).status_code == 403


def test_province_reviewer_cannot_post_a_cadre(client, world):
    client.force_login(world.province_reviewer)
    response = client.post(reverse("cadre_create"), _cadre_post(world))
    assert response.status_code == 403
    assert not Cadre.objects.filter(name="陈静").exists()


def test_reviewer_gets_403_on_edit_of_an_object_in_scope(client, world):
    client.force_login(world.city_reviewer)
    assert client.get(reverse("cadre_edit", args=[world.cadre.pk])).status_code == 403
    assert client.get(reverse("assignment_end", args=[world.assignment.pk])).status_code == 403


@pytest.mark.parametrize("name", ["cadre_detail", "cadre_edit"])
def test_stranger_gets_404_on_our_cadre(client, world, name):
    client.force_login(world.stranger)
    assert client.get(reverse(name, args=[world.cadre.pk])).status_code == 404


def test_stranger_cannot_end_our_assignment(client, world):
    client.force_login(world.stranger)
    response = client.post(reverse("assignment_end", args=[world.assignment.pk]), {
        "end_date": dt.date.today().isoformat(), "reason": "recall", "note": "x",
    })
    assert response.status_code == 404
    world.assignment.refresh_from_db()
    assert world.assignment.end_date is None


def test_user_without_profile_gets_403(client, world, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="pw-123456")
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("cadre_list")).status_code == 403


def test_anonymous_user_is_sent_to_login(client, world):
    response = client.get(reverse("cadre_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_cadre_list_shows_only_cadres_in_scope(client, world):
    client.force_login(world.owner)
    page = client.get(reverse("cadre_list")).content.decode()
    assert world.cadre.name in page and world.member.name in page
    assert world.neighbour_cadre.name not in page and world.far_cadre.name not in page


def test_cadre_list_filters_unassigned(client, world):
    idle = CadreFactory(name="闲置干部", unit=world.unit, county=world.county)
    client.force_login(world.owner)
    response = client.get(reverse("cadre_list"), {"status": "unassigned"})
    names = [c.name for c in response.context["page"]]
    assert names == [idle.name]


def _make_cadres(world, n):
    villages = [world.village, world.village2, world.village3]
    for i in range(n):
        cadre = CadreFactory(unit=world.unit, county=world.county)
        if i % 2:
            AssignmentFactory(cadre=cadre, village=villages[i % 3])


def test_cadre_list_query_count_does_not_grow_with_the_page(client, world, django_assert_max_num_queries):
    client.force_login(world.owner)
    client.get(reverse("home"))  # the logged-in user is cached from now on: same cost for both pages
    _make_cadres(world, 8)  # 10 in the county with the world's two
    with django_assert_max_num_queries(12) as small:
        response = client.get(reverse("cadre_list"))
    assert len(response.context["page"]) == 10
    _make_cadres(world, 30)  # 40 in the county
    with django_assert_max_num_queries(12) as large:
        response = client.get(reverse("cadre_list"))
    assert len(response.context["page"]) == 40
    assert len(large.captured_queries) == len(small.captured_queries)


def test_village_list_vacancy_filter(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("village_list"), {"vacancy": "no_secretary"})
    names = {v.name for v in response.context["page"]}
    assert names == {"白桥村", "红星村"}


def test_home_summary_counts_the_users_county(client, world):
    client.force_login(world.owner)
    summary = client.get(reverse("home")).context["summary"]
    # 山水村 has a secretary and a member; 白桥村 and 红星村 have nobody.
    assert summary == {"villages": 3, "no_secretary": 2, "understaffed": 2, "active_cadres": 2}


def test_a_login_lands_a_cadre_on_check_in_and_everyone_else_on_the_overview(client, world):
    for user, where in [(world.cadre_user, reverse("attendance:checkin")), (world.owner, reverse("home")),
                        (world.township_staff, reverse("home")), (world.liaison, reverse("home"))]:
        client.force_login(user)
        assert client.get(reverse("start"))["Location"] == where
    # The login form sends there when no ?next= is given.
    client.logout()
    user = world.cadre_user
    user.set_password("pw-123456")
    user.save()
    response = client.post(reverse("login"), {"username": user.username, "password": "pw-123456"})
    assert response["Location"] == reverse("start")


def test_overview_shows_township_and_county_staff_what_waits_for_them(client, world, monkeypatch):
    from django.utils import timezone

    from attendance import services
    from attendance.models import PresenceRecord

    today = dt.date(2026, 11, 18)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today)
    services.leave_request_create(user=world.cadre_user, kind="personal", start=today + dt.timedelta(days=2),
                                  end=today + dt.timedelta(days=3), reason="家中有事", submit=True)
    PresenceRecord.objects.create(cadre=world.member, assignment=world.member_assignment, date=today,
                                  kind="in_village", source="self", recorded_at=timezone.now(),
                                  review_status="needs_review")
    client.force_login(world.township_staff)
    waiting = client.get(reverse("home")).context["waiting"]
    # Two cadres in post in 陵江镇, one recorded today; the 2-day leave is the township's to decide.
    assert waiting == {"leave": 1, "review": 0, "findings": 0, "in_post": 2, "recorded": 1, "working": True}
    # On a day off the overview does not count records against the cadres in post.
    from attendance.models import WorkingDay

    WorkingDay.objects.update_or_create(date=today, defaults={"is_working_day": False, "source": "manual"})
    page = client.get(reverse("home"))
    assert page.context["waiting"]["working"] is False and "1 of 2 recorded" not in page.content.decode()
    client.force_login(world.owner)
    page = client.get(reverse("home"))
    assert page.context["waiting"]["leave"] == 0 and page.context["waiting"]["review"] == 1
    assert 'id="waiting-review"' in page.content.decode()
    for user in (world.liaison, world.city_reviewer, world.cadre_user):
        client.force_login(user)
        response = client.get(reverse("home"))
        assert response.context["waiting"] is None and 'id="waiting"' not in response.content.decode()


def test_overview_shows_a_liaison_how_the_units_cadres_are_doing(client, world, monkeypatch):
    from django.utils import timezone

    from assignments.models import Finding
    from attendance.models import LeaveRequest

    today = dt.date(2026, 11, 18)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today)
    LeaveRequest.objects.create(cadre=world.cadre, assignment=world.assignment, kind="personal", start=today,
                                end=today + dt.timedelta(days=1), reason="看病", status="approved")
    LeaveRequest.objects.create(cadre=world.member, assignment=world.member_assignment, kind="personal",
                                start=today + dt.timedelta(days=9), end=today + dt.timedelta(days=9), reason="家事",
                                status="submitted")
    now = timezone.now()
    for cadre, assignment, kind, period in (
        (world.member, world.member_assignment, Finding.Kind.PRESENCE_SHORTFALL, "2026-10"),
        (world.far_cadre, world.far_assignment, Finding.Kind.PRESENCE_SHORTFALL, "2026-10"),  # another unit's
    ):
        Finding.objects.create(kind=kind, cadre=cadre, assignment=assignment, village=assignment.village,
                               county=assignment.village.county, period=period, first_seen=now, last_seen=now)
    client.force_login(world.liaison)
    page = client.get(reverse("home"))
    assert page.context["watch"] == {"in_post": 2, "away": 1, "soon": 0, "pending": 1, "findings": 1,
                                     "shortfalls": 1, "last_month": "2026-10"}
    body = page.content.decode()
    assert 'id="unit-watch"' in body and "?when=now" in body
    for user in (world.owner, world.township_staff, world.city_reviewer, world.cadre_user):
        client.force_login(user)
        assert client.get(reverse("home")).context["watch"] is None


def test_liaison_overview_counts_only_villages_where_a_cadre_of_the_unit_is_in_post(client, world):
    # A cadre of the unit who served in 红星村 until last year: the village stays readable.
    past = CadreFactory(unit=world.unit, county=world.county)
    Assignment.objects.create(cadre=past, village=world.village3, role=Assignment.Role.TEAM_MEMBER,
                              start_date=dt.date(2023, 1, 1), planned_end_date=dt.date(2025, 1, 1),
                              end_date=dt.date(2025, 1, 1), end_reason=Assignment.EndReason.ROTATION, end_note="任期届满")
    client.force_login(world.liaison)
    summary = client.get(reverse("home")).context["summary"]
    # 山水村 only: its first secretary and member are the unit's; 红星村 is history.
    assert summary == {"villages": 1, "no_secretary": 0, "understaffed": 0, "active_cadres": 2}
    assert client.get(reverse("village_detail", args=[world.village3.pk])).status_code == 200
    # The village list keeps 红星村 and says it is past.
    rows = {v.name: v.ours_now for v in client.get(reverse("village_list")).context["page"]}
    assert rows == {world.village.name: True, world.village3.name: False}
    assert "曾派驻" in client.get(reverse("village_list")).content.decode()


def test_cadre_overview_counts_only_the_village_they_serve_in_now(client, world):
    Assignment.objects.create(cadre=world.cadre, village=world.village2, role=Assignment.Role.TEAM_MEMBER,
                              start_date=dt.date(2023, 1, 1), planned_end_date=dt.date(2025, 1, 1),
                              end_date=dt.date(2025, 1, 1), end_reason=Assignment.EndReason.ROTATION, end_note="任期届满")
    client.force_login(world.cadre_user)
    assert client.get(reverse("home")).context["summary"]["villages"] == 1


def test_province_reviewer_region_page_lists_counties_with_counts(client, world):
    client.force_login(world.province_reviewer)
    rows = {r.name: (r.village_count, r.cadre_count) for r in client.get(reverse("region_list")).context["rows"]}
    assert rows == {"苍溪县": (3, 2), "剑阁县": (1, 1), "金堂县": (1, 1)}


def test_county_staff_create_a_township(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("township_create"), {"name": "歧坪镇", "code": "510824102"})
    assert response.status_code == 302
    page = client.get(reverse("region_list")).content.decode()
    assert "歧坪镇" in page


def test_township_code_of_another_county_is_refused(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("township_create"), {"name": "歧坪镇", "code": "510823102"})
    assert response.status_code == 200
    assert "510824" in " ".join(response.context["form"].errors["code"])


def test_language_switch_changes_the_page_language(client, world):
    client.force_login(world.owner)
    page = client.post(reverse("cadre_create"), {}).content.decode()
    # Django's own catalogue is complete for zh-hans, so its messages show the switch.
    assert '<html lang="zh-hans">' in page
    assert "这个字段是必填项。" in page
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("cadre_create")})
    assert response.status_code == 302
    page = client.post(reverse("cadre_create"), {}).content.decode()
    assert '<html lang="en">' in page
    assert "This field is required." in page
    assert "这个字段是必填项。" not in page


def test_city_reviewer_filters_villages_by_county(client, world):
    client.force_login(world.city_reviewer)
    response = client.get(reverse("village_list"), {"county": world.neighbour_county.pk})
    assert {v.name for v in response.context["page"]} == {"柳沟村"}
    # A county outside the reviewer's city is not a choice: the filter form says so and the
    # list stays inside the reviewer's scope.
    response = client.get(reverse("village_list"), {"county": world.far_county.pk})
    assert response.context["filter"].form.errors["county"]
    assert "三星村" not in {v.name for v in response.context["page"]}


def test_chinese_is_the_default_even_for_an_english_browser(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("cadre_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()


def test_favicon_ico_redirects_to_the_icon_the_pages_use(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/img/favicon.svg")
