"""Template filters of the project: {% load zhucun %}."""
from decimal import ROUND_HALF_UP, Decimal

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


@register.filter
def plural_count(value) -> int:
    """{% blocktranslate count n=days|plural_count %}: the whole number gettext picks a plural
    form by (it warns on a Decimal and will refuse one). A whole amount is itself (1.0 → 1,
    "1 day"); a fraction takes the "other" form in English ("0.5 days", "1.5 hours"), which
    any count but 1 selects, so it counts as 2. Chinese has one form."""
    amount = Decimal(str(value or 0))
    whole = int(amount)
    return whole if amount == whole else 2


@register.filter
def yuan(value) -> str:
    """{{ amount|yuan }}: money as 34,260.27, two decimals and a comma every three digits, in
    either language (Django's Chinese number format has no thousands separator), rounded half
    up as the .xlsx shows it."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"
