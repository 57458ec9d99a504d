"""URLs for the check-in bench: the project, attendance, and a bare view to compare with."""
from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def bare(request):
    """The baseline: the same middleware stack (sessions, CSRF, auth, axes), no work."""
    return HttpResponse("ok")


def bare_logged_in(request):
    """For information beside the baseline: no work either, but it reads the session and
    loads the logged-in user, as every page of the app does before it does anything."""
    return HttpResponse("ok" if request.user.is_authenticated else "anonymous")


_mounted = any(getattr(p, "namespace", None) == "attendance" for p in project_urlpatterns)
urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/bare-logged-in/", bare_logged_in, name="bench_bare_logged_in"),
    *project_urlpatterns,
]
if not _mounted:
    urlpatterns.append(path("attendance/", include("attendance.urls")))
