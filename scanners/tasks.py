"""Celery tasks: they take ids, claim their work atomically (in the engine) and call the engine.

Retries: a lost connection (AWS endpoint, database) is retried with back-off; on the last attempt the
engine records the failure as an error instead, so a run always finishes. In-process (eager) tasks
have no worker to come back later, so their first attempt is their last.
"""

from __future__ import annotations

from celery import shared_task

from scanners import engine, services
from scanners.models import CloudAccount, Trigger

RETRY = {
    "autoretry_for": engine.RETRYABLE,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
    "acks_late": True,
    "bind": True,
}


def _last_attempt(task) -> bool:
    return bool(task.request.is_eager) or task.request.retries >= task.max_retries


@shared_task(name="scanners.scan_account", **RETRY)
def scan_account(self, run_id: int) -> None:
    """Plan the run's units and fan them out; each unit checks on completion whether the run is done."""
    unit_ids = engine.scan_plan(run_id=run_id, final_attempt=_last_attempt(self))
    for unit_id in unit_ids:
        scan_unit.delay(unit_id)
    engine.run_finish_if_done(run_id=run_id)


@shared_task(name="scanners.scan_unit", **RETRY)
def scan_unit(self, unit_id: int) -> None:
    engine.scan_unit_execute(unit_id=unit_id, final_attempt=_last_attempt(self))


@shared_task(name=services.SCHEDULED_TASK, acks_late=True)
def scan_scheduled(account_id: int) -> int | None:
    """What beat calls for each account's PeriodicTask; a disabled or deleted account is not scanned."""
    account = CloudAccount.objects.filter(pk=account_id, enabled=True).first()
    if account is None:
        return None
    return services.scan_request(account=account, trigger=Trigger.SCHEDULE).pk


@shared_task(name="scanners.scan_sweep")
def scan_sweep() -> dict:
    """What beat calls every SCAN_SWEEP_SECONDS: re-send the plans and units that nothing will deliver again."""
    sweep = engine.scan_sweep()
    for run_id in sweep.plans:
        scan_account.delay(run_id)
    for unit_id in sweep.units:
        scan_unit.delay(unit_id)
    return {"plans": sweep.plans, "units": sweep.units, "finished": sweep.finished, "abandoned": sweep.abandoned}
