"""Periodic work of the register. The daily snapshot is scheduled in django-celery-beat by the data
migration `compliance/migrations/0002_snapshot_schedule.py` (so every database gets it once, and an
operator can change its time or disable it in the admin without a deploy)."""

from celery import shared_task

from compliance.dashboard import snapshot_take

SNAPSHOT_TASK = "compliance.tasks.snapshot_daily"


@shared_task(name=SNAPSHOT_TASK, acks_late=True)
def snapshot_daily() -> int:
    """Record today's counts per framework; safe to run more than once a day (the day's row is replaced)."""
    return len(snapshot_take())
