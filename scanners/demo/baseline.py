"""The practitioners' baseline both ways: identity, storage, keys and backup; networks and time sources."""

from __future__ import annotations

import json
import logging

from botocore.exceptions import ClientError

from scanners.demo.common import ACCOUNT

logger = logging.getLogger(__name__)


def seed_baseline_protection(session, regions: tuple[str, ...]) -> list[str]:
    """Both sides of the practitioners' baseline for identity, storage, keys and backup: bob administers
    through a group; a records bucket locked for seven years and expiring after, next to log buckets that
    never expire; the evidence keys refuse short deletion windows; a weekly backup plan keeps its recovery
    points forever."""
    home = regions[0]
    iam = session.client("iam", region_name=home)
    iam.create_group(GroupName="ct-demo-admins")
    try:
        iam.attach_group_policy(GroupName="ct-demo-admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    except ClientError as exc:  # moto without MOTO_IAM_LOAD_MANAGED_POLICIES=true, as in attach_aws_policy
        logger.warning("could not attach AdministratorAccess to ct-demo-admins: %s", exc)
    iam.add_user_to_group(GroupName="ct-demo-admins", UserName="bob")

    records = "ct-demo-records"
    s3 = session.client("s3", region_name=home)
    location = {} if home == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": home}}
    s3.create_bucket(Bucket=records, ObjectLockEnabledForBucket=True, **location)
    seven_years = {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 7}}
    s3.put_object_lock_configuration(
        Bucket=records, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": seven_years}
    )
    whole_bucket = {"Status": "Enabled", "Filter": {"Prefix": ""}}
    expire = [
        {"ID": "after-retention", **whole_bucket, "Expiration": {"Days": 2600}},
        {"ID": "old-versions", **whole_bucket, "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=records, LifecycleConfiguration={"Rules": expire})

    for region in regions:
        kms = session.client("kms", region_name=region)
        key_id = kms.describe_key(KeyId="alias/ct-demo-evidence")["KeyMetadata"]["KeyId"]
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=deletion_guarded_key_policy())

    kept_forever = {"RuleName": "weekly", "TargetBackupVaultName": "ct-demo-primary"}
    backup = session.client("backup", region_name=home)
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "ct-demo-weekly", "Rules": [kept_forever]})
    return ["ct-demo-admins", records, "alias/ct-demo-evidence key policy", "ct-demo-weekly"]


def deletion_guarded_key_policy() -> str:
    """The account administers the key, and nobody may schedule its deletion with less than 30 days' notice."""
    administer = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*"}
    guard = {
        "Sid": "NoShortDeletionWindow",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "kms:ScheduleKeyDeletion",
        "Condition": {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}},
    }
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**administer, "Resource": "*"}, {**guard, "Resource": "*"}]}
    )


def seed_network_baseline(session, regions: tuple[str, ...]) -> list[str]:
    """The last region's default VPC isolated (deny-all ACLs, an empty default group); the home region's
    sandbox VPC handing out a public NTP pool besides the Amazon Time Sync Service."""
    seeded = []
    if len(regions) > 1:
        ec2 = session.client("ec2", region_name=regions[-1])
        default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        in_default = [{"Name": "vpc-id", "Values": [default_vpc]}]
        for acl in ec2.describe_network_acls(Filters=in_default)["NetworkAcls"]:
            for entry in acl["Entries"]:
                if entry["RuleAction"] == "allow":
                    ec2.delete_network_acl_entry(
                        NetworkAclId=acl["NetworkAclId"], RuleNumber=entry["RuleNumber"], Egress=entry["Egress"]
                    )
        default_group = ec2.describe_security_groups(
            Filters=[*in_default, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]
        if default_group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(
                GroupId=default_group["GroupId"], IpPermissions=default_group["IpPermissionsEgress"]
            )
        seeded.append(f"isolated default VPC in {regions[-1]}")
    ec2 = session.client("ec2", region_name=regions[0])
    sandbox = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["sandbox"]}])["Vpcs"][0]["VpcId"]
    public_pool = [{"Key": "ntp-servers", "Values": ["169.254.169.123", "pool.ntp.org"]}]
    option_set = ec2.create_dhcp_options(DhcpConfigurations=public_pool)["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=option_set, VpcId=sandbox)
    return [*seeded, "sandbox NTP servers"]
