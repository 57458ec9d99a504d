from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from assignments.accounts import views as account_views

# The admin is a superuser's tool for repairs; staff flags alone never open it, so the scoping
# gate cannot be bypassed through it.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser

urlpatterns = [
    # Browsers and bookmark tools ask for /favicon.ico whatever the pages link; send them to the
    # icon the pages use instead of a 404 in every log.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True), name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", account_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("accounts/", include("assignments.accounts.urls")),
    path("attendance/", include("attendance.urls")),
    path("dashboard/", include("assignments.dashboard.urls")),
    path("supervision/", include("assignments.supervision.urls")),
    path("training/", include("training.urls")),
    path("", include("assignments.urls")),
]
