"""Django's own form-validation messages, worded again for this app's users.

Django's Chinese catalogue says a too-long text must "确保该变量包含不超过 120 字符" ("this
variable"), and the other limits read like a programmer's note. The project's catalogue
(locale/, first in LOCALE_PATHS) is searched before Django's, so giving these msgids our own
translation there changes the wording on every form at once. This module only marks them for
makemessages, which otherwise would drop them as unused; nothing imports it. The msgids must stay
exactly Django's (django/core/validators.py)."""
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
)
