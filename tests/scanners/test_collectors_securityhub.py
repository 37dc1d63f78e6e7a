"""Security Hub collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Result, Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import faulty_endpoint

pytestmark = pytest.mark.integration


def hub_read(request) -> bool:
    return request.method == "GET" and request.path.startswith("/accounts")


def test_a_subscribed_region_passes_and_an_unsubscribed_one_fails(aws):
    boto3.client("securityhub", region_name="eu-west-1").enable_security_hub()

    result = scan("securityhub", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status("securityhub_enabled", "Security Hub in eu-west-1") == Status.PASS
    virginia = result.result("securityhub_enabled", "Security Hub in us-east-1")
    assert virginia == Result.failed("Security Hub not enabled")


@pytest.mark.parametrize(
    "status, code, message",
    [
        (403, "AccessDeniedException", "User is not authorized to perform securityhub:DescribeHub"),
        (401, "InvalidAccessException", "The account is not authorized to perform this action"),
        (500, "InternalException", "Not yet implemented"),
    ],
)
def test_a_hub_that_cannot_be_read_is_an_error_not_a_finding(aws, monkeypatch, status, code, message):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(hub_read, status=status, code=code, protocol="json", message=message)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", endpoint.url)
        result = scan("securityhub", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    assert not result.documents
    assert [(check, verdict.status) for check, _, verdict in result.all_results()] == [
        ("securityhub_enabled", Status.ERROR)
    ]
