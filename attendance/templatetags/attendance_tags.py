"""`{% load attendance_tags %}{% cadre_attendance cadre %}`: the attendance section of a cadre's
page (open findings, leave of late and ahead, this month's days in the village), so the roster's
cadre page shows it without its view knowing about attendance. Read through the scoping gate
with the viewer, like every list it links to."""
from django import template
from django.utils import timezone

from attendance import selectors

register = template.Library()


@register.inclusion_tag("attendance/_cadre_attendance.html", takes_context=True)
def cadre_attendance(context, cadre):
    return selectors.cadre_attendance_summary(user=context["request"].user, cadre=cadre, today=timezone.localdate())
