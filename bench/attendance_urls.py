"""URLs for the check-in bench: the project, attendance, and a bare view to compare with."""
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.utils import timezone

from config.urls import urlpatterns as project_urlpatterns


def bare(request):
    """The baseline: the same middleware stack (sessions, CSRF, auth, axes), no work."""
    return HttpResponse("ok")


def bare_logged_in(request):
    """For information beside the baseline: no work either, but it reads the session and
    loads the logged-in user, as every page of the app does before it does anything."""
    return HttpResponse("ok" if request.user.is_authenticated else "anonymous")


def checkin_statement(request):
    """For information beside the baseline, never part of the app: the check-in's one
    PostgreSQL statement (find today's post, insert the record and its history row) for the
    cadre and user named in the POST, without the session, the user or the scoping gate: what
    the durable write alone costs through the same gunicorn and middleware."""
    from attendance import services
    from attendance.models import PresenceRecord

    now = timezone.now()
    user_id = int(request.POST["user"])
    record = PresenceRecord(cadre_id=int(request.POST["cadre"]), date=timezone.localdate(now),
                            kind=PresenceRecord.Kind.IN_VILLAGE, source=PresenceRecord.Source.SELF,
                            recorded_at=now, recorded_by_id=user_id)
    record._history_user = type("HistoryUser", (), {"pk": user_id})()
    _target, inserted = services._checkin_in_one_statement(record)
    return JsonResponse({"created": bool(inserted)})


_mounted = any(getattr(p, "namespace", None) == "attendance" for p in project_urlpatterns)
urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/bare-logged-in/", bare_logged_in, name="bench_bare_logged_in"),
    path("bench/checkin-statement/", checkin_statement, name="bench_checkin_statement"),
    *project_urlpatterns,
]
if not _mounted:
    urlpatterns.append(path("attendance/", include("attendance.urls")))
