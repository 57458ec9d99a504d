"""Password validators as settings.AUTH_PASSWORD_VALIDATORS names them.

Django 5.2's MinimumLengthValidator words its error "…at least %d characters." (a msgid its
own Chinese catalogue does not have yet), so a cadre typing a short password would read it in
English. This one raises the same error with the msgid Django's catalogue does translate
("…at least %(min_length)d characters."), so it reads in Chinese without a catalogue of ours.
"""
from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
