"""Template filters of the project: {% load zhucun %}."""
from django import template

from assignments.text import list_join

register = template.Library()


@register.filter
def listjoin(items) -> str:
    """{{ labels|listjoin }}: 、 between items in Chinese, a comma in English."""
    return list_join(items or [])


@register.filter
def minutes(delta) -> int:
    """{{ timedelta|minutes }}: whole minutes, rounded up (0 for none)."""
    if not delta:
        return 0
    return -(-int(delta.total_seconds()) // 60)
