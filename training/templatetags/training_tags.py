"""`{% load training_tags %}{% cadre_training cadre %}`: the training section of a cadre's page,
so the roster's cadre page shows it without its view knowing about training."""
from django import template

from training.selectors import training_status_for_cadre

register = template.Library()


@register.inclusion_tag("training/_cadre_training.html")
def cadre_training(cadre):
    return {"training": training_status_for_cadre(cadre=cadre)}
