"""Reads that fail: refused, throttled, unanswered. Each must end as an error result, never as a pass."""

import time

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, closed_port, faulty_endpoint, silent_endpoint

pytestmark = pytest.mark.integration

EC2_TYPES = {"aws.ec2.instance", "aws.ec2.volume", "aws.ec2.snapshot", "aws.ec2.image", "aws.ec2.region"}


def statuses(result) -> set[Status]:
    return {outcome.status for _, _, outcome in result.all_results()}


def test_access_denied_on_one_listing_errors_its_checks_and_spares_the_rest(aws, monkeypatch):
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    ec2.create_volume(Size=8, AvailabilityZone="eu-west-1a", Encrypted=False)
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeVolumes"), status=403, code="UnauthorizedOperation", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("ec2", factory=ClientFactory(max_attempts=2))

    denied = result.error_for("aws.ec2.volume")
    assert denied.reason.startswith("access denied: DescribeVolumes: UnauthorizedOperation")
    assert denied.region == "eu-west-1"
    assert len(endpoint.faulted) == 1, "a refusal is not retried"
    volume_results = [outcome for check_id, _, outcome in result.all_results() if check_id == "ec2_volume_encrypted"]
    assert [outcome.status for outcome in volume_results] == [Status.ERROR]
    assert result.status("ec2_ebs_encryption_by_default", "EC2 settings in eu-west-1") == Status.FAIL


def test_access_denied_on_one_key_errors_that_key_only(aws, monkeypatch):
    kms = boto3.client("kms", region_name="eu-west-1")
    for alias in ("alias/denied", "alias/readable"):
        kms.create_alias(AliasName=alias, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    denied_key = kms.describe_key(KeyId="alias/denied")["KeyMetadata"]["KeyId"]
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(
            lambda request: request.action == "GetKeyRotationStatus" and denied_key.encode() in request.body,
            status=400,
            code="AccessDeniedException",
            protocol="json",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", endpoint.url)
        result = scan("kms", factory=ClientFactory(max_attempts=2))

    assert not result.errors
    denied = result.result("kms_key_rotation_enabled", "alias/denied")
    assert denied.status == Status.ERROR and "access denied: GetKeyRotationStatus" in denied.reason
    assert result.status("kms_key_rotation_enabled", "alias/readable") == Status.FAIL
    assert result.status("kms_key_not_pending_deletion", "alias/denied") == Status.PASS


def test_throttling_is_retried_adaptively_then_reported_as_an_error(aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeSecurityGroups"), status=503, code="RequestLimitExceeded", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("vpc", factory=ClientFactory(max_attempts=2))

    throttled = result.error_for("aws.ec2.security_group")
    assert throttled.reason.startswith("throttled: DescribeSecurityGroups: RequestLimitExceeded")
    assert len(endpoint.faulted) == 3, "max_attempts=2 retries after the first attempt"
    group_checks = [outcome for check_id, _, outcome in result.all_results() if check_id.startswith("vpc_security")]
    assert group_checks and {outcome.status for outcome in group_checks} == {Status.ERROR}
    assert result.status("vpc_flow_logs_enabled", result.documents[0].name) == Status.FAIL


def test_a_throttled_call_that_succeeds_on_retry_gives_real_results(aws, monkeypatch):
    answered = []

    def first_time_only(request):
        if request.action != "GetEbsEncryptionByDefault":
            return False
        answered.append(request)
        return len(answered) == 1

    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(first_time_only, status=400, code="Throttling", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("ec2", factory=ClientFactory(max_attempts=3))

    assert len(answered) == 2
    assert result.status("ec2_ebs_encryption_by_default", "EC2 settings in eu-west-1") == Status.FAIL


def test_a_region_whose_endpoint_refuses_connections_yields_only_errors(aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", closed_port())
    result = scan("ec2", factory=ClientFactory(max_attempts=1, connect_timeout=1))

    # The region's settings document still exists (it has no listing), with the failed read inside it.
    assert [item.type for item in result.documents] == ["aws.ec2.region"]
    assert {kind for error in result.errors for kind in error.resource_types} == EC2_TYPES - {"aws.ec2.region"}
    assert all(error.reason.startswith("endpoint unreachable") for error in result.errors)
    assert statuses(result) == {Status.ERROR}
    settings = result.result("ec2_ebs_encryption_by_default", "EC2 settings in eu-west-1")
    assert "endpoint unreachable" in settings.reason


def test_an_endpoint_that_never_answers_times_out_into_errors(aws, monkeypatch):
    with silent_endpoint() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", url)
        started = time.monotonic()
        result = scan("rds", factory=ClientFactory(max_attempts=1, connect_timeout=1, read_timeout=0.5))
        elapsed = time.monotonic() - started

    assert result.documents == []
    assert [error.reason.split(":")[0] for error in result.errors] == ["timed out"]
    assert statuses(result) == {Status.ERROR}
    assert elapsed < 10, "the configured timeout bounds the wait"
