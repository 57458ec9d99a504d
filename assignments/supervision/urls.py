"""Supervision URLs, mounted by the project at /supervision/ (namespace "supervision")."""
from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/", views.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/rectify/", views.inspection_rectify, name="inspection_rectify"),
    path("samples/", views.sample_list, name="sample_list"),
    path("samples/new/", views.sample_create, name="sample_create"),
    path("samples/<int:pk>/", views.sample_detail, name="sample_detail"),
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/new/", views.assessment_create, name="assessment_create"),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("assignments/<int:pk>/recall/", views.recall, name="recall"),
    path("replacements/", views.obligation_list, name="obligation_list"),
    path("replacements/<int:pk>/fulfil/", views.obligation_fulfil, name="obligation_fulfil"),
    path("benefits/", views.benefit_arrears, name="benefit_arrears"),
    path("benefits/export/", views.benefit_export, name="benefit_export"),
    path("benefits/payments/new/", views.payment_create, name="payment_create"),
    path("commendations/", views.commendation_list, name="commendation_list"),
    path("commendations/new/", views.commendation_create, name="commendation_create"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
]
