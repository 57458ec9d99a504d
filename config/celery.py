"""The Celery application.

Broker and result backend come from REDIS_URL. Without REDIS_URL the settings set
CELERY_TASK_ALWAYS_EAGER, so tasks run in-process: `make run` needs no Redis.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("zhucun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
