from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
