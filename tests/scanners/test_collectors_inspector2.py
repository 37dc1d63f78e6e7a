"""Amazon Inspector collected from the moto server over HTTP, then judged by the checks.

moto answers ListFindings from a queue of prepared results (its `/moto-api/static/inspector2/findings-results`
endpoint) and ignores the filter, so the tests also read the request the collector sent."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import faulty_endpoint

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
ENABLED = "inspector2_enabled"
LIST_FINDINGS = "/findings/list"  # Inspector2 is a REST service: the operation is in the path
OLD_FINDINGS = "inspector2_no_old_critical_findings"


def critical_finding(title: str, days_old: int) -> dict:
    """A finding in the shape ListFindings documents (times are epoch seconds on the wire)."""
    seen = (datetime.now(UTC) - timedelta(days=days_old)).timestamp()
    return {
        "findingArn": f"arn:aws:inspector2:eu-west-1:{ACCOUNT}:finding/{title}",
        "awsAccountId": ACCOUNT,
        "type": "PACKAGE_VULNERABILITY",
        "title": title,
        "description": title,
        "severity": "CRITICAL",
        "status": "ACTIVE",
        "firstObservedAt": seen,
        "lastObservedAt": seen,
        "updatedAt": seen,
        "remediation": {"recommendation": {"text": "upgrade"}},
        "resources": [{"type": "AWS_EC2_INSTANCE", "id": "i-0123456789abcdef0"}],
    }


def queue_findings(moto_url: str, region: str, findings: list[dict]) -> None:
    payload = {"results": [findings], "account_id": ACCOUNT, "region": region}
    requests.post(
        f"{moto_url}/moto-api/static/inspector2/findings-results", json=payload, timeout=10
    ).raise_for_status()


@pytest.fixture
def inspector(aws):
    """Ireland scans EC2, ECR and Lambda; Virginia only EC2."""
    boto3.client("inspector2", region_name="eu-west-1").enable(
        accountIds=[ACCOUNT], resourceTypes=["EC2", "ECR", "LAMBDA"]
    )
    boto3.client("inspector2", region_name="us-east-1").enable(accountIds=[ACCOUNT], resourceTypes=["EC2"])
    return aws


def test_scanning_is_judged_per_region(inspector):
    result = scan("inspector2", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status(ENABLED, "Amazon Inspector in eu-west-1") == Status.PASS
    partial = result.result(ENABLED, "Amazon Inspector in us-east-1")
    assert partial.status == Status.FAIL and "ECR (DISABLED), Lambda (DISABLED)" in partial.reason
    assert result.status(OLD_FINDINGS, "Amazon Inspector in us-east-1") == Status.PASS


def test_a_critical_finding_open_for_longer_than_the_limit_fails(inspector, monkeypatch):
    queue_findings(
        inspector, "eu-west-1", [critical_finding("CVE-2026-0001", 45), critical_finding("CVE-2026-1000", 3)]
    )
    with faulty_endpoint(inspector) as endpoint:  # nothing injected: it records what the collector asked for
        monkeypatch.setenv("AWS_ENDPOINT_URL_INSPECTOR2", endpoint.url)
        result = scan("inspector2")

    stale = result.result(OLD_FINDINGS, "Amazon Inspector in eu-west-1")
    assert stale.status == Status.FAIL
    assert "CVE-2026-0001 on i-0123456789abcdef0 (45 days)" in stale.reason and "CVE-2026-1000" not in stale.reason
    asked = [json.loads(request.body) for request in endpoint.seen if request.path == LIST_FINDINGS]
    assert asked[0]["filterCriteria"] == {
        "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
        "severity": [{"comparison": "EQUALS", "value": "CRITICAL"}],
    }


def test_findings_that_cannot_be_listed_are_an_error_never_a_pass(inspector, monkeypatch):
    with faulty_endpoint(inspector) as endpoint:
        endpoint.fail(
            lambda request: request.path == LIST_FINDINGS, status=403, code="AccessDeniedException", protocol="json"
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_INSPECTOR2", endpoint.url)
        result = scan("inspector2", factory=ClientFactory(max_attempts=2))

    denied = result.result(OLD_FINDINGS, "Amazon Inspector in eu-west-1")
    assert denied.status == Status.ERROR and "access denied: ListFindings" in denied.reason
    assert result.status(ENABLED, "Amazon Inspector in eu-west-1") == Status.PASS


def test_an_account_missing_from_the_status_answer_is_an_error(aws):
    # moto answers BatchGetAccountStatus with no account until Inspector was enabled or disabled there once;
    # AWS always answers for the caller's account, so the collector treats silence as a failed read.
    result = scan("inspector2")

    unknown = result.result(ENABLED, "Amazon Inspector in eu-west-1")
    assert unknown.status == Status.ERROR and f"did not answer for account {ACCOUNT}" in unknown.reason
    assert result.status(OLD_FINDINGS, "Amazon Inspector in eu-west-1") == Status.ERROR
