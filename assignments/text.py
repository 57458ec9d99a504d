"""Small pieces of wording shared by services, views and templates."""
from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import get_language, pgettext


def list_join(items: Iterable[str]) -> str:
    """Items of a list in a sentence: 、 in Chinese, a comma in English."""
    return pgettext("separator between items of a list", ", ").join(str(i) for i in items)


def sentences_join(sentences: Iterable[str]) -> str:
    """Whole sentences one after another: Chinese runs them on after their 。, English puts a
    space between them. (Not a catalogue entry: an empty translation would mean "untranslated".)"""
    gap = "" if (get_language() or "").startswith("zh") else " "
    return gap.join(str(s) for s in sentences)
