from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Assignment, Cadre, DispatchingUnit, Profile, Region, Village


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "township", "county")
    search_fields = ("code", "name")
    raw_id_fields = ("township",)


@admin.register(DispatchingUnit)
class DispatchingUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "kind", "home_region")
    list_filter = ("level", "kind")
    search_fields = ("name",)
    raw_id_fields = ("home_region",)


@admin.register(Cadre)
class CadreAdmin(SimpleHistoryAdmin):
    list_display = ("name", "masked_id_number", "unit", "county")
    search_fields = ("name", "id_number")
    raw_id_fields = ("unit", "county", "user")


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ("cadre", "village", "role", "start_date", "end_date", "end_reason")
    list_filter = ("role", "end_reason")
    raw_id_fields = ("cadre", "village", "approved_by", "ended_by")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "region", "unit")
    list_filter = ("role",)
    raw_id_fields = ("user", "region", "unit")
