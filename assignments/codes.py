"""Multi-choice fields stored as comma-wrapped codes (",a,b,").

Portable to SQLite and PostgreSQL, filterable with `field__contains=",code,"`, and cheap to
bulk-insert at scale. Used for village categories, work-log duties, course topics and the
organiser levels a training requirement counts.
"""
from __future__ import annotations

from collections.abc import Iterable


def pack_codes(codes: Iterable[str], allowed: Iterable[str]) -> str:
    """The codes, in the order of `allowed` (unknown ones dropped), wrapped in commas."""
    wanted = set(codes)
    kept = [c for c in allowed if c in wanted]
    return f",{','.join(kept)}," if kept else ""


def unpack_codes(value: str) -> list[str]:
    return [c for c in (value or "").split(",") if c]


def code_labels(value: str, choices) -> list[str]:
    """Display labels (translated) for the stored codes, in stored order."""
    labels = dict(choices)
    return [str(labels.get(c, c)) for c in unpack_codes(value)]
