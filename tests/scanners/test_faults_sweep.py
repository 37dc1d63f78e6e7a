"""The sweeper (beat's `scanners.scan_sweep`) and the planner after a fault: work that nothing would
deliver again is re-sent, a run whose units all finished is finished, and a failed run says why.
Tasks run in-process here; tests/scanners/test_faults.py runs the same recovery on a real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from scanners import engine
from scanners.models import RunState, ScanRun, ScanUnit, UnitState
from scanners.tasks import scan_account, scan_sweep

pytestmark = pytest.mark.django_db

NOTHING_TO_DO = {"plans": [], "units": [], "finished": [], "abandoned": 0}


def lease_ago(settings, extra: int = 1):
    return timezone.now() - timedelta(seconds=settings.SCAN_UNIT_LEASE_SECONDS + extra)


def assert_complete(run: ScanRun) -> None:
    run.refresh_from_db()
    assert (run.state, run.units_done, run.units_total) == (RunState.SUCCEEDED, 3, 3)
    assert run.findings.count() == 4 and not run.findings.filter(status="error").exists()


def test_a_unit_whose_worker_died_is_sent_again_after_its_lease_and_the_run_finishes(
    fake_cloud, cloud_account, catalogs, settings
):
    fake_cloud.seed_default()
    run = ScanRun.objects.create(account=cloud_account)
    killed, *others = engine.scan_plan(run_id=run.pk)
    ScanUnit.objects.filter(pk=killed).update(state=UnitState.RUNNING, claimed_at=timezone.now(), attempts=1)
    for unit_id in others:
        engine.scan_unit_execute(unit_id=unit_id)

    assert scan_sweep.delay().get() == NOTHING_TO_DO  # the lease still runs: its worker may be alive
    ScanUnit.objects.filter(pk=killed).update(claimed_at=lease_ago(settings))
    assert scan_sweep.delay().get()["units"] == [killed]

    assert_complete(run)
    assert ScanUnit.objects.get(pk=killed).attempts == 2
    assert scan_sweep.delay().get() == NOTHING_TO_DO


def test_a_planner_that_died_after_taking_the_run_is_replaced_not_ended_without_a_reason(
    fake_cloud, cloud_account, catalogs, settings
):
    fake_cloud.seed_default()
    run = ScanRun.objects.create(account=cloud_account, state=RunState.RUNNING, started_at=timezone.now())

    scan_account.delay(run.pk)  # a re-delivery while the planner may still be at work: no finish with 0 units
    run.refresh_from_db()
    assert (run.state, run.units_total) == (RunState.RUNNING, 0)

    ScanRun.objects.filter(pk=run.pk).update(started_at=lease_ago(settings))
    assert scan_sweep.delay().get()["plans"] == [run.pk]
    assert_complete(run)


def test_a_queued_run_whose_message_was_lost_is_sent_again(fake_cloud, cloud_account, catalogs, settings):
    fake_cloud.seed_default()
    run = ScanRun.objects.create(account=cloud_account)
    assert scan_sweep.delay().get() == NOTHING_TO_DO
    ScanRun.objects.filter(pk=run.pk).update(created_at=lease_ago(settings))

    assert scan_sweep.delay().get()["plans"] == [run.pk]
    assert_complete(run)


def test_queued_units_of_a_run_that_stopped_moving_are_sent_again(fake_cloud, cloud_account, catalogs, settings):
    fake_cloud.seed_default()
    run = ScanRun.objects.create(account=cloud_account)
    unit_ids = engine.scan_plan(run_id=run.pk)  # the unit messages never reach a worker
    assert scan_sweep.delay().get() == NOTHING_TO_DO

    ScanRun.objects.filter(pk=run.pk).update(started_at=lease_ago(settings))
    assert scan_sweep.delay().get()["units"] == sorted(unit_ids)
    assert_complete(run)


def test_a_run_whose_units_all_finished_is_finished_by_the_sweeper(fake_cloud, cloud_account, catalogs, monkeypatch):
    fake_cloud.seed_default()
    run = ScanRun.objects.create(account=cloud_account)
    with monkeypatch.context() as crash:
        crash.setattr(engine, "run_finish_if_done", lambda *, run_id: False)  # the finisher died
        for unit_id in engine.scan_plan(run_id=run.pk):
            engine.scan_unit_execute(unit_id=unit_id)
    assert ScanRun.objects.get(pk=run.pk).state == RunState.RUNNING

    assert scan_sweep.delay().get()["finished"] == [run.pk]
    assert_complete(run)


def test_a_run_that_cannot_be_planned_fails_with_the_reason(fake_cloud, cloud_account, monkeypatch):
    def broken(run, regions):
        raise RuntimeError("service group table is corrupt")

    monkeypatch.setattr(engine, "_units_for", broken)
    run = ScanRun.objects.create(account=cloud_account)

    scan_account.delay(run.pk)

    run.refresh_from_db()
    assert (run.state, run.units_total) == (RunState.FAILED, 0)
    assert run.errors[0]["reason"] == "planning failed: unexpected error: RuntimeError: service group table is corrupt"


def test_runs_past_the_timeout_are_abandoned_by_the_sweeper_with_the_reason(cloud_account, settings):
    run = ScanRun.objects.create(account=cloud_account)
    settings.SCAN_RUN_TIMEOUT_HOURS = -1

    assert scan_sweep.delay().get()["abandoned"] == 1

    run.refresh_from_db()
    assert run.state == RunState.FAILED and "abandoned" in run.errors[0]["reason"]


def test_the_lease_and_the_broker_visibility_timeout_are_set_together():
    from django.conf import settings

    from config.celery import app

    lease = settings.SCAN_UNIT_LEASE_SECONDS
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] == 2 * lease  # a re-delivery finds the dead worker's lease expired
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= max(1, lease // 10)
    assert app.conf.beat_schedule["sweep-scans"]["task"] == "scanners.scan_sweep"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
