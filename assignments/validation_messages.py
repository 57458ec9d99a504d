"""Django's own form-validation messages, worded again for this app's users.

Django's Chinese catalogue says a too-long text must "确保该变量包含不超过 120 字符" ("this
variable"), and the other limits read like a programmer's note. The project's catalogue
(locale/, first in LOCALE_PATHS) is searched before Django's, so giving these msgids our own
translation there changes the wording on every form at once. This module only marks them for
makemessages, which otherwise would drop them as unused; nothing imports it. The msgids must stay
exactly Django's (django/core/validators.py; the password ones django/contrib/auth/
password_validation.py and forms.py, except the too-short one, which is our validator's:
assignments/accounts/passwords.py).

The password messages are what a cadre reads on a phone when a new password is refused; Django's
Chinese for them is understandable but stiff ("密码跟 用户名 太相似了。"), so they are listed for
the catalogue to word them the way the rest of the app speaks."""
from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = (
    ngettext_lazy("Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
                  "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).", "limit_value"),
    ngettext_lazy("Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
                  "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).", "limit_value"),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    ngettext_lazy("Ensure that there are no more than %(max)s digit in total.",
                  "Ensure that there are no more than %(max)s digits in total.", "max"),
    ngettext_lazy("Ensure that there are no more than %(max)s decimal place.",
                  "Ensure that there are no more than %(max)s decimal places.", "max"),
    ngettext_lazy("Ensure that there are no more than %(max)s digit before the decimal point.",
                  "Ensure that there are no more than %(max)s digits before the decimal point.", "max"),
    # Passwords (settings.AUTH_PASSWORD_VALIDATORS and the password change form).
    ngettext_lazy("This password is too short. It must contain at least %(min_length)d character.",
                  "This password is too short. It must contain at least %(min_length)d characters.", "min_length"),
    ngettext_lazy("Your password must contain at least %(min_length)d character.",
                  "Your password must contain at least %(min_length)d characters.", "min_length"),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
)
