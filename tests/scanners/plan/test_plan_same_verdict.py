"""A resource judged in a plan and the same resource created in AWS (moto, over HTTP) and collected get the same
verdict from every check: the plan's documents are the collectors' documents."""

from __future__ import annotations

from dataclasses import asdict

import boto3
import pytest

from scanners.checks.base import checks_for
from tests.scanners.documents import scan
from tests.scanners.plan.plans import findings_of

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
ACCOUNT = "123456789012"


def plan_verdicts(case: str, address: str) -> dict[str, str]:
    return {item.check: item.status for item in findings_of(case) if item.address == address}


def collected_verdicts(group: str, name: str, resource_type: str) -> dict[str, str]:
    result = scan(group)
    assert not result.errors, result.errors
    document = asdict(result.named(name, resource_type))
    return {check.id: str(check.run(document).status) for check in checks_for(resource_type)}


def statement_of(case: str, address: str, attribute: str = "policy") -> str:
    """A policy exactly as the plan sets it, so that AWS is given the same document."""
    from tests.scanners.plan.plans import plan_data

    change = next(item for item in plan_data(case)["resource_changes"] if item["address"] == address)
    return change["change"]["after"][attribute]


@pytest.mark.parametrize("case", ["compliant", "noncompliant"])
def test_an_s3_bucket_gets_the_same_verdicts(aws, case):
    s3 = boto3.client("s3", region_name=REGION)
    location = {"CreateBucketConfiguration": {"LocationConstraint": REGION}}
    if case == "compliant":
        name, address = "acme-audit-logs", "aws_s3_bucket.audit_logs"
        kms = boto3.client("kms", region_name=REGION)
        key_arn = kms.create_key()["KeyMetadata"]["Arn"]
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True, **location)
        flags = dict.fromkeys(
            ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
        )
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=flags)
        s3.put_bucket_acl(Bucket=name, ACL="private")
        s3.put_bucket_policy(Bucket=name, Policy=statement_of(case, "aws_s3_bucket_policy.audit_logs"))
        rule = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": rule, "BucketKeyEnabled": True}]
            },
        )
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 7}},
            },
        )
        lifecycle = {
            "ID": "keep-seven-years",
            "Status": "Enabled",
            "Filter": {},
            "Expiration": {"Days": 2557},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        }
    else:
        name, address = "acme-public-logs", "aws_s3_bucket.public_logs"
        s3.create_bucket(Bucket=name, **location)
        flags = dict.fromkeys(
            ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], False
        )
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=flags)
        s3.put_bucket_acl(Bucket=name, ACL="public-read")
        s3.put_bucket_policy(Bucket=name, Policy=statement_of(case, "aws_s3_bucket_policy.public_logs"))
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
        lifecycle = {"ID": "current-only", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 90}}
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [lifecycle]})

    planned = plan_verdicts(case, address)
    assert planned == collected_verdicts("s3", name, "aws.s3.bucket")
    assert ("fail" in planned.values()) == (case == "noncompliant")


def test_a_bucket_nothing_configures_gets_the_same_verdicts(aws):
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="acme-plain-logs", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    planned = plan_verdicts("noncompliant", "aws_s3_bucket.plain_logs")
    assert planned == collected_verdicts("s3", "acme-plain-logs", "aws.s3.bucket")


def test_security_groups_get_the_same_verdicts(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    everyone = [{"CidrIp": "0.0.0.0/0"}]
    opened = {
        "web": [(443, everyone), (80, everyone)],
        "admin": [(22, everyone), (5432, everyone)],
    }
    for name, rules in opened.items():
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": ranges} for port, ranges in rules
            ],
        )
    collected = scan("vpc")
    for name, case in (("web", "compliant"), ("admin", "noncompliant")):
        document = next(item for item in collected.documents if item.name.startswith(f"{name} ("))
        judged = {check.id: str(check.run(asdict(document)).status) for check in checks_for(document.type)}
        assert plan_verdicts(case, f"aws_security_group.{name}") == judged


@pytest.mark.parametrize(
    ("case", "address", "encrypted"),
    [
        ("compliant", "aws_ebs_volume.data", True),
        ("noncompliant", "aws_ebs_volume.scratch", False),
    ],
)
def test_an_ebs_volume_gets_the_same_verdict(aws, case, address, encrypted):
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_volume(
        AvailabilityZone="eu-west-1a",
        Size=10,
        Encrypted=encrypted,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "probe"}]}],
    )
    assert plan_verdicts(case, address) == collected_verdicts("ec2", "probe", "aws.ec2.volume")


@pytest.mark.parametrize(
    ("case", "address"), [("compliant", "aws_kms_key.data"), ("noncompliant", "aws_kms_key.legacy")]
)
def test_a_kms_key_gets_the_same_verdicts(aws, case, address):
    kms = boto3.client("kms", region_name=REGION)
    if case == "compliant":
        key_id = kms.create_key(Policy=statement_of(case, address))["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=key_id)
    else:
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/probe", TargetKeyId=key_id)
    assert plan_verdicts(case, address) == collected_verdicts("kms", "alias/probe", "aws.kms.key")
