import logging
import os

import kombu.exceptions
from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("controltrace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Owner notifications live beside, not in, compliance.tasks; each run records what it told, so hourly is safe.
app.autodiscover_tasks(["compliance"], related_name="notification_tasks")
app.conf.beat_schedule.setdefault(
    "notify-control-owners", {"task": "compliance.notification_tasks.notify_owners", "schedule": 60 * 60}
)


def enqueue_or_reason(task, *args) -> str | None:
    """Send the task; None once the broker has it, else why not (the caller records it where the user
    sees it). Only an unreachable broker is caught: in-process (eager) tasks raise their own errors."""
    try:
        task.delay(*args)
    except kombu.exceptions.OperationalError as exc:
        logger.warning("could not send %s%r: %s", task.name, args, exc)
        return f"could not be queued: the task broker is unreachable ({exc})"
    return None
