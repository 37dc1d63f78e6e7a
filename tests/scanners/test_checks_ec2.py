"""EC2 checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

REGION_ON = doc("aws.ec2.region", ebs_encryption_by_default=True)
VOLUME = doc("aws.ec2.volume", encrypted=True, kms_key_id="arn:aws:kms:eu-west-1:1:key/k")
SNAPSHOT = doc("aws.ec2.snapshot", encrypted=True, kms_key_id=None, create_volume_permissions=[])
IMAGE = doc("aws.ec2.image", public=False)
INSTANCE = doc("aws.ec2.instance", vpc_id="vpc-1", subnet_id="subnet-1")
IMDS_V2 = doc("aws.ec2.instance", metadata_options={"HttpTokens": "required", "HttpEndpoint": "enabled"})
IMDS_V1 = doc("aws.ec2.instance", metadata_options={"HttpTokens": "optional", "HttpEndpoint": "enabled"})
IMDS_OFF = doc("aws.ec2.instance", metadata_options={"HttpTokens": "optional", "HttpEndpoint": "disabled"})

CASES = [
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
