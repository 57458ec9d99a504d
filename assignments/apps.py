from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assignments"
    verbose_name = _("Roster and assignments")

    def ready(self) -> None:
        # The receivers that drop cached users and scopes must be connected in every process
        # that can change them (web, Celery worker, manage.py shell), not only in one that
        # happened to import these modules for a request.
        from . import auth, selectors  # noqa: F401
        from .accounts import services  # noqa: F401  (the login hook for temporary passwords)
