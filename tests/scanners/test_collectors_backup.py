"""AWS Backup collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.checks.base import Status
from tests.scanners.documents import scan

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
    assert rules == [{"name": "nightly", "schedule": "cron(0 3 * * ? *)", "vault": "primary", "delete_after_days": 35}]


def test_a_call_the_endpoint_does_not_implement_is_an_error_never_a_pass(daily_plan):
    # moto has no ListProtectedResources: it answers 404 with an HTML page.
    result = scan("backup")

    protected = result.result("backup_resources_protected", "AWS Backup in eu-west-1")
    assert protected.status == Status.ERROR
    assert "not implemented by the endpoint: ListProtectedResources" in protected.reason
