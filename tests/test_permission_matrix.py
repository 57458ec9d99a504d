"""URL × role permission matrix, built from the URL configuration.

Every named URL must appear in MATRIX, or the test fails: a new page cannot skip the
scoping gate unnoticed. For each URL and each role we request it on an object inside the
role's scope and on one outside it, and assert allowed (2xx/3xx) or denied (403/404).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Who can read an object of each type that lives in 苍溪县 / 陵江镇 (the `world` fixture's
# "ours"), by user attribute name on the world.
READERS = {
    "cadre": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "village": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "unit": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "assignment": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "region": {"owner", "colleague", "province_reviewer", "city_reviewer"},
}
MANAGERS = {"owner", "colleague"}
COUNTY_STAFF = {"owner", "colleague", "stranger"}
SCOPED = {
    "owner", "colleague", "stranger", "province_reviewer", "city_reviewer", "other_city_reviewer",
    "township_staff", "liaison", "cadre_user",
}
ROLES = sorted(SCOPED)


@dataclass
class Spec:
    # "public": anyone; "list": any scoped user; "county": county staff only (own county implied);
    # "read": readers of obj; "manage": managers of obj; "export": any scoped user, file download.
    access: str
    obj: str | None = None
    kwargs: Callable | None = None  # world -> kwargs for an object inside 苍溪县
    outside: Callable | None = None  # world -> kwargs for an object in 金堂县 (another city)
    readers: set[str] | None = None  # override READERS[obj]


def _pk(attr):
    return lambda w: {"pk": getattr(w, attr).pk}


MATRIX: dict[str, Spec] = {
    "login": Spec("public"),
    "logout": Spec("skip"),  # POST-only, tested in the views tests
    "set_language": Spec("skip"),  # Django's i18n view, POST-only
    "home": Spec("list"),
    "region_list": Spec("list"),
    "township_create": Spec("county"),
    "village_list": Spec("list"),
    "village_create": Spec("county"),
    "village_detail": Spec("read", "village", _pk("village"), _pk("far_village")),
    "village_edit": Spec("manage", "village", _pk("village"), _pk("far_village")),
    "unit_list": Spec("list"),
    "unit_create": Spec("county"),
    "unit_detail": Spec("read", "unit", _pk("unit"), _pk("province_unit"),
                        readers=READERS["unit"]),
    "unit_edit": Spec("manage", "unit", _pk("unit"), _pk("province_unit")),
    "cadre_list": Spec("list"),
    "cadre_create": Spec("county"),
    "cadre_detail": Spec("read", "cadre", _pk("cadre"), _pk("far_cadre")),
    "cadre_edit": Spec("manage", "cadre", _pk("cadre"), _pk("far_cadre")),
    "assignment_create": Spec("county"),
    "assignment_end": Spec("manage", "assignment", _pk("member_assignment"), _pk("far_assignment")),
    "assignment_change": Spec("manage", "assignment", _pk("member_assignment"), _pk("far_assignment")),
    "roster_import": Spec("county"),
    "roster_export": Spec("list"),
    "roster_template": Spec("list"),
}


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin" or getattr(p, "namespace", None) == "admin":
                continue  # the Django admin is superuser-only, tested separately
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _named_patterns(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}"


def test_every_url_is_in_the_matrix():
    unknown = sorted(set(_named_patterns()) - set(MATRIX))
    assert not unknown, f"URLs missing from the permission matrix: {unknown}"


def _allowed(status: int) -> bool:
    return status < 400


def _denied(status: int) -> bool:
    return status in (403, 404)


def _expected(spec: Spec, role: str, inside: bool) -> bool:
    if spec.access in ("public",):
        return True
    if spec.access in ("list", "export"):
        return role in SCOPED
    if spec.access == "county":
        return role in COUNTY_STAFF
    readers = spec.readers or READERS[spec.obj]
    if spec.access == "read":
        # "Outside" objects live in 金堂县, 成都市: only the province and that city's reviewer read them.
        return role in {"province_reviewer", "other_city_reviewer"} if not inside else role in readers
    if spec.access == "manage":
        return inside and role in MANAGERS
    raise AssertionError(spec.access)


CASES = [
    (name, role, inside)
    for name, spec in MATRIX.items()
    if spec.access != "skip"
    for role in ROLES
    for inside in ((True, False) if spec.kwargs else (True,))
]


@pytest.mark.parametrize("name,role,inside", CASES)
def test_matrix(world, client, name, role, inside):
    spec = MATRIX[name]
    kwargs = (spec.kwargs if inside else spec.outside)(world) if spec.kwargs else {}
    client.force_login(getattr(world, role))
    status = client.get(reverse(name, kwargs=kwargs)).status_code
    if _expected(spec, role, inside):
        assert _allowed(status), f"{role} should reach {name} ({'inside' if inside else 'outside'}), got {status}"
    else:
        assert _denied(status), f"{role} should be denied {name} ({'inside' if inside else 'outside'}), got {status}"


@pytest.mark.parametrize("name", [n for n, s in MATRIX.items() if s.access not in ("public", "skip")])
def test_anonymous_users_are_sent_to_login(world, client, name):
    spec = MATRIX[name]
    kwargs = spec.kwargs(world) if spec.kwargs else {}
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", [n for n, s in MATRIX.items() if s.access in ("manage", "county")])
def test_denied_roles_cannot_post_changes(world, client, name):
    """A POST by a read-only role is refused before any form is processed."""
    spec = MATRIX[name]
    kwargs = spec.kwargs(world) if spec.kwargs else {}
    for role in ("province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"):
        client.force_login(getattr(world, role))
        status = client.post(reverse(name, kwargs=kwargs), {}).status_code
        assert _denied(status), f"{role} POST {name} got {status}"


def test_admin_is_for_superusers_only(world, client):
    client.force_login(world.owner)
    assert client.get("/admin/").status_code == 302  # sent to the admin login, not in
    world.owner.is_staff = True
    world.owner.save()
    assert client.get("/admin/assignments/cadre/").status_code == 302
    world.owner.is_superuser = True
    world.owner.save()
    assert client.get("/admin/assignments/cadre/").status_code == 200
