"""Amazon Macie collected over HTTP, then judged by the checks.

moto answers GetMacieSession (and treats Macie as enabled in every region until DisableMacie) but not
ListClassificationJobs: there its 404 must make the job check an error. Jobs come from a local endpoint that
answers ListClassificationJobs and passes the rest on to moto."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.local_macie2 import LIST_JOBS, job, local_macie2

pytestmark = pytest.mark.integration

ENABLED = "macie2_enabled"
RECURRING = "macie2_recurring_classification_job"
IRELAND = "Amazon Macie in eu-west-1"
VIRGINIA = "Amazon Macie in us-east-1"


def session(request) -> bool:
    return request.method == "GET" and request.path == "/macie"


@pytest.fixture
def macie(aws):
    """Macie on in Ireland, off in Virginia."""
    boto3.client("macie2", region_name="us-east-1").disable_macie()
    return aws


def test_macie_is_judged_per_region_and_jobs_moto_cannot_list_are_an_error(macie):
    result = scan("macie2", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status(ENABLED, IRELAND) == Status.PASS
    assert result.status(ENABLED, VIRGINIA) == Status.FAIL
    assert "not enabled" in result.result(RECURRING, VIRGINIA).reason
    unlisted = result.result(RECURRING, IRELAND)
    assert unlisted.status == Status.ERROR and "ListClassificationJobs" in unlisted.reason


def test_a_recurring_job_passes_and_stopped_ones_fail(macie, monkeypatch):
    jobs = [
        job("audit-2025", "ONE_TIME", "COMPLETE"),
        job("weekly-pii", "SCHEDULED", "IDLE"),
        job("old", "SCHEDULED", "CANCELLED"),
    ]
    with local_macie2(macie, jobs) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_MACIE2", endpoint.url)
        running = scan("macie2")
        endpoint.jobs = [job("weekly-pii", "SCHEDULED", "USER_PAUSED")]
        paused = scan("macie2")

    assert len([request for request in endpoint.seen if request.path == LIST_JOBS]) == 3, "both pages, then one"
    assert "weekly-pii runs on schedule" in running.result(RECURRING, IRELAND).reason
    stopped = paused.result(RECURRING, IRELAND)
    assert stopped.status == Status.FAIL and "weekly-pii (USER_PAUSED)" in stopped.reason


def test_macie_not_enabled_as_aws_says_it_is_a_failure_and_an_iam_denial_an_error(macie, monkeypatch):
    with local_macie2(macie, []) as endpoint:
        endpoint.fail(
            session, status=403, code="AccessDeniedException", protocol="json", message="Macie is not enabled."
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_MACIE2", endpoint.url)
        off = scan("macie2", factory=ClientFactory(max_attempts=1))
    with local_macie2(macie, []) as endpoint:
        denial = (
            "User: arn:aws:sts::123456789012:assumed-role/audit/ct is not authorized to perform: macie2:GetMacieSession"
        )
        endpoint.fail(session, status=403, code="AccessDeniedException", protocol="json", message=denial)
        monkeypatch.setenv("AWS_ENDPOINT_URL_MACIE2", endpoint.url)
        denied = scan("macie2", factory=ClientFactory(max_attempts=1))

    assert off.status(ENABLED, IRELAND) == Status.FAIL
    assert off.status(RECURRING, IRELAND) == Status.FAIL
    assert not denied.documents
    assert "GetMacieSession" in denied.error_for("aws.macie2.region").reason
