"""KMS keys collected from the moto server over HTTP, then judged by the checks."""

import json

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"


def guarded_policy(days: int) -> str:
    admin = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    guard = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "kms:ScheduleKeyDeletion",
        "Resource": "*",
        "Condition": {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": days}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [admin, guard]})


@pytest.fixture
def keys(aws):
    """'alias/evidence' rotates and its policy refuses short deletion windows; 'alias/legacy' neither;
    'alias/retired' is scheduled for deletion."""
    kms = boto3.client("kms", region_name="eu-west-1")
    for alias in ("evidence", "legacy", "retired"):
        key_id = kms.create_key(Description=alias, Tags=[{"TagKey": "purpose", "TagValue": alias}])["KeyMetadata"][
            "KeyId"
        ]
        kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=key_id)
        if alias == "evidence":
            kms.enable_key_rotation(KeyId=key_id)
            kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=guarded_policy(30))
        if alias == "retired":
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def test_keys_are_judged_end_to_end(keys):
    result = scan("kms")

    assert not result.errors
    assert result.status("kms_key_rotation_enabled", "alias/evidence") == Status.PASS
    assert result.status("kms_key_rotation_enabled", "alias/legacy") == Status.FAIL
    # AWS refuses GetKeyRotationStatus on a key pending deletion, so the collector does not ask.
    assert result.status("kms_key_rotation_enabled", "alias/retired") == Status.NOT_APPLICABLE
    assert result.status("kms_key_not_pending_deletion", "alias/evidence") == Status.PASS
    retired = result.result("kms_key_not_pending_deletion", "alias/retired")
    assert retired.status == Status.FAIL and "scheduled for deletion" in retired.reason
    assert result.named("alias/legacy").tags == {"purpose": "legacy"}


def test_deletion_window_is_judged_from_the_key_policy(keys):
    result = scan("kms")

    assert result.named("alias/evidence").config["key_policy"]["Statement"][1]["Effect"] == "Deny"
    assert result.status("kms_key_deletion_window", "alias/evidence") == Status.PASS
    legacy = result.result("kms_key_deletion_window", "alias/legacy")
    assert legacy.status == Status.FAIL and "nothing in the key policy" in legacy.reason
    # moto's DescribeKey leaves out PendingDeletionWindowInDays, which AWS gives for every key pending
    # deletion: the window is unknown, so the check reports an error rather than guess.
    retired = result.result("kms_key_deletion_window", "alias/retired")
    assert retired.status == Status.ERROR and "pending deletion window" in retired.reason


def test_a_key_policy_refused_errors_only_the_deletion_window(keys, aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("GetKeyPolicy"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", endpoint.url)
        result = scan("kms", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    refused = result.result("kms_key_deletion_window", "alias/evidence")
    assert refused.status == Status.ERROR and "key policy could not be read: access denied" in refused.reason
    assert result.status("kms_key_rotation_enabled", "alias/evidence") == Status.PASS
