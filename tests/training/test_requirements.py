"""Training requirements as data: county staff set rules for their county, province reviewers
province-wide ones; bad input is refused with a message and nothing saved; rules are switched
off, never deleted; the next scan applies a new county rule only in that county."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assignments.models import Finding
from training.models import TrainingRequirement
from training.services import training_requirement_create, training_requirement_update, training_scan

GOOD = {"name": "苍溪县年度学时要求", "levels": ["county", "city"], "min_days_per_course": Decimal("2.5"),
        "courses_required": 2, "period": "year", "min_hours": Decimal(40)}


def post_data(**overrides) -> dict:
    data = {**GOOD, **overrides}
    return {k: ("" if v is None else v) for k, v in data.items()}


def county_rule(world, **overrides):
    return training_requirement_create(user=world.owner, **{**GOOD, **overrides})


# --- services ---------------------------------------------------------------------------------


def test_county_staff_create_a_rule_for_their_county(tw):
    req = county_rule(tw)
    req.refresh_from_db()
    assert (req.region, req.levels, req.min_days_per_course, req.courses_required, req.period, req.min_hours,
            req.active) == (tw.county, ",city,county,", Decimal("2.5"), 2, "year", Decimal(40), True)


def test_the_province_reviewer_creates_a_province_wide_rule(tw):
    req = training_requirement_create(user=tw.province_reviewer, **{**GOOD, "name": "全省年度学时"})
    assert req.region is None and TrainingRequirement.objects.filter(region=None).count() == 2


@pytest.mark.parametrize("role", ["city_reviewer", "township_staff", "liaison", "cadre_user"])
def test_other_roles_cannot_create_rules(tw, role):
    with pytest.raises(PermissionDenied):
        training_requirement_create(user=getattr(tw, role), **GOOD)
    assert TrainingRequirement.objects.count() == 1


BAD = [
    ("name", {"name": "  "}, "Give the requirement a name."),
    ("levels", {"levels": []}, "Choose at least one organiser level whose courses count."),
    ("levels", {"levels": ["county", "village"]}, "Choose organiser levels from the list."),
    ("min_days_per_course", {"min_days_per_course": None}, "Enter the minimum days"),
    ("min_days_per_course", {"min_days_per_course": Decimal(0)}, "more than 0 and at most 30"),
    ("min_days_per_course", {"min_days_per_course": Decimal(-1)}, "more than 0 and at most 30"),
    ("min_days_per_course", {"min_days_per_course": Decimal("30.5")}, "more than 0 and at most 30"),
    ("min_days_per_course", {"min_days_per_course": Decimal("2.25")}, "at most one decimal place"),
    ("courses_required", {"courses_required": 0}, "between 1 and 100"),
    ("courses_required", {"courses_required": None}, "Enter the number of courses required."),
    ("period", {"period": "month"}, "Choose the period"),
    ("min_hours", {"min_hours": Decimal(0)}, "leave it empty for no hours rule"),
    ("min_hours", {"min_hours": Decimal(-5)}, "leave it empty for no hours rule"),
]


@pytest.mark.parametrize("field,change,message", BAD)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(tw, field, change, message):
    with pytest.raises(ValidationError) as exc:
        county_rule(tw, **change)
    assert message in exc.value.message_dict[field][0]
    assert TrainingRequirement.objects.count() == 1


@pytest.mark.parametrize("field,change,message", BAD)
def test_bad_edits_are_refused_and_the_rule_is_unchanged(tw, field, change, message):
    req = county_rule(tw)
    with pytest.raises(ValidationError) as exc:
        training_requirement_update(user=tw.colleague, requirement=req, **{**GOOD, **change})
    assert message in exc.value.message_dict[field][0]
    req.refresh_from_db()
    assert (req.name, req.levels, req.min_days_per_course, req.courses_required, req.period, req.min_hours) == (
        GOOD["name"], ",city,county,", Decimal("2.5"), 2, "year", Decimal(40))


def test_a_rule_name_is_unique_within_its_county_only(tw):
    county_rule(tw)
    with pytest.raises(ValidationError) as exc:
        county_rule(tw, name=f" {GOOD['name']} ")
    assert exc.value.message_dict["name"] == ["Your county already has a requirement with this name."]
    training_requirement_create(user=tw.stranger, **GOOD)  # 剑阁县 may use the same name
    assert TrainingRequirement.objects.filter(name=GOOD["name"]).count() == 2


def test_a_province_wide_rule_name_is_unique_among_province_wide_rules(tw):
    with pytest.raises(ValidationError) as exc:
        training_requirement_create(user=tw.province_reviewer, **{**GOOD, "name": tw.requirement.name})
    assert exc.value.message_dict["name"] == ["A province-wide requirement with this name already exists."]


def test_hours_are_optional(tw):
    assert county_rule(tw, min_hours=None).min_hours is None


def test_county_staff_edit_their_county_rule_but_not_the_province_rule_or_another_county(tw):
    req = county_rule(tw)
    training_requirement_update(user=tw.colleague, requirement=req, **{**GOOD, "courses_required": 3,
                                                                       "period": "assignment"})
    req.refresh_from_db()
    assert (req.courses_required, req.period, req.region) == (3, "assignment", tw.county)
    for user, rule in ((tw.owner, tw.requirement), (tw.stranger, req), (tw.city_reviewer, req),
                       (tw.province_reviewer, req)):
        with pytest.raises(PermissionDenied):
            training_requirement_update(user=user, requirement=rule, **GOOD)


def test_the_province_reviewer_edits_the_default_rule(tw):
    training_requirement_update(user=tw.province_reviewer, requirement=tw.requirement, name="四川省驻村干部培训要求",
                                levels=["province", "city", "county"], min_days_per_course=Decimal(5),
                                courses_required=1, period="assignment", min_hours=None)
    tw.requirement.refresh_from_db()
    assert (tw.requirement.min_days_per_course, tw.requirement.region) == (Decimal(5), None)


def test_deactivating_keeps_the_rule_and_the_scan_resolves_its_findings(tw):
    day = dt.date(2026, 7, 1)  # half-way through the world's tenures
    req = county_rule(tw, courses_required=2, period="assignment", min_hours=None)
    training_scan(today=day)
    assert Finding.objects.filter(period=f"req{req.id}", status="open").exists()
    training_requirement_update(user=tw.owner, requirement=req, **{**GOOD, "courses_required": 2,
                                                                   "period": "assignment", "min_hours": None,
                                                                   "active": False})
    training_scan(today=day)
    req.refresh_from_db()
    assert req.active is False
    assert not Finding.objects.filter(period=f"req{req.id}", status="open").exists()
    assert Finding.objects.filter(period=f"req{req.id}", status="resolved").exists()


def test_a_new_county_rule_flags_only_that_countys_assignments_on_the_next_scan(tw):
    """Two county-level courses per tenure in 苍溪县: 袁杰 has one, 李明 none; 王强 (剑阁县)
    and 张华 (金堂县) are not judged by it."""
    req = county_rule(tw, name="苍溪县两次培训", courses_required=2, period="assignment", min_hours=None)
    training_scan(today=dt.date(2026, 7, 1))
    flagged = set(Finding.objects.filter(kind=Finding.Kind.UNMET_TRAINING, period=f"req{req.id}", status="open")
                  .values_list("cadre__name", flat=True))
    assert flagged == {"袁杰", "李明"}


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "province_reviewer"])
def test_the_form_creates_a_rule(tw, client, role):
    client.force_login(getattr(tw, role))
    response = client.post(reverse("training:requirement_create"), post_data())
    assert response.status_code == 302 and response["Location"] == reverse("training:requirement_list")
    req = TrainingRequirement.objects.get(name=GOOD["name"])
    assert req.region == (tw.county if role == "owner" else None)


def test_the_form_shows_the_services_message_and_saves_nothing(tw, client):
    client.force_login(tw.owner)
    response = client.post(reverse("training:requirement_create"), post_data(levels=[], min_days_per_course="40"))
    assert response.status_code == 200
    assert "Choose at least one organiser level whose courses count." in response.content.decode()
    assert "more than 0 and at most 30" in response.content.decode()
    assert TrainingRequirement.objects.count() == 1


def test_unticking_active_in_the_edit_form_switches_the_rule_off(tw, client):
    req = county_rule(tw)
    client.force_login(tw.owner)
    response = client.post(reverse("training:requirement_edit", args=[req.pk]), post_data())  # no "active"
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.active is False and TrainingRequirement.objects.filter(pk=req.pk).exists()
    client.post(reverse("training:requirement_edit", args=[req.pk]), post_data(active="on"))
    req.refresh_from_db()
    assert req.active is True


@pytest.mark.parametrize("role", ["city_reviewer", "other_city_reviewer", "township_staff", "liaison", "cadre_user"])
def test_other_roles_get_403_on_the_create_page(tw, client, role):
    client.force_login(getattr(tw, role))
    assert client.get(reverse("training:requirement_create")).status_code == 403
    assert client.post(reverse("training:requirement_create"), post_data()).status_code == 403
    assert TrainingRequirement.objects.count() == 1


@pytest.mark.parametrize("role,status", [
    ("stranger", 404),  # 剑阁县 staff do not see 苍溪县's rules
    ("other_city_reviewer", 404),
    ("province_reviewer", 403),  # sees it, but it is the county's rule
    ("city_reviewer", 403),
    ("township_staff", 403),
    ("liaison", 403),
    ("cadre_user", 403),
])
def test_editing_another_countys_rule_is_404_out_of_scope_and_403_in_scope(tw, client, role, status):
    req = county_rule(tw)
    client.force_login(getattr(tw, role))
    url = reverse("training:requirement_edit", args=[req.pk])
    assert client.get(url).status_code == status
    assert client.post(url, post_data(courses_required=9)).status_code == status
    req.refresh_from_db()
    assert req.courses_required == 2


def test_county_staff_get_403_on_the_province_wide_rule(tw, client):
    client.force_login(tw.owner)
    assert client.get(reverse("training:requirement_edit", args=[tw.requirement.pk])).status_code == 403


def test_the_list_offers_new_and_edit_only_to_who_may(tw, client):
    req = county_rule(tw)
    new, edit_own, edit_default = (reverse("training:requirement_create"),
                                   reverse("training:requirement_edit", args=[req.pk]),
                                   reverse("training:requirement_edit", args=[tw.requirement.pk]))
    expected = {
        "owner": (True, True, False),
        "province_reviewer": (True, False, True),
        "city_reviewer": (False, False, False),
        "township_staff": (False, False, False),
    }
    for role, (can_new, can_own, can_default) in expected.items():
        client.force_login(getattr(tw, role))
        html = client.get(reverse("training:requirement_list")).content.decode()
        assert ((new in html), (edit_own in html), (edit_default in html)) == (can_new, can_own, can_default), role


def test_the_list_says_active_with_a_capital_yes_or_no(tw, client):
    off = county_rule(tw, name="停用的规则")
    TrainingRequirement.objects.filter(pk=off.pk).update(active=False)
    client.force_login(tw.owner)
    html = client.get(reverse("training:requirement_list")).content.decode()
    rows = {name: cells for name, cells in re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", html, re.S)}
    assert "<td>Yes</td>" in rows[tw.requirement.name] and "<td>No</td>" in rows["停用的规则"]
