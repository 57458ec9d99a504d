from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .models import CountyAttendanceSetting, LeaveRequest, PresenceRecord, WorkingDay, WorkLog


@admin.register(WorkingDay)
class WorkingDayAdmin(admin.ModelAdmin):
    # The province corrects days on the working-days page (services.working_day_set); the admin
    # stays for superusers. An edited day gets source "manual" (a refill keeps it) and who/when.
    list_display = ["date", "is_working_day", "source", "edited_by", "edit_reason"]
    list_filter = ["is_working_day", "source"]
    readonly_fields = ["source", "edited_by", "edited_at"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        obj.source = WorkingDay.Source.MANUAL
        obj.edited_by, obj.edited_at = request.user, timezone.now()
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
