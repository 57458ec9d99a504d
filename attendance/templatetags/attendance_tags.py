"""`{% load attendance_tags %}{% cadre_attendance cadre %}`: the attendance section of a cadre's
page (open findings, leave of late and ahead, this month's days in the village), so the roster's
cadre page shows it without its view knowing about attendance. Read through the scoping gate
with the viewer, like every list it links to."""
import datetime as dt

from django import template
from django.utils import timezone

from assignments.selectors import findings_for_user
from attendance import selectors

register = template.Library()

RECENT_LEAVE = 5


@register.inclusion_tag("attendance/_cadre_attendance.html", takes_context=True)
def cadre_attendance(context, cadre):
    user = context["request"].user
    today = timezone.localdate()
    first = today.replace(day=1)
    findings = (findings_for_user(user).filter(cadre=cadre, status="open")
                .order_by("-severity", "-first_seen")[:10])
    # Leave that ended in the last 90 days or is still to come, newest first.
    leave = (selectors.leaves_for_user(user).filter(cadre=cadre, end__gte=today - dt.timedelta(days=90))
             .order_by("-start")[:RECENT_LEAVE])
    month = selectors.month_calendar(cadre=cadre, month=first, today=today)
    missing = sum(1 for d in month["days"] if d["status"] in ("missing", "rejected"))
    return {"cadre": cadre, "findings": list(findings), "leave": list(leave), "first": first,
            "in_village": month["in_village_days"], "missing": missing}
