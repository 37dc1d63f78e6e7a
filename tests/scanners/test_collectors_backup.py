"""AWS Backup collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import faulty_endpoint
from tests.scanners.local_backup import protected_resource, protected_resources

ACCOUNT = "123456789012"

pytestmark = pytest.mark.integration


@pytest.fixture
def daily_plan(aws):
    backup = boto3.client("backup", region_name="eu-west-1")
    backup.create_backup_vault(BackupVaultName="primary")
    rule = {
        "RuleName": "nightly",
        "TargetBackupVaultName": "primary",
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "Lifecycle": {"DeleteAfterDays": 35},
    }
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "daily", "Rules": [rule]})


def test_backup_plans_are_judged_per_region(daily_plan):
    result = scan("backup", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status("backup_plan_in_region", "AWS Backup in eu-west-1") == Status.PASS
    assert result.status("backup_plan_in_region", "AWS Backup in us-east-1") == Status.FAIL
    rules = result.named("AWS Backup in eu-west-1").config["plans"][0]["rules"]
    assert rules == [
        {"name": "nightly", "schedule": "cron(0 3 * * ? *)", "vault": "primary", "delete_after_days": 35, "copies": []}
    ]


def test_a_call_the_endpoint_does_not_implement_errors_only_the_check_that_needs_it(daily_plan):
    # moto has no ListProtectedResources: it answers 404 with an HTML page.
    result = scan("backup")

    protected = result.result("backup_resources_protected", "AWS Backup in eu-west-1")
    assert protected.status == Status.ERROR
    assert "not implemented by the endpoint: ListProtectedResources" in protected.reason
    assert result.status("backup_plan_in_region", "AWS Backup in eu-west-1") == Status.PASS
    assert result.status("backup_plan_deletes_after_retention", "daily") == Status.PASS


def test_resources_with_recovery_points_are_read_page_by_page(daily_plan, aws, monkeypatch):
    volumes = [protected_resource(f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-{n}", "EBS") for n in range(3)]
    database = protected_resource(f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:orders", "RDS")
    with protected_resources(aws, volumes + [database]) as backup:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BACKUP", backup.url)
        result = scan("backup")
    with protected_resources(aws, []) as nothing:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BACKUP", nothing.url)
        empty = scan("backup")

    assert len(backup.faulted) == 2, "two pages of resources, each answered by the local endpoint"
    protected = result.result("backup_resources_protected", "AWS Backup in eu-west-1")
    assert protected.status == Status.PASS and protected.reason == "protected: 3 EBS, 1 RDS"
    assert empty.status("backup_resources_protected", "AWS Backup in eu-west-1") == Status.FAIL


def test_rules_kept_forever_fail_and_an_unreadable_plan_is_an_error(daily_plan, aws, monkeypatch):
    backup = boto3.client("backup", region_name="eu-west-1")
    forever = {"RuleName": "monthly", "TargetBackupVaultName": "primary", "ScheduleExpression": "cron(0 4 1 * ? *)"}
    plan_id = backup.create_backup_plan(BackupPlan={"BackupPlanName": "monthly", "Rules": [forever]})["BackupPlanId"]

    result = scan("backup")
    assert result.status("backup_plan_deletes_after_retention", "daily") == Status.PASS
    kept = result.result("backup_plan_deletes_after_retention", "monthly")
    assert kept.status == Status.FAIL and "rule monthly keeps recovery points forever" in kept.reason
    assert result.named("monthly").uid.startswith("arn:aws:backup:eu-west-1:")

    backup.delete_backup_plan(BackupPlanId=plan_id)
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(
            lambda request: request.method == "GET" and request.path.rstrip("/") != "/backup/plans",
            status=403,
            code="AccessDeniedException",
            protocol="json",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_BACKUP", endpoint.url)
        denied = scan("backup", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    retention = denied.result("backup_plan_deletes_after_retention", "daily")
    assert retention.status == Status.ERROR and "GetBackupPlan" in retention.reason
    plan = denied.result("backup_plan_in_region", "AWS Backup in eu-west-1")
    assert plan.status == Status.ERROR and "daily" in plan.reason


def test_plans_that_cannot_be_listed_are_a_collection_error_for_plans_only(daily_plan, aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(
            lambda request: request.path.split("?")[0].rstrip("/") == "/backup/plans",
            status=403,
            code="AccessDeniedException",
            protocol="json",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_BACKUP", endpoint.url)
        result = scan("backup", factory=ClientFactory(max_attempts=1))

    assert result.error_for("aws.backup.plan").reason.startswith("access denied: ListBackupPlans")
    assert result.status("backup_plan_in_region", "AWS Backup in eu-west-1") == Status.ERROR
    assert "ListProtectedResources" in result.result("backup_resources_protected", "AWS Backup in eu-west-1").reason
