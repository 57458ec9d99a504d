"""Unit contact phones must be numbers one can call (as the form has required since it checked
them). Numbers typed before that are tidied first (full-width digits, spaces, "+86"); a value
that is still no phone number stops the migration with the units to fix, rather than being
thrown away."""
import re
import unicodedata

from django.db import migrations, models

PATTERN = r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?)$"


def normalise(value: str) -> str:
    # A frozen copy of services.phone_normalise: a migration must not change with the app.
    value = unicodedata.normalize("NFKC", value).strip()
    value = re.sub(r"[\s()（）]", "", value)
    value = re.sub(r"[‐‑‒–—―−]", "-", value)
    return re.sub(r"^(\+?86-?)(?=1[0-9]{10}$)", "", value)


def forwards(apps, schema_editor):
    Unit = apps.get_model("assignments", "DispatchingUnit")
    unusable = []
    for unit in Unit.objects.exclude(contact_phone="").only("id", "name", "contact_phone"):
        if re.match(PATTERN, unit.contact_phone):
            continue
        tidy = normalise(unit.contact_phone)
        if tidy == "" or re.match(PATTERN, tidy):
            Unit.objects.filter(pk=unit.pk).update(contact_phone=tidy)
        else:
            unusable.append(f"{unit.id} {unit.name}: {unit.contact_phone!r}")
    if unusable:
        raise RuntimeError(
            "These dispatching units have a contact phone that is no phone number. Correct or clear "
            "it on each unit's edit page (/units/<id>/edit/), then run migrate again:\n  " + "\n  ".join(unusable))


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0009_export_prune_schedule"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="dispatchingunit",
            constraint=models.CheckConstraint(
                condition=models.Q(("contact_phone", ""), ("contact_phone__regex", PATTERN), _connector="OR"),
                name="unit_contact_phone_callable"),
        ),
    ]
