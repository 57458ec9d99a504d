"""The project's URLs plus attendance and training, until config/urls.py mounts them (then
this adds nothing)."""
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

_namespaces = {getattr(p, "namespace", None) for p in project_urlpatterns}
urlpatterns = list(project_urlpatterns)
if "attendance" not in _namespaces:
    urlpatterns.append(path("attendance/", include("attendance.urls")))
if "training" not in _namespaces:
    urlpatterns.append(path("training/", include("training.urls")))
