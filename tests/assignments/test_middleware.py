"""Project middleware: 405 pages, no caching of logged-in responses (the temporary-password
redirect is tested with the accounts, tests/assignments/test_accounts.py)."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def test_a_get_on_logout_shows_a_page_with_the_logout_button(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    page = response.content.decode()
    assert f'action="{reverse("logout")}"' in page and "csrfmiddlewaretoken" in page
    assert '<html lang="zh-hans">' in page  # the site's page, in the user's language
    assert "_auth_user_id" in client.session  # a GET logs nobody out


def test_a_get_on_a_post_only_action_explains_itself_in_the_users_language(client, world):
    client.force_login(world.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("attendance:scan_run"))
    assert response.status_code == 405 and response["Allow"] == "POST"
    page = response.content.decode()
    assert "Not available this way" in page and "use the button there" in page
    assert f'href="{reverse("home")}"' in page


def test_an_anonymous_get_on_logout_points_to_the_login_page(client, db):
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert f'href="{reverse("login")}"' in response.content.decode()


def test_a_405_with_a_body_of_its_own_is_left_alone(rf):
    from django.http import HttpResponseNotAllowed

    from assignments.middleware import MethodNotAllowedPageMiddleware

    own = HttpResponseNotAllowed(["POST"], content=b'{"error": "POST only"}', content_type="application/json")
    assert MethodNotAllowedPageMiddleware(lambda request: own)(rf.get("/")) is own


def test_logged_in_pages_and_files_are_not_kept_in_caches(client, world):
    client.force_login(world.owner)
    for url in (reverse("home"), reverse("cadre_detail", args=[world.cadre.pk]), reverse("roster_export")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}, url


def test_a_views_own_cache_control_is_kept(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("dashboard:map"))
    assert response.status_code == 200
    assert "max-age=3600" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]


def test_anonymous_responses_stay_cacheable(client, world):
    response = client.get(reverse("home"))  # the redirect to the login page
    assert response.status_code == 302 and not response.has_header("Cache-Control")


def test_static_files_stay_cacheable_for_logged_in_users(client, world, settings):
    # WhiteNoise serves from the finders here (tests collect no static files); it is set up at
    # this client's first request, so the setting applies.
    settings.WHITENOISE_USE_FINDERS = True
    client.force_login(world.owner)
    static = client.get("/" + settings.STATIC_URL.strip("/") + "/css/app.css")
    assert static.status_code == 200
    assert "public" in static["Cache-Control"] and "no-store" not in static["Cache-Control"]
