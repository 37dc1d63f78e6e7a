"""GuardDuty collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import faulty_endpoint

pytestmark = pytest.mark.integration

IRELAND = "GuardDuty in eu-west-1"
VIRGINIA = "GuardDuty in us-east-1"


def test_a_region_without_a_detector_fails_and_a_watched_region_passes(aws):
    boto3.client("guardduty", region_name="eu-west-1").create_detector(
        Enable=True, Features=[{"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"}]
    )

    result = scan("guardduty", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status("guardduty_enabled", IRELAND) == Status.PASS
    assert result.status("guardduty_malware_protection", IRELAND) == Status.PASS
    virginia = result.result("guardduty_enabled", VIRGINIA)
    assert virginia.status == Status.FAIL and "GuardDuty not enabled" in virginia.reason
    assert result.status("guardduty_malware_protection", VIRGINIA) == Status.FAIL


def test_suspended_detector_and_malware_protection_off_fail(aws):
    guardduty = boto3.client("guardduty", region_name="eu-west-1")
    guardduty.create_detector(Enable=False, Features=[{"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"}])
    boto3.client("guardduty", region_name="us-east-1").create_detector(
        Enable=True, Features=[{"Name": "EBS_MALWARE_PROTECTION", "Status": "DISABLED"}]
    )

    result = scan("guardduty", regions=("eu-west-1", "us-east-1"))

    assert "suspended" in result.result("guardduty_enabled", IRELAND).reason
    assert result.status("guardduty_enabled", VIRGINIA) == Status.PASS
    assert "off" in result.result("guardduty_malware_protection", VIRGINIA).reason


def test_a_detector_whose_answer_omits_its_features_is_not_passed_on_malware(aws):
    # moto answers GetDetector with only the features it was given, as here none.
    boto3.client("guardduty", region_name="eu-west-1").create_detector(Enable=True)

    result = scan("guardduty")

    assert result.status("guardduty_enabled", IRELAND) == Status.PASS
    verdict = result.result("guardduty_malware_protection", IRELAND)
    assert verdict.status == Status.ERROR and "did not report" in verdict.reason


def test_a_detector_that_cannot_be_read_makes_both_checks_errors(aws, monkeypatch):
    boto3.client("guardduty", region_name="eu-west-1").create_detector(Enable=True)
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(
            lambda request: request.method == "GET" and request.path.startswith("/detector/"),
            status=403,
            code="AccessDeniedException",
            protocol="json",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_GUARDDUTY", endpoint.url)
        result = scan("guardduty", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    assert not result.documents
    outcomes = {check: verdict.status for check, _, verdict in result.all_results()}
    assert outcomes == {"guardduty_enabled": Status.ERROR, "guardduty_malware_protection": Status.ERROR}
