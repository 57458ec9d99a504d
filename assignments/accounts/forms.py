"""The password change form, with one rule Django's lacks."""
from __future__ import annotations

from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def clean(self):
        cleaned = super().clean()
        old, new = cleaned.get("old_password"), cleaned.get("new_password1")
        # Typing the temporary password in again would clear the "must change" flag while the
        # officer who set it (and whoever overheard the call) still knows the password.
        if old and new and old == new:
            self.add_error("new_password1", ValidationError(
                _("Choose a new password: it must differ from the current one."), code="password_unchanged"))
        return cleaned
