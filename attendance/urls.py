"""Attendance URLs, mounted by the project at /attendance/ (namespace "attendance")."""
from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("", views.checkin, name="checkin"),
    path("calendar/", views.calendar_mine, name="calendar_mine"),
    path("cadres/<int:pk>/calendar/", views.calendar, name="calendar"),
    path("leave/", views.leave_list, name="leave_list"),
    path("leave/new/", views.leave_create, name="leave_create"),
    path("leave/queue/", views.leave_queue, name="leave_queue"),
    path("leave/<int:pk>/", views.leave_detail, name="leave_detail"),
    path("leave/<int:pk>/submit/", views.leave_submit, name="leave_submit"),
    path("leave/<int:pk>/cancel/", views.leave_cancel, name="leave_cancel"),
    path("leave/<int:pk>/return/", views.leave_return, name="leave_return"),
    path("leave/<int:pk>/decide/", views.leave_decide, name="leave_decide"),
    path("keeper/", views.keeper_grid, name="keeper_grid"),
    path("keeper/correct/", views.presence_correct, name="presence_correct"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/", views.presence_review, name="presence_review"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/export/", views.finding_export, name="finding_export"),
    path("findings/<int:pk>/resolve/", views.finding_resolve, name="finding_resolve"),
    path("findings/scan/", views.scan_run, name="scan_run"),
    path("settings/", views.county_settings, name="county_settings"),
    path("working-days/", views.working_days, name="working_days"),
    path("working-days/set/", views.working_day_set, name="working_day_set"),
    path("reports/", views.report_page, name="report_page"),
    path("report/", views.monthly_report, name="monthly_report"),
    path("worklogs/", views.worklog_list, name="worklog_list"),
    path("worklogs/new/", views.worklog_create, name="worklog_create"),
]
