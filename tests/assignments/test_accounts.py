"""Logins: changing one's own password, and what a county organisation department does for the
logins of its county (unlock, temporary password that must be changed at the next login)."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from assignments.accounts import selectors, services
from assignments.models import AccountEvent, Profile
from tests.factories import UnitFactory, make_user

User = get_user_model()
PASSWORD = "pw-123456"  # tests.factories.UserFactory


@pytest.fixture(autouse=True)
def clean_cache():
    # Logged-in users are cached (assignments.auth): each test starts from the database.
    cache.clear()
    yield
    cache.clear()


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _lock(username: str) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, username, "wrong-password")
    assert _login(client, username, PASSWORD).status_code == 429  # locked, even with the right one


def _change(client: Client, old: str, new: str, confirm: str | None = None):
    return client.post(reverse("password_change"), {
        "old_password": old, "new_password1": new, "new_password2": confirm or new,
    })


# --- changing one's own password ---------------------------------------------------------------


def test_the_user_menu_links_to_the_password_change_page(client, world):
    client.force_login(world.cadre_user)
    page = client.get(reverse("attendance:checkin")).content.decode()
    assert f'href="{reverse("password_change")}"' in page


def test_changing_ones_password_keeps_this_session_and_ends_the_others(world):
    here, phone = Client(), Client()
    assert _login(here, "owner", PASSWORD).status_code == 302
    assert _login(phone, "owner", PASSWORD).status_code == 302
    assert phone.get(reverse("home")).status_code == 200  # the user is cached now

    response = _change(here, PASSWORD, "cangxi-zuzhibu-2025")
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")

    assert here.get(reverse("home")).status_code == 200  # still logged in here
    gone = phone.get(reverse("home"))
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))
    assert User.objects.get(pk=world.owner.pk).check_password("cangxi-zuzhibu-2025")
    event = AccountEvent.objects.get()
    assert (event.user, event.actor, event.action) == (world.owner, world.owner, AccountEvent.Action.PASSWORD_CHANGE)


def test_an_account_without_a_role_can_change_its_password(client, db):
    user = User.objects.create_user("norole", password=PASSWORD)
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200
    assert _change(client, PASSWORD, "a-better-password-7").status_code == 302
    assert client.get(reverse("password_change_done")).status_code == 200


@pytest.mark.parametrize("new,chinese", [
    ("ab3x", "密码太短，至少需要8个字符。"),  # our catalogue words these (validation_messages.py)
    ("12345678", "该密码过于常见，请换一个。"),
    ("59317468", "密码不能全部为数字。"),
])
def test_refused_new_passwords_are_explained_in_chinese(client, world, new, chinese):
    client.force_login(world.cadre_user)
    response = _change(client, PASSWORD, new)
    assert response.status_code == 200
    assert chinese in response.content.decode()
    assert User.objects.get(pk=world.cadre_user.pk).check_password(PASSWORD)


def test_refusals_read_in_english_for_an_english_user(client, world):
    client.force_login(world.cadre_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _change(client, PASSWORD, "ab3x").content.decode()
    assert "This password is too short. It must contain at least 8 characters." in page


def test_a_wrong_current_password_or_the_same_password_changes_nothing(client, world):
    client.force_login(world.cadre_user)
    assert "当前密码输入错误" in _change(client, "not-my-password", "a-better-password-7").content.decode()
    same = _change(client, PASSWORD, PASSWORD)
    assert same.status_code == 200 and "new_password1" in same.context["form"].errors
    assert not AccountEvent.objects.exists()


# --- who looks after which login ---------------------------------------------------------------


@pytest.fixture
def logins(world):
    """Beside the world's cadre, township officer and liaison (all 苍溪县): a liaison of a unit
    homed in another county, a cadre of 剑阁县, and a superuser linked to a 苍溪县 cadre."""
    W = world
    W.far_liaison = make_user("far_liaison", Profile.Role.UNIT, unit=W.other_unit)
    W.neighbour_cadre_user = make_user("neighbour_cadre", Profile.Role.CADRE, cadre=W.neighbour_cadre)
    W.super_cadre = make_user("super_cadre", Profile.Role.CADRE, cadre=W.member)
    W.super_cadre.is_superuser = True
    W.super_cadre.save()
    W.township_unit = UnitFactory(name="陵江镇农业服务中心", home_region=W.township)
    W.township_liaison = make_user("township_liaison", Profile.Role.UNIT, unit=W.township_unit)
    return W


def test_county_staff_look_after_their_countys_cadres_township_staff_and_liaisons_only(logins):
    W = logins
    mine = set(selectors.accounts_for_user(W.owner).values_list("username", flat=True))
    # Not a colleague, a reviewer, another county's people or a superuser: none of those is
    # the county's to let in.
    assert mine == {"cadre", "township", "liaison", "township_liaison"}
    assert set(selectors.accounts_for_user(W.stranger).values_list("username", flat=True)) == {
        "neighbour_cadre", "far_liaison"}
    for user in (W.province_reviewer, W.city_reviewer, W.township_staff, W.liaison, W.cadre_user):
        assert not selectors.accounts_for_user(user).exists()


def test_services_refuse_a_login_outside_the_county(logins):
    with pytest.raises(PermissionDenied):
        services.account_password_reset(user=logins.owner, account=logins.neighbour_cadre_user)
    with pytest.raises(PermissionDenied):
        services.account_unlock(user=logins.owner, account=logins.colleague)
    assert User.objects.get(pk=logins.neighbour_cadre_user.pk).check_password(PASSWORD)


@pytest.mark.parametrize("action", ["accounts:unlock", "accounts:password_reset"])
def test_the_actions_answer_404_outside_the_county_and_403_to_other_roles(client, logins, action):
    W = logins
    client.force_login(W.owner)
    for other in (W.neighbour_cadre_user, W.colleague, W.super_cadre, W.province_reviewer):
        assert client.post(reverse(action, args=[other.pk])).status_code == 404
    for role in (W.province_reviewer, W.city_reviewer, W.township_staff, W.liaison, W.cadre_user):
        client.force_login(role)
        assert client.post(reverse(action, args=[W.cadre_user.pk])).status_code == 403
    assert not AccountEvent.objects.exists()
    assert User.objects.get(pk=W.cadre_user.pk).check_password(PASSWORD)


@pytest.mark.parametrize("action", ["accounts:unlock", "accounts:password_reset"])
def test_the_actions_are_post_only(client, world, action):
    client.force_login(world.owner)
    response = client.get(reverse(action, args=[world.cadre_user.pk]))
    assert response.status_code == 405
    assert User.objects.get(pk=world.cadre_user.pk).check_password(PASSWORD)


# --- unlocking -------------------------------------------------------------------------------


def test_county_staff_unlock_a_locked_cadre_from_the_cadre_page(client, world):
    _lock("cadre")
    client.force_login(world.owner)
    page = client.get(reverse("cadre_detail", args=[world.cadre.pk]))
    assert page.context["login"].locked
    assert f'action="{reverse("accounts:unlock", args=[world.cadre_user.pk])}"' in page.content.decode()

    cadre_page = reverse("cadre_detail", args=[world.cadre.pk])
    response = client.post(reverse("accounts:unlock", args=[world.cadre_user.pk]), {"next": cadre_page})
    assert response.status_code == 302 and response["Location"] == cadre_page
    assert not client.get(cadre_page).context["login"].locked
    assert _login(Client(), "cadre", PASSWORD).status_code == 302  # in again, with their own password
    event = AccountEvent.objects.get()
    assert (event.username, event.actor, event.action) == ("cadre", world.owner, AccountEvent.Action.UNLOCK)


def test_the_success_message_says_what_to_tell_the_user(client, world):
    _lock("township")
    client.force_login(world.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("accounts:unlock", args=[world.township_staff.pk]), follow=True)
    text = response.content.decode()
    assert "is unlocked" in text and "log in again now with their own password" in text


def test_an_outside_next_address_is_not_followed(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("accounts:unlock", args=[world.cadre_user.pk]),
                           {"next": "https://evil.example/"})
    assert response["Location"] == reverse("accounts:list")


# --- temporary passwords -----------------------------------------------------------------------


def test_a_temporary_password_must_be_changed_at_the_next_login(world):
    cadre_phone = Client()
    assert _login(cadre_phone, "cadre", PASSWORD).status_code == 302
    assert cadre_phone.get(reverse("attendance:checkin")).status_code == 200

    officer = Client()
    officer.force_login(world.owner)
    response = officer.post(reverse("accounts:password_reset", args=[world.cadre_user.pk]),
                            {"next": reverse("cadre_detail", args=[world.cadre.pk])})
    assert response.status_code == 200
    temporary = response.context["password"]
    assert temporary in response.content.decode() and len(temporary) >= 8
    assert "no-store" in response["Cache-Control"]  # the page with the password is never cached

    # The session the cadre had ends; the old password no longer works.
    gone = cadre_phone.get(reverse("attendance:checkin"))
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))
    assert _login(Client(), "cadre", PASSWORD).status_code == 200  # the form again

    # With the temporary password every page leads to the password change page …
    assert _login(cadre_phone, "cadre", temporary).status_code == 302
    for url in (reverse("start"), reverse("attendance:checkin"), reverse("home")):
        response = cadre_phone.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("password_change"), url
    page = cadre_phone.get(reverse("password_change"))
    assert page.status_code == 200 and 'id="must-change"' in page.content.decode()
    # … which refuses the temporary password as the new one …
    assert _change(cadre_phone, temporary, temporary).status_code == 200
    assert cadre_phone.get(reverse("home")).status_code == 302
    # … and, once changed, lets the cadre in, for good.
    assert _change(cadre_phone, temporary, "shanshui-cun-2025").status_code == 302
    assert cadre_phone.get(reverse("attendance:checkin")).status_code == 200
    assert not Profile.objects.get(user=world.cadre_user).must_change_password
    assert _login(Client(), "cadre", "shanshui-cun-2025").status_code == 302
    actions = list(AccountEvent.objects.order_by("id").values_list("action", "actor__username"))
    assert actions == [("temporary_password", "owner"), ("password_change", "cadre")]


def test_logging_out_stays_possible_with_a_temporary_password(client, world):
    password = services.account_password_reset(user=world.owner, account=world.liaison)
    assert _login(client, "liaison", password).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_temporary_password_lifts_a_lock(client, world):
    _lock("liaison")
    password = services.account_password_reset(user=world.owner, account=world.liaison)
    assert _login(client, "liaison", password).status_code == 302


def test_temporary_passwords_differ_and_pass_the_validators(world):
    from django.contrib.auth.password_validation import validate_password

    seen = {services.temporary_password_generate(account=world.cadre_user) for _ in range(20)}
    assert len(seen) == 20
    for password in seen:
        validate_password(password, world.cadre_user)
        assert not set(password) & set("0o1li")  # nothing to mishear over the phone


def test_the_cadre_page_shows_the_login_to_county_staff_only(client, world):
    url = reverse("cadre_detail", args=[world.cadre.pk])
    client.force_login(world.owner)
    page = client.get(url).content.decode()
    assert 'id="login-account"' in page
    assert reverse("accounts:password_reset", args=[world.cadre_user.pk]) in page
    for reader in (world.city_reviewer, world.township_staff, world.liaison, world.cadre_user):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200 and response.context["login"] is None
        assert 'id="login-account"' not in response.content.decode()
    # A cadre without a login says so to the officer instead.
    client.force_login(world.owner)
    other = client.get(reverse("cadre_detail", args=[world.member.pk])).content.decode()
    assert 'id="no-login"' in other and 'id="login-account"' not in other


# --- the county's list of logins --------------------------------------------------------------


def test_the_login_list_shows_the_countys_logins_and_which_are_locked(client, logins):
    _lock("liaison")
    client.force_login(logins.owner)
    response = client.get(reverse("accounts:list"))
    rows = {r["account"].username: r for r in response.context["rows"]}
    assert set(rows) == {"cadre", "township", "liaison", "township_liaison"}
    assert rows["liaison"]["locked"] and not rows["cadre"]["locked"]
    assert rows["cadre"]["name"] == logins.cadre.name
    locked = client.get(reverse("accounts:list"), {"locked": "1"}).context["rows"]
    assert [r["account"].username for r in locked] == ["liaison"]
    found = client.get(reverse("accounts:list"), {"q": logins.cadre.name}).context["rows"]
    assert [r["account"].username for r in found] == ["cadre"]


def test_the_login_list_is_for_county_staff(client, world):
    for user in (world.province_reviewer, world.township_staff, world.liaison, world.cadre_user):
        client.force_login(user)
        assert client.get(reverse("accounts:list")).status_code == 403


def test_a_lock_from_another_county_is_not_shown(client, logins):
    _lock("neighbour_cadre")
    client.force_login(logins.owner)
    response = client.get(reverse("accounts:list"))
    assert response.context["locked_count"] == 0


# --- the lockout page -------------------------------------------------------------------------


def test_the_lockout_page_says_how_long_to_wait_and_who_can_unlock(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _login(client, "owner", "wrong-password")
    assert response.status_code == 429
    text = response.content.decode()
    assert "locked for 60 minutes" in text  # AXES_COOLOFF_TIME = 1 hour
    assert "Wait 60 minutes without trying" in text
    assert "county's organisation department" in text and "unlock the account" in text

