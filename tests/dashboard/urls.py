"""The project's URLs plus the dashboard, until config/urls.py mounts it (then this adds nothing)."""
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(p, "namespace", None) == "dashboard" for p in project_urlpatterns)
urlpatterns = list(project_urlpatterns) + ([] if _mounted else [path("dashboard/", include("assignments.dashboard.urls"))])
