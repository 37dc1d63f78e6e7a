"""S3 collected from the moto server over HTTP, then judged by the checks."""

import json
import threading
import time

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import faulty_endpoint, s3_subresource

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def tls_only(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyPlainHttp",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def public_read(bucket: str) -> str:
    statement = {"Sid": "Website", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    return json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Resource": f"arn:aws:s3:::{bucket}/*"}]})


@pytest.fixture
def buckets(aws):
    """A private, encrypted, versioned evidence bucket in Ireland and a public website bucket in Virginia."""
    eu = boto3.client("s3", region_name="eu-west-1")
    eu.create_bucket(
        Bucket="evidence-private",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        ObjectLockEnabledForBucket=True,
    )
    eu.put_object_lock_configuration(
        Bucket="evidence-private",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}},
        },
    )
    eu.put_public_access_block(Bucket="evidence-private", PublicAccessBlockConfiguration=ALL_ON)
    eu.put_bucket_encryption(
        Bucket="evidence-private",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/ev"}}]
        },
    )
    eu.put_bucket_policy(Bucket="evidence-private", Policy=tls_only("evidence-private"))
    eu.put_bucket_versioning(Bucket="evidence-private", VersioningConfiguration={"Status": "Enabled"})

    us = boto3.client("s3", region_name="us-east-1")
    us.create_bucket(Bucket="public-website")
    us.put_bucket_acl(Bucket="public-website", ACL="public-read")
    us.put_bucket_policy(Bucket="public-website", Policy=public_read("public-website"))


@pytest.fixture
def s3_control_reachable(aws, monkeypatch):
    """S3 Control puts the account id in the host name; moto answers it when asked through a proxy (MOTO.md)."""
    monkeypatch.setenv("HTTP_PROXY", aws)


def test_each_bucket_is_judged_in_its_own_region(buckets, s3_control_reachable):
    result = scan("s3")

    assert not result.errors
    assert result.named("evidence-private").region == "eu-west-1"
    assert result.named("public-website").region == "us-east-1"
    assert result.named("evidence-private").uid == "arn:aws:s3:::evidence-private"
    expectations = {
        "s3_bucket_block_public_access": (Status.PASS, Status.FAIL),
        "s3_bucket_acl_not_public": (Status.PASS, Status.FAIL),
        "s3_bucket_policy_not_public": (Status.PASS, Status.FAIL),
        "s3_bucket_default_encryption": (Status.PASS, Status.FAIL),
        "s3_bucket_encryption_uses_kms": (Status.PASS, Status.FAIL),
        "s3_bucket_policy_denies_insecure_transport": (Status.PASS, Status.FAIL),
        "s3_bucket_versioning_enabled": (Status.PASS, Status.FAIL),
        "s3_bucket_object_lock": (Status.PASS, Status.FAIL),
    }
    for check_id, (private, public) in expectations.items():
        assert result.status(check_id, "evidence-private") == private, check_id
        assert result.status(check_id, "public-website") == public, check_id


def test_log_buckets_must_expire_their_objects_and_old_versions(aws):
    s3 = boto3.client("s3", region_name="eu-west-1")
    expire = {"ID": "keep-400-days", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 400}}
    old_versions = {
        "ID": "old-versions",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
    }
    for name, rules in (("trail-logs", [expire, old_versions]), ("flow-logs", [expire]), ("app-records", None)):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if rules:
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    s3.create_bucket(Bucket="web-assets", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    result = scan("s3")

    assert result.status("s3_bucket_lifecycle_expiration", "trail-logs") == Status.PASS
    assert "kept forever" in result.result("s3_bucket_lifecycle_expiration", "flow-logs").reason
    assert "no enabled lifecycle rule" in result.result("s3_bucket_lifecycle_expiration", "app-records").reason
    assert result.status("s3_bucket_lifecycle_expiration", "web-assets") == Status.NOT_APPLICABLE


def test_account_block_public_access_read_through_s3_control(aws, s3_control_reachable):
    result = scan("s3")
    assert result.status("s3_account_block_public_access", f"S3 settings of account {ACCOUNT}") == Status.FAIL

    boto3.client("s3control", region_name="eu-west-1").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON
    )
    result = scan("s3")
    assert result.status("s3_account_block_public_access", f"S3 settings of account {ACCOUNT}") == Status.PASS


def test_unreachable_s3_control_is_an_error_never_a_pass(buckets):
    # Without the proxy the account-specific host name does not resolve, as on a network without S3 Control.
    result = scan("s3", factory=ClientFactory(max_attempts=1))

    account = result.result("s3_account_block_public_access", f"S3 settings of account {ACCOUNT}")
    assert account.status == Status.ERROR
    assert "endpoint unreachable" in account.reason
    assert result.status("s3_bucket_policy_not_public", "evidence-private") == Status.PASS


def test_policy_refused_on_one_bucket_errors_only_the_checks_that_need_it(buckets, aws, monkeypatch):
    with faulty_endpoint(aws) as s3:
        s3.fail(s3_subresource("policy", "public-website"), status=403, code="AccessDenied", protocol="rest-xml")
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3_CONTROL", "http://127.0.0.1:9")
        result = scan("s3", factory=ClientFactory(max_attempts=1))

    assert len(s3.faulted) == 1
    denied = result.result("s3_bucket_policy_not_public", "public-website")
    assert denied.status == Status.ERROR
    assert denied.reason.startswith("policy could not be read: access denied: GetBucketPolicy")
    assert result.status("s3_bucket_policy_denies_insecure_transport", "public-website") == Status.ERROR
    assert result.status("s3_bucket_acl_not_public", "public-website") == Status.FAIL
    assert result.status("s3_bucket_policy_not_public", "evidence-private") == Status.PASS


def test_lifecycle_refused_on_one_bucket_errors_only_its_expiration_check(aws, monkeypatch):
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="app-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(s3_subresource("lifecycle", "app-logs"), status=403, code="AccessDenied", protocol="rest-xml")
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3_CONTROL", "http://127.0.0.1:9")
        result = scan("s3", factory=ClientFactory(max_attempts=1))

    refused = result.result("s3_bucket_lifecycle_expiration", "app-logs")
    assert refused.status == Status.ERROR
    assert refused.reason.startswith(
        "lifecycle rules could not be read: access denied: GetBucketLifecycleConfiguration"
    )
    assert result.status("s3_bucket_versioning_enabled", "app-logs") == Status.FAIL


def test_bucket_listing_refused_is_a_collection_error_for_buckets(aws, monkeypatch):
    with faulty_endpoint(aws) as s3:
        s3.fail(
            lambda request: request.method == "GET" and request.path.split("?")[0] == "/",
            status=403,
            code="AccessDenied",
            protocol="rest-xml",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3.url)
        result = scan("s3", factory=ClientFactory(max_attempts=1))

    error = result.error_for("aws.s3.bucket")
    assert error is not None and error.reason.startswith("access denied: ListBuckets")
    assert [item for item in result.documents if item.type == "aws.s3.bucket"] == []
    judged = [outcome for check_id, _, outcome in result.all_results() if check_id.startswith("s3_bucket")]
    assert judged and all(outcome.status == Status.ERROR for outcome in judged)


def test_buckets_are_read_several_at_once_in_listing_order_each_with_its_own_errors(aws, monkeypatch):
    s3 = boto3.client("s3", region_name="eu-west-1")
    names = [f"bucket-{index:02}" for index in range(12)]
    for name in names:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    refused = {"bucket-03", "bucket-07", "bucket-11"}
    in_flight, most_in_flight, lock = [0], [0], threading.Lock()

    def slow_versioning_read(request) -> bool:
        """Holds each GetBucketVersioning a moment and counts how many are in flight together."""
        if "versioning" not in request.query:
            return False
        with lock:
            in_flight[0] += 1
            most_in_flight[0] = max(most_in_flight[0], in_flight[0])
        time.sleep(0.2)
        with lock:
            in_flight[0] -= 1
        return False

    with faulty_endpoint(aws) as endpoint:
        for name in refused:
            endpoint.fail(s3_subresource("policy", name), status=403, code="AccessDenied", protocol="rest-xml")
        endpoint.fail(slow_versioning_read, status=500, code="Unused", protocol="rest-xml")
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3_CONTROL", "http://127.0.0.1:9")
        result = scan("s3", factory=ClientFactory(max_attempts=1))

    bucket_docs = [item for item in result.documents if item.type == "aws.s3.bucket"]
    assert [item.name for item in bucket_docs] == names
    for item in bucket_docs:
        expected = {"policy"} if item.name in refused else set()
        assert set(item.config["errors"]) == expected, item.name
        assert item.config["versioning"]["status"] == "Never enabled"
    assert most_in_flight[0] > 1
