"""The command-line contract: add_aws_account, scan [--sync], findings --format json."""

import json
import os
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from scanners.models import CloudAccount, RunState, ScanRun

pytestmark = pytest.mark.django_db


def run_command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_add_aws_account_with_an_assumed_role_regions_and_a_schedule(db):
    out = run_command(
        "add_aws_account",
        "prod",
        "--role-arn=arn:aws:iam::111122223333:role/ControlTraceAudit",
        "--external-id=ct-7f3a",
        "--regions=eu-west-1,us-east-1",
        "--schedule=0 3 * * *",
    )
    account = CloudAccount.objects.get(name="prod")
    assert account.regions == ["eu-west-1", "us-east-1"] and account.external_id == "ct-7f3a"
    assert PeriodicTask.objects.get(cloud_account=account).crontab.hour == "3"
    assert "Added prod: regions eu-west-1, us-east-1; schedule 0 3 * * *." in out


def test_add_aws_account_defaults_to_every_region_and_manual_scans(db):
    assert "schedule manual scans only" in run_command("add_aws_account", "sandbox")
    account = CloudAccount.objects.get(name="sandbox")
    assert account.regions == ["all"] and account.schedule is None


def test_add_aws_account_refuses_a_duplicate_or_a_bad_region(db):
    run_command("add_aws_account", "prod", "--regions=eu-west-1")
    with pytest.raises(CommandError, match="already exists"):
        run_command("add_aws_account", "prod")
    with pytest.raises(CommandError, match="Not an AWS region"):
        run_command("add_aws_account", "staging", "--regions=eu-west-9x")


def test_scan_without_sync_queues_the_run_and_prints_its_id(cloud_account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        out = run_command("scan", "prod")
    run = ScanRun.objects.get()
    assert out.strip() == str(run.pk)
    assert run.state == RunState.QUEUED and len(callbacks) == 1  # handed to the workers on commit


def test_scan_sync_runs_here_and_prints_a_summary(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    out = run_command("scan", "prod", "--sync")
    run = ScanRun.objects.get()
    assert run.state == RunState.SUCCEEDED
    assert f"Scan {run.pk} of prod: succeeded in" in out
    assert "units: 3/3; resources seen: 4" in out
    assert "findings: 2 pass, 2 fail, 0 error, 0 not_applicable" in out


def test_scan_sync_fails_loudly_when_the_account_cannot_be_reached(fake_cloud, cloud_account, catalogs):
    fake_cloud.unreachable = "InvalidClientTokenId"
    with pytest.raises(CommandError, match="failed"):
        run_command("scan", "prod", "--sync")


def test_scan_of_an_unknown_account_is_an_error(db):
    with pytest.raises(CommandError, match="No cloud account named nope"):
        run_command("scan", "nope")


def test_findings_prints_the_latest_scan_as_a_json_list(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    run_command("scan", "prod", "--sync")
    fake_cloud.remove("sg-open")
    run_command("scan", "prod", "--sync")

    findings = json.loads(run_command("findings", "--format", "json"))
    assert all(set(item) == {"check", "title", "resource", "region", "status", "controls"} for item in findings)
    assert {item["resource"] for item in findings} == {"sg-closed", "vol-1", "user/alice"}
    sg = next(item for item in findings if item["resource"] == "sg-closed")
    assert sg == {
        "check": "fake_sg_no_open_ssh",
        "title": "Security groups do not open SSH to the internet",
        "resource": "sg-closed",
        "region": "us-east-1",
        "status": "pass",
        "controls": ["iso27001-2022:A.8.20", "soc2-2017:CC6.6"],
    }


def test_findings_of_a_given_scan(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    run_command("scan", "prod", "--sync")
    first = ScanRun.objects.get()
    fake_cloud.reset()
    run_command("scan", "prod", "--sync")
    findings = json.loads(run_command("findings", "--scan", str(first.pk), "--format", "json"))
    assert len(findings) == 4 and {item["status"] for item in findings} == {"pass", "fail"}


def test_findings_before_any_scan_is_an_error(db):
    with pytest.raises(CommandError, match="No scan has finished yet"):
        run_command("findings", "--format", "json")


@pytest.mark.integration
@mock.patch.dict(os.environ)  # the demo points this process at its moto server; undo it for the other tests
def test_the_demo_cloud_is_seeded_and_scanned_again_on_every_start(fake_cloud, catalogs, monkeypatch):
    """`make run` restarted on the same database: one demo account, one more scan, no stuck run."""
    import boto3
    import requests

    from scanners.demo_cloud import DEMO_REGIONS, MOTO_SETTINGS, demo_account_scan, demo_cloud_start

    demo_environment = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"]
    for key in [*MOTO_SETTINGS, *demo_environment]:
        monkeypatch.delenv(key, raising=False)

    def seed(regions):  # stands in for scanners.demo.seed_demo_account: one bucket in the simulated account
        s3 = boto3.client("s3", region_name=regions[0])
        s3.create_bucket(Bucket="demo-logs", CreateBucketConfiguration={"LocationConstraint": regions[0]})
        fake_cloud.seed_default()

    runs = []
    for _ in range(2):
        fake_cloud.reset()
        server = demo_cloud_start()
        # moto keeps its state per Python process; a restarted `make run` is a new process
        requests.post(os.environ["AWS_ENDPOINT_URL"] + "/moto-api/reset", timeout=10).raise_for_status()
        try:
            runs.append(demo_account_scan(seed=seed))
            assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["demo-logs"]
        finally:
            server.stop()
    account = CloudAccount.objects.get(name="demo-aws")
    assert account.regions == list(DEMO_REGIONS) and account.account_id == "123456789012"
    assert [run.state for run in runs] == [RunState.SUCCEEDED, RunState.SUCCEEDED]
    assert ScanRun.objects.filter(account=account).count() == 2


def test_a_demo_scan_interrupted_by_a_stop_does_not_block_the_next_start(fake_cloud, catalogs):
    from scanners.demo_cloud import demo_account_scan

    demo_account_scan(seed=lambda regions: None)
    stuck = ScanRun.objects.create(account=CloudAccount.objects.get(name="demo-aws"), state=RunState.RUNNING)
    run = demo_account_scan(seed=lambda regions: fake_cloud.seed_default())
    stuck.refresh_from_db()
    assert stuck.state == RunState.FAILED and run.state == RunState.SUCCEEDED and run.findings.count() == 4
