from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/townships/new/", views.township_create, name="township_create"),
    path("villages/", views.village_list, name="village_list"),
    path("villages/new/", views.village_create, name="village_create"),
    path("villages/<int:pk>/", views.village_detail, name="village_detail"),
    path("villages/<int:pk>/edit/", views.village_edit, name="village_edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("cadres/", views.cadre_list, name="cadre_list"),
    path("cadres/new/", views.cadre_create, name="cadre_create"),
    path("cadres/<int:pk>/", views.cadre_detail, name="cadre_detail"),
    path("cadres/<int:pk>/edit/", views.cadre_edit, name="cadre_edit"),
    path("assignments/new/", views.assignment_create, name="assignment_create"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("assignments/<int:pk>/change/", views.assignment_change, name="assignment_change"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("roster/export/", views.roster_export, name="roster_export"),
    path("roster/template/", views.roster_template, name="roster_template"),
    path("exports/", views.export_list, name="export_list"),
    path("exports/<int:pk>/", views.export_download, name="export_download"),
]
