"""One township name per county (any region name per parent) and one village name per township.

Databases in use already hold duplicates (created through the forms before the services
refused them), and adding the constraints would fail on them. So first the later duplicates
are renamed by appending their code, "山水村（510824100203）": the oldest row (lowest id) keeps
its name, because it is the one people already know and printed; the renamed rows stay easy
to find and rename properly, and nothing is merged or deleted (assignments, attendance and
findings hang on them).
"""
from django.db import migrations, models

NAME_MAX = 64


def renames(rows) -> dict[int, str]:
    """New names for `rows` of (id, group, name, code): in each group, later rows (by id) whose
    name is taken get their code appended, cut to fit the column, and never a name that is
    itself taken."""
    taken: dict[object, set[str]] = {}
    for _id, group, name, _code in rows:
        taken.setdefault(group, set()).add(name)
    seen: set[tuple[object, str]] = set()
    out: dict[int, str] = {}
    for pk, group, name, code in sorted(rows, key=lambda r: r[0]):
        if (group, name) not in seen:
            seen.add((group, name))
            continue
        suffix, n = f"（{code}）", 1
        new = name[: NAME_MAX - len(suffix)] + suffix
        while new in taken[group]:
            n += 1
            suffix = f"（{code}-{n}）"
            new = name[: NAME_MAX - len(suffix)] + suffix
        taken[group].add(new)
        seen.add((group, new))
        out[pk] = new
    return out


def _rename_duplicates(model, group_field: str) -> None:
    dup_groups = (
        model.objects.order_by().values(group_field, "name").annotate(n=models.Count("id")).filter(n__gt=1)
        .values_list(group_field, flat=True)
    )
    rows = list(model.objects.filter(**{f"{group_field}__in": list(dup_groups)})
                .values_list("id", group_field, "name", "code"))
    for pk, name in renames(rows).items():
        model.objects.filter(pk=pk).update(name=name)


def forwards(apps, schema_editor):
    _rename_duplicates(apps.get_model("assignments", "Region"), "parent_id")
    _rename_duplicates(apps.get_model("assignments", "Village"), "township_id")


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0005_replacement_sync_schedule"),
    ]

    operations = [
        # Renamed rows keep their new names when migrating back: nothing to undo.
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="region",
            constraint=models.UniqueConstraint(fields=("parent", "name"), name="region_unique_name_per_parent"),
        ),
        migrations.AddConstraint(
            model_name="village",
            constraint=models.UniqueConstraint(fields=("township", "name"), name="village_unique_name_per_township"),
        ),
    ]
