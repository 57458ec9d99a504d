from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AccountEvent, Assignment, Cadre, DispatchingUnit, Profile, Region, Village


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
    list_display = ("user", "role", "region", "unit", "must_change_password")
    list_filter = ("role", "must_change_password")
    raw_id_fields = ("user", "region", "unit")


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    """The audit trail of unlocks and password changes: read, never edited."""

    list_display = ("at", "username", "action", "actor_username")
    list_filter = ("action",)
    search_fields = ("username", "actor_username")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- supervision -------------------------------------------------------------------------

from .models import (  # noqa: E402
    AnnualAssessment,
    BenefitPayment,
    Commendation,
    GoodPracticeCase,
    Inspection,
    InspectionMember,
    InspectionSample,
    ReplacementObligation,
)


class InspectionMemberInline(admin.TabularInline):
    model = InspectionMember
    extra = 0
    raw_id_fields = ("assignment", "cadre", "finding")


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "village", "county", "inspectors", "rectification_deadline", "rectified_on")
    list_filter = ("kind",)
    search_fields = ("village__name", "inspectors")
    raw_id_fields = ("village", "created_by")
    inlines = [InspectionMemberInline]


@admin.register(InspectionSample)
class InspectionSampleAdmin(admin.ModelAdmin):
    list_display = ("created_at", "region", "size", "seed", "created_by")
    raw_id_fields = ("region", "created_by")


@admin.register(AnnualAssessment)
class AnnualAssessmentAdmin(admin.ModelAdmin):
    list_display = ("cadre", "year", "grade", "county", "assessed_by")
    list_filter = ("year", "grade")
    search_fields = ("cadre__name",)
    raw_id_fields = ("cadre", "county", "assessed_by")


@admin.register(ReplacementObligation)
class ReplacementObligationAdmin(admin.ModelAdmin):
    list_display = ("unit", "village", "role", "due_date", "status", "fulfilled_by")
    list_filter = ("status",)
    raw_id_fields = ("unit", "village", "recalled_assignment", "fulfilled_by", "created_by")


@admin.register(BenefitPayment)
class BenefitPaymentAdmin(admin.ModelAdmin):
    list_display = ("paid_on", "kind", "year", "amount", "unit", "cadre", "village")
    list_filter = ("kind", "year")
    raw_id_fields = ("unit", "cadre", "village", "recorded_by")


@admin.register(Commendation)
class CommendationAdmin(admin.ModelAdmin):
    list_display = ("date", "level", "title", "cadre")
    list_filter = ("level",)
    raw_id_fields = ("cadre", "created_by")


@admin.register(GoodPracticeCase)
class GoodPracticeCaseAdmin(admin.ModelAdmin):
    list_display = ("date", "title", "village")
    search_fields = ("title",)
    raw_id_fields = ("village", "created_by")
