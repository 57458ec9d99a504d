"""URLs for the check-in bench: the project, attendance, and a bare view to compare with."""
from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def bare(request):
    """The baseline: the same middleware stack (sessions, CSRF, auth, axes), no work."""
    return HttpResponse("ok")


_mounted = any(getattr(p, "namespace", None) == "attendance" for p in project_urlpatterns)
urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *project_urlpatterns]
if not _mounted:
    urlpatterns.append(path("attendance/", include("attendance.urls")))
