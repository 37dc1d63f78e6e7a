"""CloudTrail collected from the moto server over HTTP, then judged by the checks."""

import json

import boto3
import pytest

from scanners.checks.base import Status
from tests.scanners.documents import scan

pytestmark = pytest.mark.integration


def log_bucket(name: str, region: str) -> None:
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    statement = {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:*"}
    resources = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Statement": [{**statement, "Resource": resources}]}))


@pytest.fixture
def local_trail(aws):
    """A single-region trail in Virginia, without validation and never started."""
    log_bucket("debug-trail-logs", "us-west-2")
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1")
    cloudtrail.create_trail(Name="local-debug", S3BucketName="debug-trail-logs")


@pytest.fixture
def organisation_trail(aws):
    """A multi-region trail from Ireland with log file validation, logging."""
    log_bucket("audit-trail-logs", "eu-west-1")
    cloudtrail = boto3.client("cloudtrail", region_name="eu-west-1")
    cloudtrail.create_trail(
        Name="org-audit", S3BucketName="audit-trail-logs", IsMultiRegionTrail=True, EnableLogFileValidation=True
    )
    cloudtrail.start_logging(Name="org-audit")


def test_regions_without_a_good_multi_region_trail_fail(local_trail):
    result = scan("cloudtrail", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status("cloudtrail_multi_region_trail", "CloudTrail coverage of eu-west-1") == Status.FAIL
    virginia = result.result("cloudtrail_multi_region_trail", "CloudTrail coverage of us-east-1")
    assert virginia.status == Status.FAIL
    assert "local-debug (single-region, not logging, no log file validation)" in virginia.reason
    assert result.status("cloudtrail_trail_log_file_validation", "local-debug") == Status.FAIL
    assert result.status("cloudtrail_trail_logging", "local-debug") == Status.FAIL


def test_a_multi_region_trail_covers_every_region_and_is_inventoried_once(local_trail, organisation_trail):
    result = scan("cloudtrail", regions=("eu-west-1", "us-east-1"))

    for region in ("eu-west-1", "us-east-1"):
        verdict = result.result("cloudtrail_multi_region_trail", f"CloudTrail coverage of {region}")
        assert verdict.status == Status.PASS and "org-audit" in verdict.reason
    trail = result.named("org-audit")
    assert trail.region == "eu-west-1"
    assert result.status("cloudtrail_trail_log_file_validation", "org-audit") == Status.PASS
    assert result.status("cloudtrail_trail_logging", "org-audit") == Status.PASS
