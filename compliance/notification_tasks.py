"""The periodic run that tells owners what needs them (scheduled in config/celery.py)."""

from celery import shared_task

from compliance.notifications import owners_notify


@shared_task(acks_late=True)
def notify_owners() -> dict:
    # Safe to run twice or concurrently: each event is claimed once in the database before it is sent.
    return owners_notify()
