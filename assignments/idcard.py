"""Resident ID numbers (GB 11643-1999): check character, embedded birth date, masking."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    """The 18th character for the given first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def birth_date_of(id_number: str) -> dt.date | None:
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def id_number_errors(value: str) -> list[str]:
    """Every reason `value` is not a valid resident ID number, in the user's language."""
    value = (value or "").strip().upper()
    if len(value) != 18:
        return [_("An ID number has 18 characters; this one has %(n)d.") % {"n": len(value)}]
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return [_("An ID number is 17 digits followed by a digit or X.")]
    if birth_date_of(value) is None:
        return [_("The birth date in this ID number (characters 7–14) is not a real date.")]
    expected = check_character(value[:17])
    if value[17] != expected:
        return [
            _("The check character is wrong: with these first 17 digits it must be %(c)s.")
            % {"c": expected}
        ]
    return []


def validate_id_number(value: str) -> None:
    errors = id_number_errors(value)
    if errors:
        raise ValidationError(errors[0], code="id_number")


def mask_id_number(value: str) -> str:
    """First 4 and last 4 characters visible: 5108**********123X."""
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
