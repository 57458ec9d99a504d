"""The default Sichuan requirement (one county-level-or-above course of at least 3 days in
each tenure) and the nightly training scan at 01:30 Asia/Shanghai (django-celery-beat)."""
from django.db import migrations

TASK_NAME = "training: flag unmet training (nightly)"
DEFAULT_NAME = "每个任期至少参加1次县级及以上、不少于3天的培训"


def forwards(apps, schema_editor):
    TrainingRequirement = apps.get_model("training", "TrainingRequirement")
    if not TrainingRequirement.objects.exists():
        TrainingRequirement.objects.create(
            name=DEFAULT_NAME, region=None, levels=",province,city,county,", min_days_per_course=3,
            courses_required=1, period="assignment", min_hours=None, active=True,
        )
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="1", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME, defaults={"task": "training.tasks.flag_unmet_training", "crontab": crontab, "enabled": True},
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()
    apps.get_model("training", "TrainingRequirement").objects.filter(name=DEFAULT_NAME, region=None).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
