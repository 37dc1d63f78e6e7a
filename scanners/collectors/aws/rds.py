"""RDS database instances in one region, with the inbound rules of their VPC security groups and the CIDR
blocks of their VPC."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.aws.vpc import cidr_blocks_of, ingress_rules_of, rules_for
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    tag_dict,
)

DB_INSTANCE = "aws.rds.db_instance"


@service_group(name="rds", resource_types=(DB_INSTANCE,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((DB_INSTANCE,), region, lambda: db_instances(factory, region))


def db_instances(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    found = listing(factory.client("rds", region), "describe_db_instances", "DBInstances")
    if not found:
        return
    reads = SubReads()
    group_ids = {group["VpcSecurityGroupId"] for db in found for group in db.get("VpcSecurityGroups", [])}
    rules = reads("security_group_ingress", lambda: ingress_rules_of(factory.client("ec2", region), group_ids))
    storage_alarms = reads("free_storage_alarms", lambda: free_storage_alarms(factory.client("cloudwatch", region)))
    vpc_ids = {vpc_of(db) for db in found} - {None}
    vpc_blocks = reads("vpc_cidr_blocks", lambda: cidr_blocks_of(factory.client("ec2", region), vpc_ids))
    for db in found:
        groups = [group["VpcSecurityGroupId"] for group in db.get("VpcSecurityGroups", [])]
        tags = tag_dict(db.get("TagList"))
        yield document(
            uid=db["DBInstanceArn"],
            type=DB_INSTANCE,
            region=region,
            name=db["DBInstanceIdentifier"],
            tags=tags,
            config={
                "engine": db.get("Engine"),
                "engine_version": db.get("EngineVersion"),
                "instance_class": db.get("DBInstanceClass"),
                "publicly_accessible": bool(db.get("PubliclyAccessible")),
                "storage_encrypted": bool(db.get("StorageEncrypted")),
                "kms_key_id": db.get("KmsKeyId"),
                "backup_retention_period": db.get("BackupRetentionPeriod", 0),
                "deletion_protection": bool(db.get("DeletionProtection")),
                "multi_az": bool(db.get("MultiAZ")),
                "cluster": db.get("DBClusterIdentifier"),
                "security_groups": groups,
                "security_group_ingress": rules_for(groups, rules),
                "allocated_storage": db.get("AllocatedStorage"),
                "max_allocated_storage": db.get("MaxAllocatedStorage"),
                "free_storage_alarms": alarms_of(db["DBInstanceIdentifier"], storage_alarms),
                "vpc_cidr_blocks": vpc_blocks.get(vpc_of(db)) if vpc_blocks is not None else None,
                "errors": dict(reads.errors),
            },
        )


def free_storage_alarms(cloudwatch) -> list[dict]:
    """The region's alarms on an instance's FreeStorageSpace metric (metric math alarms are not followed)."""
    answer = cloudwatch.describe_alarms_for_metric(MetricName="FreeStorageSpace", Namespace="AWS/RDS")
    return [
        {
            "name": alarm.get("AlarmName"),
            "instances": [
                item.get("Value")
                for item in alarm.get("Dimensions") or []
                if item.get("Name") == "DBInstanceIdentifier"
            ],
            "actions_enabled": bool(alarm.get("ActionsEnabled")),
            "alarm_actions": alarm.get("AlarmActions") or [],
        }
        for alarm in answer.get("MetricAlarms") or []
    ]


def alarms_of(instance: str, alarms: list[dict] | None) -> list[dict] | None:
    if alarms is None:
        return None
    return [alarm for alarm in alarms if instance in alarm["instances"]]


def vpc_of(db: dict) -> str | None:
    return (db.get("DBSubnetGroup") or {}).get("VpcId")
