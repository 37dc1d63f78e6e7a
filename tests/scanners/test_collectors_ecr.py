"""ECR repositories and the registry's scanning setting collected from the moto server over HTTP."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

SCAN = "ecr_repository_scan_on_push"
IMMUTABLE = "ecr_repository_tags_immutable"


@pytest.fixture
def repositories(aws):
    """'payments/api' scanned on push with immutable tags; 'sandbox' neither."""
    ecr = boto3.client("ecr", region_name="eu-west-1")
    ecr.create_repository(
        repositoryName="payments/api",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
    )
    ecr.create_repository(repositoryName="sandbox")
    return ecr


def test_repositories_are_judged_end_to_end(repositories):
    result = scan("ecr", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status(SCAN, "payments/api") == Status.PASS
    assert result.status(SCAN, "sandbox") == Status.FAIL
    assert result.status(IMMUTABLE, "payments/api") == Status.PASS
    assert result.status(IMMUTABLE, "sandbox") == Status.FAIL
    assert result.named("ECR registry in us-east-1").config["registry_scanning"] == {"scan_type": "BASIC", "rules": []}


def test_enhanced_scanning_of_the_registry_decides_which_repositories_are_scanned(repositories):
    repositories.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "sand*", "filterType": "WILDCARD"}]}
        ],
    )
    result = scan("ecr")

    assert result.status(SCAN, "sandbox") == Status.PASS
    # Its own scan-on-push flag is ignored once the registry scans with Inspector.
    assert result.status(SCAN, "payments/api") == Status.FAIL


def test_an_unreadable_registry_setting_is_an_error_never_a_verdict(repositories, aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(
            action("GetRegistryScanningConfiguration"), status=400, code="AccessDeniedException", protocol="json"
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", endpoint.url)
        result = scan("ecr", factory=ClientFactory(max_attempts=2))

    assert not result.errors
    denied = result.result(SCAN, "payments/api")
    assert denied.status == Status.ERROR and "access denied: GetRegistryScanningConfiguration" in denied.reason
    assert result.status(IMMUTABLE, "sandbox") == Status.FAIL


def test_repositories_that_cannot_be_listed_are_an_error_for_their_checks(aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeRepositories"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", endpoint.url)
        result = scan("ecr", factory=ClientFactory(max_attempts=2))

    assert result.error_for("aws.ecr.repository").reason.startswith("access denied: DescribeRepositories")
    statuses = {outcome.status for check_id, _, outcome in result.all_results() if check_id.startswith("ecr_")}
    assert statuses == {Status.ERROR}
