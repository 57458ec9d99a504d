from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attendance"
    verbose_name = _("Attendance")

    def ready(self) -> None:
        # Large monthly reports are built by the export worker, which must know how.
        from assignments.export_jobs import BUILDERS
        from assignments.models import ExportJob

        from .services import monthly_report_job_build

        BUILDERS[ExportJob.Kind.ATTENDANCE_REPORT] = monthly_report_job_build
