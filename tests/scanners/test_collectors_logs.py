"""CloudWatch Logs collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration


def test_log_groups_that_never_expire_fail_and_those_with_retention_pass(aws):
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/aws/lambda/billing")
    logs.put_retention_policy(logGroupName="/aws/lambda/billing", retentionInDays=365)
    logs.create_log_group(logGroupName="/app/debug")

    result = scan("logs")

    assert not result.errors
    kept = result.result("logs_log_group_retention_set", "/aws/lambda/billing")
    assert kept.status == Status.PASS and "365 days" in kept.reason
    forever = result.result("logs_log_group_retention_set", "/app/debug")
    assert forever.status == Status.FAIL and "never expire" in forever.reason
    assert result.named("/app/debug").uid == "arn:aws:logs:eu-west-1:123456789012:log-group:/app/debug"


def test_log_groups_that_cannot_be_listed_are_an_error(aws, monkeypatch):
    boto3.client("logs", region_name="eu-west-1").create_log_group(logGroupName="/app/debug")
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeLogGroups"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", endpoint.url)
        result = scan("logs", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted and not result.documents
    assert [(check, verdict.status) for check, _, verdict in result.all_results()] == [
        ("logs_log_group_retention_set", Status.ERROR)
    ]
