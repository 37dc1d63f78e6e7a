"""EC2 checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

REGION_ON = doc("aws.ec2.region", ebs_encryption_by_default=True)
VOLUME = doc("aws.ec2.volume", encrypted=True, kms_key_id="arn:aws:kms:eu-west-1:1:key/k")
SNAPSHOT = doc("aws.ec2.snapshot", encrypted=True, kms_key_id=None, create_volume_permissions=[])
IMAGE = doc("aws.ec2.image", public=False)
COLLECTED = "2026-12-01T12:00:00+00:00"
GOVERNANCE = {"state": "governance", "duration_days": 90, "expires_on": "2027-02-01T00:00:00+00:00"}


def kept_snapshot(*, started="2026-10-01T03:00:00+00:00", lock=GOVERNANCE, tags=None) -> dict:
    return doc(
        "aws.ec2.snapshot",
        tags=tags,
        encrypted=True,
        create_volume_permissions=[],
        started=started,
        collected_at=COLLECTED,
        lock=lock,
    )


INSTANCE = doc("aws.ec2.instance", vpc_id="vpc-1", subnet_id="subnet-1")
IMDS_V2 = doc("aws.ec2.instance", metadata_options={"HttpTokens": "required", "HttpEndpoint": "enabled"})
IMDS_V1 = doc("aws.ec2.instance", metadata_options={"HttpTokens": "optional", "HttpEndpoint": "enabled"})
IMDS_OFF = doc("aws.ec2.instance", metadata_options={"HttpTokens": "optional", "HttpEndpoint": "disabled"})

CASES = [
    Case("ec2_snapshot_locked", Status.PASS, kept_snapshot(), "two months old, governance lock", reason="governance"),
    Case(
        "ec2_snapshot_locked",
        Status.PASS,
        kept_snapshot(lock={"state": "compliance-cooloff", "expires_on": "2027-12-01T00:00:00+00:00"}),
        "compliance lock in its cool-off",
        reason="compliance-cooloff mode until 2027-12-01",
    ),
    Case("ec2_snapshot_locked", Status.FAIL, kept_snapshot(lock={}), "kept, never locked", reason="61 days old"),
    Case(
        "ec2_snapshot_locked",
        Status.FAIL,
        kept_snapshot(lock={"state": "expired", "expires_on": "2026-11-01T00:00:00+00:00"}),
        "the lock ran out",
        reason="expired on 2026-11-01",
    ),
    Case(
        "ec2_snapshot_locked",
        Status.NOT_APPLICABLE,
        kept_snapshot(started="2026-11-30T03:00:00+00:00", lock={}),
        "yesterday's snapshot is not kept yet",
        reason="at least 7 days old",
    ),
    Case(
        "ec2_snapshot_locked",
        Status.FAIL,
        kept_snapshot(started="2026-11-30T03:00:00+00:00", lock={}, tags={"legal-hold": "case-12"}),
        "young, but tagged as kept by the account",
        reason="tagged legal-hold",
        settings={"kept_tag_keys": ["legal-hold"]},
    ),
    Case(
        "ec2_snapshot_locked",
        Status.FAIL,
        kept_snapshot(started="2026-11-30T03:00:00+00:00", lock={}),
        "an account that keeps every snapshot",
        reason="kept (1 day old) but not locked",
        settings={"kept_after_days": 0},
    ),
    Case(
        "ec2_snapshot_locked",
        Status.ERROR,
        failed_read(kept_snapshot(), "lock"),
        "DescribeLockedSnapshots refused",
        reason="lock could not be read",
    ),
    Case(
        "ec2_snapshot_locked",
        Status.ERROR,
        kept_snapshot(started="2026-10-01T03:00:00"),
        "a start time without a zone",
        reason="no time zone",
    ),
    Case(
        "ec2_snapshot_locked",
        Status.ERROR,
        kept_snapshot(lock={"state": "frozen"}),
        "a lock state AWS may add later",
        reason="not one we know",
    ),
    Case("ec2_ebs_encryption_by_default", Status.PASS, REGION_ON, "on"),
    Case("ec2_ebs_encryption_by_default", Status.FAIL, doc("aws.ec2.region", ebs_encryption_by_default=False), "off"),
    Case(
        "ec2_ebs_encryption_by_default",
        Status.ERROR,
        failed_read(REGION_ON, "ebs_encryption_by_default", "timed out: Read timeout on endpoint URL"),
        "the region did not answer",
        reason="timed out",
    ),
    Case("ec2_volume_encrypted", Status.PASS, VOLUME, "encrypted with a KMS key", reason="key/k"),
    Case("ec2_volume_encrypted", Status.FAIL, doc("aws.ec2.volume", encrypted=False, kms_key_id=None), "plain"),
    Case("ec2_volume_encrypted", Status.ERROR, without(VOLUME, "encrypted"), "not collected"),
    Case("ec2_snapshot_encrypted", Status.PASS, SNAPSHOT, "encrypted"),
    Case(
        "ec2_snapshot_encrypted",
        Status.FAIL,
        doc("aws.ec2.snapshot", encrypted=False, create_volume_permissions=[]),
        "plain",
    ),
    Case("ec2_snapshot_encrypted", Status.ERROR, without(SNAPSHOT, "encrypted"), "not collected"),
    Case("ec2_snapshot_not_public", Status.PASS, SNAPSHOT, "not shared", reason="not shared"),
    Case(
        "ec2_snapshot_not_public",
        Status.PASS,
        doc("aws.ec2.snapshot", encrypted=True, create_volume_permissions=[{"UserId": "210987654321"}]),
        "shared with one named account",
        reason="210987654321",
    ),
    Case(
        "ec2_snapshot_not_public",
        Status.FAIL,
        doc("aws.ec2.snapshot", encrypted=True, create_volume_permissions=[{"Group": "all"}]),
        "shared with everyone",
        reason="anyone",
    ),
    Case(
        "ec2_snapshot_not_public",
        Status.ERROR,
        failed_read(SNAPSHOT, "create_volume_permissions"),
        "attribute read denied",
        reason="access denied",
    ),
    Case("ec2_ami_not_public", Status.PASS, IMAGE, "private"),
    Case("ec2_ami_not_public", Status.FAIL, doc("aws.ec2.image", public=True), "public"),
    Case("ec2_ami_not_public", Status.ERROR, without(IMAGE, "public"), "not collected"),
    Case("ec2_instance_in_vpc", Status.PASS, INSTANCE, "in a VPC", reason="vpc-1"),
    Case("ec2_instance_in_vpc", Status.FAIL, doc("aws.ec2.instance", vpc_id=None), "EC2-Classic"),
    Case("ec2_instance_in_vpc", Status.ERROR, without(INSTANCE, "vpc_id"), "not collected"),
    Case("ec2_instance_imdsv2_required", Status.PASS, IMDS_V2, "tokens required", reason="IMDSv2 is required"),
    Case("ec2_instance_imdsv2_required", Status.PASS, IMDS_OFF, "metadata service off", reason="turned off"),
    Case("ec2_instance_imdsv2_required", Status.FAIL, IMDS_V1, "tokens optional", reason="IMDSv1 is allowed"),
    Case(
        "ec2_instance_imdsv2_required",
        Status.ERROR,
        doc("aws.ec2.instance", metadata_options={}),
        "options missing from the answer",
        reason="not in the answer",
    ),
    Case("ec2_instance_imdsv2_required", Status.ERROR, without(IMDS_V2, "metadata_options"), "not collected"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_ec2_check(case):
    assert_case(case)
