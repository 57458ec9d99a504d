from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control

from .accounts.services import MUST_CHANGE_SESSION_KEY


class ChineseByDefaultMiddleware:
    """The UI is Simplified Chinese unless the user picks English with the switcher.

    Django's LocaleMiddleware would otherwise follow the browser's Accept-Language, and an
    office PC with an English browser would greet a county officer in English. The switcher's
    cookie still wins, so English stays one click away on every page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class NoStoreForUsersMiddleware:
    """Pages and files sent to a logged-in user are not to be kept by any cache.

    Officers share office PCs: a browser's cache (or a proxy's) would keep a roster page or an
    xlsx export for the next person at the keyboard. A view that set Cache-Control itself knows
    better (the dashboard's map data may be kept an hour, Django's login and password views send
    no-cache) and is left alone. Static files never get here: WhiteNoise answers them earlier in
    the chain, with long cache lifetimes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class MethodNotAllowedPageMiddleware:
    """A 405 (a GET on logout or on a button's POST-only address, e.g. a link opened in a new
    tab) comes from Django as an empty page; this renders templates/405.html instead, in the
    user's language, with the same status and Allow header and a way back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = render(request, "405.html", {"is_logout": request.path_info == reverse("logout")}, status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page


class MustChangePasswordMiddleware:
    """Someone logged in with a temporary password from their county's organisation department
    is sent to the password change page from every other page until they choose their own (they
    may still log out or switch the language). The flag is put in the session at login
    (assignments.accounts.services), so this costs no query."""

    OPEN = ("password_change", "password_change_done", "logout", "set_language")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(MUST_CHANGE_SESSION_KEY):
            if self._open_paths is None:
                self._open_paths = frozenset(reverse(name) for name in self.OPEN)
            if request.path_info not in self._open_paths:
                return redirect("password_change")
        return self.get_response(request)
