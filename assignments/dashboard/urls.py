"""Dashboard URLs, mounted by the project at /dashboard/ (namespace "dashboard")."""
from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("export.xlsx", views.dashboard_export, name="export"),
    path("map.json", views.dashboard_map, name="map"),
]
