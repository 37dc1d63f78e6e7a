"""KMS keys collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.checks.base import Status
from tests.scanners.documents import scan

pytestmark = pytest.mark.integration


@pytest.fixture
def keys(aws):
    """'alias/evidence' rotates; 'alias/legacy' does not; 'alias/retired' is scheduled for deletion."""
    kms = boto3.client("kms", region_name="eu-west-1")
    for alias in ("evidence", "legacy", "retired"):
        key_id = kms.create_key(Description=alias, Tags=[{"TagKey": "purpose", "TagValue": alias}])["KeyMetadata"][
            "KeyId"
        ]
        kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=key_id)
        if alias == "evidence":
            kms.enable_key_rotation(KeyId=key_id)
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
