"""CloudFormation stacks collected over HTTP, then judged by the checks.

moto creates stacks but leaves DriftInformation out of DescribeStacks, so its stacks must come out as errors;
drifted and in-sync stacks are served by a local endpoint that answers the documented shape."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint
from tests.scanners.local_cloudformation import Stack, local_cloudformation

pytestmark = pytest.mark.integration

NO_DRIFT = "cloudformation_stack_no_drift"
TEMPLATE = json.dumps({"Resources": {"Alerts": {"Type": "AWS::SNS::Topic"}}})


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_drift_is_judged_from_what_cloudformation_recorded(aws, monkeypatch):
    stacks = [
        Stack("network", "IN_SYNC", days_ago(3), tags={"team": "platform"}),
        Stack("payments", "DRIFTED", days_ago(1)),
        Stack("legacy", "NOT_CHECKED"),
        Stack("search", "IN_SYNC", days_ago(90)),
        Stack("queue", "UNKNOWN", days_ago(2)),
    ]
    with local_cloudformation(stacks, page_size=2) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", endpoint.url)
        result = scan("cloudformation")

    assert endpoint.actions == ["DescribeStacks"] * 3, "every page is read, and nothing but DescribeStacks"
    assert result.status(NO_DRIFT, "network") == Status.PASS
    assert result.status(NO_DRIFT, "payments") == Status.FAIL
    assert "drift never detected" in result.result(NO_DRIFT, "legacy").reason
    assert "90 days ago (limit 30 days)" in result.result(NO_DRIFT, "search").reason
    assert result.status(NO_DRIFT, "queue") == Status.ERROR
    assert result.named("network").tags == {"team": "platform"}


def test_a_stack_whose_answer_omits_drift_information_is_an_error_never_a_pass(aws):
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(StackName="alerts", TemplateBody=TEMPLATE)

    result = scan("cloudformation")

    assert not result.errors
    assert result.named("alerts").uid.startswith("arn:aws:cloudformation:eu-west-1:123456789012:stack/alerts/")
    unknown = result.result(NO_DRIFT, "alerts")
    assert unknown.status == Status.ERROR and "drift status is unknown" in unknown.reason


def test_stacks_that_cannot_be_listed_are_an_error(aws, monkeypatch):
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(StackName="alerts", TemplateBody=TEMPLATE)
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeStacks"), status=403, code="AccessDenied", protocol="query")
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", endpoint.url)
        result = scan("cloudformation", factory=ClientFactory(max_attempts=1))

    assert not result.documents
    assert "DescribeStacks" in result.error_for("aws.cloudformation.stack").reason
