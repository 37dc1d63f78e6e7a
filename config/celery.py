import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("controltrace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Owner notifications live beside, not in, compliance.tasks; each run records what it told, so hourly is safe.
app.autodiscover_tasks(["compliance"], related_name="notification_tasks")
app.conf.beat_schedule.setdefault(
    "notify-control-owners", {"task": "compliance.notification_tasks.notify_owners", "schedule": 60 * 60}
)
