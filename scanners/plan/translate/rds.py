"""RDS database instances, with the inbound rules of the security groups the plan gives them, the CIDR blocks
of their VPC and the FreeStorageSpace alarms on them."""

from __future__ import annotations

from typing import Any

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, translates
from scanners.plan.translate.network import ingress_of
from scanners.plan.unknown import Unknown

# Engines whose storage is encrypted when the code does not say (Aurora clusters decide it, not instances).
CLUSTER_ENGINES = ("aurora",)


def vpc_cidr_blocks(plan: Plan, db: PlanResource) -> Any:
    """The CIDR blocks of the VPC of the instance's subnet group, when the plan creates that VPC."""
    for group in plan.referred(db, "db_subnet_group_name", "aws_db_subnet_group"):
        for subnet in plan.referred(group, "subnet_ids", "aws_subnet"):
            for vpc in plan.referred(subnet, "vpc_id", "aws_vpc"):
                blocks = [vpc.get("cidr_block")]
                v6 = vpc.get("ipv6_cidr_block", unset=None)
                return blocks + ([v6] if v6 else [])
    return Unknown(f"the CIDR blocks of the VPC of {db.address}")


def free_storage_alarms(plan: Plan, identifier: Any) -> list[dict]:
    found = []
    for alarm in plan.of_type("aws_cloudwatch_metric_alarm"):
        if alarm.get("metric_name") != "FreeStorageSpace" or alarm.get("namespace") != "AWS/RDS":
            continue
        dimensions = alarm.get("dimensions", unset={}) or {}
        watched = dimensions.get("DBInstanceIdentifier") if isinstance(dimensions, dict) else None
        if isinstance(identifier, str) and watched == identifier:
            actions = alarm.get("alarm_actions", unset=[]) or []
            found.append(
                {
                    "name": alarm.get("alarm_name"),
                    "instances": [identifier],
                    "actions_enabled": alarm.get("actions_enabled", unset=True),
                    "alarm_actions": actions if isinstance(actions, Unknown) else list(actions),
                }
            )
    return found


@translates(
    "aws_db_instance",
    "aws.rds.db_instance",
    reads=("aws_db_subnet_group", "aws_cloudwatch_metric_alarm", "aws_security_group", "aws_security_group_rule"),
)
def db_instance(plan: Plan, resource: PlanResource) -> dict:
    identifier = resource.get("identifier")
    engine = resource.get("engine")
    cluster_engine = isinstance(engine, str) and engine.startswith(CLUSTER_ENGINES)
    groups, ingress = ingress_of(plan, resource, "vpc_security_group_ids")
    return doc(
        resource=resource,
        type="aws.rds.db_instance",
        region=plan.region(),
        name=identifier,
        config={
            "engine": engine,
            "engine_version": resource.get("engine_version", unset=None),
            "instance_class": resource.get("instance_class"),
            "publicly_accessible": resource.get("publicly_accessible", unset=False),
            "storage_encrypted": resource.get("storage_encrypted", unset=cluster_engine),
            "kms_key_id": resource.get("kms_key_id", unset=None),
            # The RDS API keeps one day of automated backups when the request names no retention.
            "backup_retention_period": resource.get("backup_retention_period", unset=1),
            "deletion_protection": resource.get("deletion_protection", unset=False),
            "multi_az": resource.get("multi_az", unset=False),
            "cluster": resource.get("cluster_identifier", unset=None),
            "security_groups": groups,
            "security_group_ingress": ingress,
            "allocated_storage": resource.get("allocated_storage"),
            "max_allocated_storage": resource.get("max_allocated_storage", unset=None) or None,
            "free_storage_alarms": free_storage_alarms(plan, identifier),
            "vpc_cidr_blocks": vpc_cidr_blocks(plan, resource),
        },
    )
