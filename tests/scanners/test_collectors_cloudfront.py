"""CloudFront distributions collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint
from tests.scanners.web_acls import BLOCKING, COUNTING, web_acl

pytestmark = pytest.mark.integration

CHECK = "cloudfront_distribution_waf_blocks_common_attacks"


def create_distribution(comment: str, web_acl_id: str = "") -> str:
    config = {
        "CallerReference": comment,
        "Comment": comment,
        "Enabled": True,
        "WebACLId": web_acl_id,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {"Id": "site", "DomainName": "site.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "MinTTL": 0,
        },
    }
    created = boto3.client("cloudfront", region_name="us-east-1").create_distribution(DistributionConfig=config)
    return created["Distribution"]["DomainName"]


@pytest.fixture
def distributions(aws):
    """'shop' behind a blocking web ACL, 'docs' behind one that only counts, 'media' behind none."""
    return {
        "shop": create_distribution("shop", web_acl("us-east-1", "cdn-edge", BLOCKING, scope="CLOUDFRONT")),
        "docs": create_distribution("docs", web_acl("us-east-1", "cdn-trial", COUNTING, scope="CLOUDFRONT")),
        "media": create_distribution("media"),
    }


def test_distributions_are_judged_by_their_web_acl(distributions):
    result = scan("cloudfront", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert len(result.documents) == 3, "a global service is read once, whatever the regions"
    assert result.status(CHECK, distributions["shop"]) == Status.PASS
    counting = result.result(CHECK, distributions["docs"])
    assert counting.status == Status.FAIL and "cdn-trial" in counting.reason
    assert "has no WAF web ACL" in result.result(CHECK, distributions["media"]).reason


def test_a_web_acl_that_cannot_be_read_is_an_error_never_a_pass(distributions, aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("GetWebACL"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_WAFV2", endpoint.url)
        result = scan("cloudfront", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    verdict = result.result(CHECK, distributions["shop"])
    assert verdict.status == Status.ERROR and "access denied: GetWebACL" in verdict.reason
    assert result.status(CHECK, distributions["media"]) == Status.FAIL


def test_distributions_that_cannot_be_listed_are_an_error(aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(
            lambda request: "/distribution" in request.path, status=403, code="AccessDenied", protocol="rest-xml"
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", endpoint.url)
        result = scan("cloudfront", factory=ClientFactory(max_attempts=1))

    assert result.documents == []
    assert [(check, verdict.status) for check, _, verdict in result.all_results()] == [(CHECK, Status.ERROR)]
