"""Account URLs, mounted by the project at /accounts/ (namespace "accounts"); the password
change pages keep Django's names (password_change, password_change_done) in config/urls.py."""
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.account_list, name="list"),
    path("users/<int:pk>/unlock/", views.account_unlock, name="unlock"),
    path("users/<int:pk>/temporary-password/", views.account_password_reset, name="password_reset"),
]
