"""Hours are at most 24 per day: a course's hours per course day, a record's hours per day
attended (an absent cadre's record therefore has 0 hours). The forms and services refuse more
from now on; rows saved before that (e.g. 5000 hours for a 3-day course) stop the migration
with the rows to correct, rather than being guessed at or thrown away. Only ids and names are
read: on SQLite an over-long value cannot even be read back as a decimal."""
from django.db import migrations, models

PER_DAY = 24  # frozen copy of training.models.MAX_HOURS_PER_DAY: a migration must not change with the app


def forwards(apps, schema_editor):
    Course = apps.get_model("training", "TrainingCourse")
    Record = apps.get_model("training", "TrainingRecord")
    bad = [
        f"course {pk} {title}: more hours than 24 per course day (/training/courses/{pk}/edit/)"
        for pk, title in Course.objects.filter(hours__gt=models.F("days") * PER_DAY).values_list("id", "title")
    ]
    bad += [
        f"record {pk} ({name} at course {course_id} {title}): more hours than 24 per day attended "
        f"(/admin/training/trainingrecord/{pk}/change/)"
        for pk, name, course_id, title in Record.objects.filter(
            hours_attended__gt=models.F("days_attended") * PER_DAY,
        ).values_list("id", "cadre__name", "course_id", "course__title")
    ]
    if bad:
        raise RuntimeError(
            "These training rows record more than 24 hours a day. Correct their hours (or days), "
            "then run migrate again:\n  " + "\n  ".join(bad))


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0003_requirement_name_unique"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="trainingcourse",
            constraint=models.CheckConstraint(condition=models.Q(hours__lte=models.F("days") * PER_DAY),
                                              name="course_hours_at_most_24_a_day"),
        ),
        migrations.AddConstraint(
            model_name="trainingrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(hours_attended__lte=models.F("days_attended") * PER_DAY),
                name="record_hours_at_most_24_a_day"),
        ),
    ]
