"""The scheduled anchor (a django-celery-beat PeriodicTask, created by ledger's migrations)."""

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from ledger.anchor import ledger_anchor


@shared_task(autoretry_for=(BotoCoreError, ClientError), retry_backoff=True, max_retries=5, acks_late=True)
def anchor_head() -> str:
    anchor = ledger_anchor()
    return f"entry {anchor.seq} anchored at {anchor.key}" if anchor else "anchoring off or nothing to anchor"
