"""The scan engine against a fake cloud: units, idempotence, partial and failed runs, the inventory."""

import pytest
from django.utils import timezone

from scanners import engine
from scanners.models import CheckStatus, Finding, Resource, RunState, ScanRun, ScanUnit, UnitState
from scanners.services import cloud_account_create
from tests.scanners import fakes

pytestmark = pytest.mark.django_db


def scan(account) -> ScanRun:
    run = ScanRun.objects.create(account=account)
    return engine.scan_run_sync(run_id=run.pk)


def test_a_scan_reads_regional_groups_per_region_and_global_groups_once_in_the_home_region(
    fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    run = scan(cloud_account)
    assert run.state == RunState.SUCCEEDED
    assert sorted(run.units.values_list("service", "region")) == [
        ("fake-identity", "eu-west-1"),
        ("fake-network", "eu-west-1"),
        ("fake-network", "us-east-1"),
    ]
    assert (run.units_done, run.units_total) == (3, 3)
    statuses = dict(Finding.objects.filter(run=run).values_list("resource__uid", "status"))
    assert statuses == {"sg-open": "fail", "sg-closed": "pass", "vol-1": "pass", "user/alice": "fail"}
    assert Resource.objects.filter(account=cloud_account).count() == 4
    assert cloud_account.runs.get().started_at <= run.finished_at


def test_running_a_unit_again_duplicates_nothing(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    run = scan(cloud_account)
    unit = run.units.get(service="fake-network", region="eu-west-1")
    calls = len(fake_cloud.collect_calls)

    engine.scan_unit_execute(unit_id=unit.pk)  # a re-delivered task: the unit is already done

    assert len(fake_cloud.collect_calls) == calls
    run.refresh_from_db()
    assert run.units_done == 3

    engine.unit_collect(unit)  # the unit's work itself, done twice, upserts the same rows
    assert Finding.objects.filter(run=run).count() == 4
    assert Resource.objects.count() == 4
    assert CheckStatus.objects.count() == 4


def test_a_unit_claimed_by_a_worker_that_died_is_taken_over_after_the_lease(fake_cloud, cloud_account, settings):
    fake_cloud.seed_default()
    run = ScanRun.objects.create(account=cloud_account)
    unit_ids = engine.scan_plan(run_id=run.pk)
    ScanUnit.objects.filter(pk=unit_ids[0]).update(state=UnitState.RUNNING, claimed_at=timezone.now())
    engine.scan_unit_execute(unit_id=unit_ids[0])
    assert ScanUnit.objects.get(pk=unit_ids[0]).attempts == 0  # still held by the other worker

    settings.SCAN_UNIT_LEASE_SECONDS = -1
    engine.scan_unit_execute(unit_id=unit_ids[0])
    unit = ScanUnit.objects.get(pk=unit_ids[0])
    assert (unit.state, unit.attempts) == (UnitState.SUCCEEDED, 1)


def test_a_failed_read_is_an_error_for_every_check_of_its_types_never_a_pass(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    fake_cloud.break_read("fake-network", "eu-west-1", ("fake.volume",), "AccessDenied: ec2:DescribeVolumes")
    run = scan(cloud_account)

    assert run.state == RunState.PARTIAL
    assert run.errors == [
        {"region": "eu-west-1", "service": "fake-network", "reason": "AccessDenied: ec2:DescribeVolumes"}
    ]
    error = Finding.objects.get(run=run, check_id="fake_volume_encrypted")
    assert error.status == "error" and "AccessDenied" in error.reason
    assert error.resource.uid == "eu-west-1/fake.volume" and error.resource.placeholder
    assert not Finding.objects.filter(run=run, check_id="fake_volume_encrypted", status="pass").exists()
    unit = run.units.get(service="fake-network", region="eu-west-1")
    assert (unit.state, unit.types_read) == (UnitState.PARTIAL, ["fake.security_group"])


def test_a_crashing_collector_fails_its_unit_and_the_run_goes_on(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    fake_cloud.crashing.add(("fake-identity", "eu-west-1"))
    run = scan(cloud_account)
    assert run.state == RunState.PARTIAL
    assert run.units.get(service="fake-identity").state == UnitState.FAILED
    assert Finding.objects.get(run=run, check_id="fake_user_has_mfa").status == "error"
    assert "crashed" in run.errors[0]["reason"]


def test_an_account_that_cannot_be_reached_fails_the_run_with_errors_for_every_check(
    fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    fake_cloud.unreachable = "AccessDenied: sts:AssumeRole"
    run = scan(cloud_account)
    assert run.state == RunState.FAILED
    assert run.errors == [
        {
            "region": "",
            "service": "account",
            "reason": "unexpected error: PermissionError: AccessDenied: sts:AssumeRole",
        }
    ]
    assert fake_cloud.collect_calls == []
    statuses = set(Finding.objects.filter(run=run).values_list("check_id", "status"))
    assert statuses == {(check, "error") for check in fakes.CHECKS}
    assert run.units.filter(state=UnitState.FAILED).count() == run.units_total == 3


def test_when_every_unit_fails_the_run_fails(fake_cloud, cloud_account, catalogs):
    for service, region in [
        ("fake-network", "eu-west-1"),
        ("fake-network", "us-east-1"),
        ("fake-identity", "eu-west-1"),
    ]:
        fake_cloud.crashing.add((service, region))
    assert scan(cloud_account).state == RunState.FAILED


def test_resources_that_disappear_are_marked_gone_and_kept(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    first = scan(cloud_account)
    fake_cloud.remove("sg-open")
    fake_cloud.remove("vol-1")
    fake_cloud.break_read("fake-network", "eu-west-1", ("fake.volume",))
    second = scan(cloud_account)

    sg = Resource.objects.get(uid="sg-open")
    assert sg.gone_at is not None  # the security groups of eu-west-1 were read completely
    assert Resource.objects.get(uid="vol-1").gone_at is None  # the volumes could not be read: unknown
    assert Finding.objects.filter(run=first, resource=sg).exists()  # history stays
    assert not CheckStatus.objects.filter(resource=sg).exists()  # the latest results describe what exists
    assert second.state == RunState.PARTIAL

    fake_cloud.reset()
    fake_cloud.add("fake.security_group", "eu-west-1", "sg-open", open_ssh=False)
    scan(cloud_account)
    sg.refresh_from_db()
    assert sg.gone_at is None and sg.first_seen < sg.last_seen
    placeholder = Resource.objects.get(uid="eu-west-1/fake.volume")
    assert placeholder.gone_at is not None  # read completely again: the error no longer stands
    assert not CheckStatus.objects.filter(resource=placeholder).exists()


def test_the_latest_result_per_check_and_resource_follows_the_newest_run(fake_cloud, cloud_account, catalogs):
    doc = fake_cloud.add("fake.security_group", "eu-west-1", "sg-1", open_ssh=True)
    scan(cloud_account)
    fake_cloud.remove(doc.uid)
    fake_cloud.add("fake.security_group", "eu-west-1", "sg-1", open_ssh=False)
    latest_run = scan(cloud_account)
    latest = CheckStatus.objects.get(check_id="fake_sg_no_open_ssh")
    assert (latest.status, latest.run_id) == ("pass", latest_run.pk)
    assert Finding.objects.filter(check_id="fake_sg_no_open_ssh").count() == 2


def test_a_check_that_raises_is_an_error(fake_cloud, cloud_account, catalogs):
    fake_cloud.add("fake.volume", "eu-west-1", "vol-odd")  # no `encrypted` field
    run = scan(cloud_account)
    finding = Finding.objects.get(run=run, check_id="fake_volume_encrypted")
    assert finding.status == "error" and "KeyError" in finding.reason


def test_all_regions_are_discovered_from_the_account(fake_cloud, catalogs, monkeypatch):
    class Regions:
        def describe_regions(self):
            return {"Regions": [{"RegionName": "eu-west-1"}, {"RegionName": "us-east-1"}, {"RegionName": "ap-south-1"}]}

    monkeypatch.setattr(fakes.FakeClientFactory, "client", lambda self, service, region: Regions())
    account = cloud_account_create(name="everywhere", regions="all")
    run = scan(account)
    assert sorted(run.units.filter(service="fake-network").values_list("region", flat=True)) == [
        "ap-south-1",
        "eu-west-1",
        "us-east-1",
    ]
    assert run.units.get(service="fake-identity").region == "us-east-1"
