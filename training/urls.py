"""Training URLs, mounted by the project at /training/ (namespace "training")."""
from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:pk>/records/", views.record_bulk, name="record_bulk"),
    path("courses/<int:pk>/import/", views.record_import, name="record_import"),
    path("cadres/<int:pk>/", views.cadre_training, name="cadre_training"),
    path("requirements/", views.requirement_list, name="requirement_list"),
    path("requirements/new/", views.requirement_create, name="requirement_create"),
    path("requirements/<int:pk>/edit/", views.requirement_edit, name="requirement_edit"),
    path("report/", views.report, name="report"),
    path("report/export/", views.report_export, name="report_export"),
]
