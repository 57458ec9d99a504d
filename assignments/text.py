"""Small pieces of wording shared by services, views and templates."""
from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import pgettext


def list_join(items: Iterable[str]) -> str:
    """Items of a list in a sentence: 、 in Chinese, a comma in English."""
    return pgettext("separator between items of a list", ", ").join(str(i) for i in items)
