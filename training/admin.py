"""Superuser repairs only (the admin is closed to everyone else in config/urls.py)."""
from django.contrib import admin

from .models import TrainingCourse, TrainingRecord, TrainingRequirement


@admin.register(TrainingRequirement)
class TrainingRequirementAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "levels", "min_days_per_course", "courses_required", "period", "min_hours",
                    "active"]
    list_filter = ["active", "period"]


class RecordInline(admin.TabularInline):
    model = TrainingRecord
    extra = 0
    raw_id_fields = ["cadre", "recorded_by"]


@admin.register(TrainingCourse)
class TrainingCourseAdmin(admin.ModelAdmin):
    list_display = ["title", "organiser_level", "region", "unit", "start_date", "end_date", "days", "managed_by"]
    list_filter = ["organiser_level"]
    search_fields = ["title"]
    raw_id_fields = ["region", "unit", "managed_by", "created_by"]
    inlines = [RecordInline]


@admin.register(TrainingRecord)
class TrainingRecordAdmin(admin.ModelAdmin):
    list_display = ["cadre", "course", "days_attended", "hours_attended", "result", "certificate_no"]
    list_filter = ["result"]
    raw_id_fields = ["cadre", "course", "recorded_by"]
