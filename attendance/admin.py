from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CountyAttendanceSetting, LeaveRequest, PresenceRecord, WorkingDay, WorkLog


@admin.register(WorkingDay)
class WorkingDayAdmin(admin.ModelAdmin):
    # The province corrects a day here; an edited day gets source "manual" and the scan keeps it.
    list_display = ["date", "is_working_day", "source"]
    list_filter = ["is_working_day", "source"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        obj.source = WorkingDay.Source.MANUAL
        super().save_model(request, obj, form, change)


@admin.register(CountyAttendanceSetting)
class CountyAttendanceSettingAdmin(admin.ModelAdmin):
    list_display = ["county", "location_checkin_enabled"]
    raw_id_fields = ["county"]


@admin.register(PresenceRecord)
class PresenceRecordAdmin(SimpleHistoryAdmin):
    list_display = ["date", "cadre", "kind", "source", "review_status"]
    list_filter = ["kind", "source", "review_status"]
    raw_id_fields = ["cadre", "assignment", "recorded_by", "reviewed_by", "leave"]
    date_hierarchy = "date"


@admin.register(LeaveRequest)
class LeaveRequestAdmin(SimpleHistoryAdmin):
    list_display = ["cadre", "kind", "start", "end", "days", "status"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["cadre", "assignment", "decided_by"]


@admin.register(WorkLog)
class WorkLogAdmin(admin.ModelAdmin):
    list_display = ["date", "cadre", "duties"]
    raw_id_fields = ["cadre", "assignment"]
