"""Asking for scans, by hand and on a schedule, through the Celery tasks (run in-process here)."""

import json

import botocore.exceptions
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_celery_beat.models import PeriodicTask

from scanners import engine
from scanners.models import RunState, ScanRun, ScanUnit, Trigger, UnitState
from scanners.services import cloud_account_create, cloud_account_schedule_set, cloud_account_set_enabled, scan_request
from scanners.tasks import scan_scheduled, scan_unit
from tests.scanners.fakes import SERVICE_GROUPS

pytestmark = pytest.mark.django_db


def test_a_requested_scan_runs_through_the_tasks_once_committed(
    fake_cloud, cloud_account, ciso, catalogs, django_capture_on_commit_callbacks
):
    fake_cloud.seed_default()
    with django_capture_on_commit_callbacks(execute=True):
        run = scan_request(account=cloud_account, actor=ciso)
    run.refresh_from_db()
    assert (run.state, run.trigger, run.triggered_by) == (RunState.SUCCEEDED, Trigger.MANUAL, ciso)
    assert run.findings.count() == 4


def test_only_the_ciso_may_ask_for_a_scan(cloud_account, engineer, auditor):
    for person in (engineer, auditor):
        with pytest.raises(PermissionDenied):
            scan_request(account=cloud_account, actor=person)
    assert not ScanRun.objects.exists()


def test_asking_again_while_a_scan_is_queued_returns_that_scan(cloud_account, ciso):
    first = scan_request(account=cloud_account, actor=ciso)
    assert scan_request(account=cloud_account, actor=ciso) == first
    assert ScanRun.objects.count() == 1


def test_a_scan_stuck_for_hours_no_longer_blocks_the_account(cloud_account, ciso, settings):
    stuck = scan_request(account=cloud_account, actor=ciso)
    settings.SCAN_RUN_TIMEOUT_HOURS = -1
    fresh = scan_request(account=cloud_account, actor=ciso)
    stuck.refresh_from_db()
    assert fresh != stuck and stuck.state == RunState.FAILED and "abandoned" in stuck.errors[0]["reason"]


def test_a_disabled_account_cannot_be_scanned(cloud_account, ciso):
    cloud_account_set_enabled(account=cloud_account, enabled=False, actor=ciso)
    with pytest.raises(ValidationError):
        scan_request(account=cloud_account, actor=ciso)


def test_creating_an_account_creates_its_periodic_scan(db):
    account = cloud_account_create(name="prod", regions="eu-west-1,us-east-1", schedule="30 2 * * 1-5")
    task = PeriodicTask.objects.get(cloud_account=account)
    assert task.task == "scanners.scan_scheduled" and json.loads(task.args) == [account.pk]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "1-5")
    assert task.enabled

    cloud_account_schedule_set(account=account, schedule="6h")
    task.refresh_from_db()
    assert task.crontab is None and (task.interval.every, task.interval.period) == (6, "hours")

    cloud_account_set_enabled(account=account, enabled=False)
    task.refresh_from_db()
    assert not task.enabled

    cloud_account_schedule_set(account=account, schedule="")
    account.refresh_from_db()
    assert account.schedule is None and not PeriodicTask.objects.filter(name__contains="prod").exists()


@pytest.mark.parametrize("schedule", ["every day", "61 * * * *", "0h"])
def test_a_schedule_that_is_neither_cron_nor_hours_is_refused(db, schedule):
    with pytest.raises(ValidationError):
        cloud_account_create(name="prod", regions="eu-west-1", schedule=schedule)


@pytest.mark.parametrize("regions", ["", "eu-west-1,all", "mars-north-1", "eu-west-1; us-east-1"])
def test_regions_must_be_aws_region_names_or_all(db, regions):
    with pytest.raises(ValidationError):
        cloud_account_create(name="prod", regions=regions)


def test_account_names_are_slugs(db):
    with pytest.raises(ValidationError):
        cloud_account_create(name="Prod Account", regions="eu-west-1")


def test_the_scheduled_task_scans_an_enabled_account(
    fake_cloud, cloud_account, catalogs, django_capture_on_commit_callbacks
):
    fake_cloud.seed_default()
    with django_capture_on_commit_callbacks(execute=True):
        run_id = scan_scheduled.delay(cloud_account.pk).get()
    run = ScanRun.objects.get(pk=run_id)
    assert (run.trigger, run.state, run.triggered_by) == (Trigger.SCHEDULE, RunState.SUCCEEDED, None)


def test_the_scheduled_task_skips_a_disabled_account(cloud_account):
    cloud_account_set_enabled(account=cloud_account, enabled=False)
    assert scan_scheduled.delay(cloud_account.pk).get() is None
    assert not ScanRun.objects.exists()


def flaky_network(fake_cloud, failures: int):
    collect = fake_cloud.collector("fake-network", ("fake.security_group", "fake.volume"), every_region=False)
    left = {"failures": failures}

    def flaky(factory, region):
        if left["failures"]:
            left["failures"] -= 1
            raise botocore.exceptions.EndpointConnectionError(endpoint_url=f"https://ec2.{region}.amazonaws.com")
        yield from collect(factory, region)

    group = SERVICE_GROUPS["fake-network"]
    return type(group)(group.name, False, group.resource_types, flaky)


def test_a_lost_connection_gives_the_unit_back_for_a_retry_until_the_last_attempt(
    fake_cloud, cloud_account, catalogs, monkeypatch
):
    fake_cloud.seed_default()
    monkeypatch.setitem(SERVICE_GROUPS, "fake-network", flaky_network(fake_cloud, failures=1))
    run = ScanRun.objects.create(account=cloud_account)
    engine.scan_plan(run_id=run.pk)
    unit_id = run.units.get(service="fake-network", region="eu-west-1").pk

    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        engine.scan_unit_execute(unit_id=unit_id, final_attempt=False)
    assert ScanUnit.objects.get(pk=unit_id).state == UnitState.QUEUED  # the retry can claim it

    engine.scan_unit_execute(unit_id=unit_id, final_attempt=False)
    unit = ScanUnit.objects.get(pk=unit_id)
    assert (unit.state, unit.attempts) == (UnitState.SUCCEEDED, 2)
    assert scan_unit.autoretry_for == engine.RETRYABLE and scan_unit.acks_late


def test_a_connection_lost_on_the_last_attempt_is_an_error_in_the_run(
    fake_cloud, cloud_account, catalogs, ciso, monkeypatch, django_capture_on_commit_callbacks
):
    fake_cloud.seed_default()
    monkeypatch.setitem(SERVICE_GROUPS, "fake-network", flaky_network(fake_cloud, failures=1))
    with django_capture_on_commit_callbacks(execute=True):
        run = scan_request(account=cloud_account, actor=ciso)  # in-process: the first attempt is the last
    run.refresh_from_db()
    assert run.state == RunState.PARTIAL
    assert "Could not connect" in run.errors[0]["reason"]
    assert run.findings.filter(status="error").exists()
