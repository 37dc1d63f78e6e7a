"""RDS: network exposure, encryption, automated backups and deletion protection of database instances."""

from __future__ import annotations

from scanners.checks.aws.vpc import address_ranges, is_private, network_of
from scanners.checks.base import Result, check, field, listed

DB_INSTANCE = "aws.rds.db_instance"
NETWORK = (
    "iso27001-2022:A.8.20",
    "iso27001-2022:A.8.22",
    "iso27001-2013:A.13.1.1",
    "iso27001-2013:A.13.1.3",
    "soc2-2017:CC6.6",
)
BACKUP = ("iso27001-2022:A.8.13", "iso27001-2013:A.12.3.1", "soc2-2017:A1.2", "soc2-2017:CC9.1")
CAPACITY = ("iso27001-2022:A.8.6", "iso27001-2013:A.12.1.3", "soc2-2017:A1.1")
# Engines whose instances share a cluster volume that grows on its own.
CLUSTER_VOLUME_ENGINES = ("aurora", "docdb", "neptune")


@check(
    id="rds_instance_not_publicly_accessible",
    title="RDS instance is not publicly accessible",
    resource=DB_INSTANCE,
    severity="critical",
    controls=NETWORK + ("soc2-2017:CC6.1",),
    remediation="""Modify the instance with PubliclyAccessible off and keep it in private subnets; give
    people access through a bastion, Session Manager port forwarding or a VPN.""",
)
def instance_not_public(db: dict) -> Result:
    if field(db, "publicly_accessible"):
        return Result.failed("the instance has a public endpoint")
    return Result.passed("private endpoint only")


@check(
    id="rds_security_groups_from_app_only",
    title="RDS security groups admit only application security groups or the VPC's own private range",
    resource=DB_INSTANCE,
    severity="high",
    controls=NETWORK,
    remediation="""Replace inbound rules that name public or outside address ranges with rules that name the
    security groups of the applications that use the database (or, at widest, the VPC's own private range), so
    that only those instances can connect.""",
)
def security_groups_from_app_only(db: dict) -> Result:
    groups = field(db, "security_groups")
    if not groups:
        return Result.not_applicable("no VPC security group (EC2-Classic DB security groups are not judged)")
    ingress = field(db, "security_group_ingress")
    outside = []
    for group in groups:
        for rule in ingress.get(group, []):
            outside += [f"{group} from {source}" for source in sources_outside_the_vpc(db, rule)]
    if outside:
        return Result.failed(f"inbound rules from outside the VPC's private range: {listed(outside)}")
    return Result.passed(f"inbound only from security groups or the VPC's private range ({listed(groups)})")


def sources_outside_the_vpc(db: dict, rule: dict) -> list[str]:
    """The rule's sources other than security groups and private ranges inside the VPC's own CIDR blocks."""
    found = [f"prefix list {item.get('PrefixListId')}" for item in rule.get("PrefixListIds", [])]
    for cidr in address_ranges(rule):
        network = network_of(cidr)
        if not is_private(network):
            found.append(f"{network} (public)")
            continue
        # Read only when a private range needs it: rules naming groups or public ranges are judged without it.
        vpc_blocks = [network_of(block) for block in field(db, "vpc_cidr_blocks")]
        if not any(network.version == block.version and network.subnet_of(block) for block in vpc_blocks):
            found.append(f"{network} (private, outside the VPC's {listed(str(block) for block in vpc_blocks)})")
    return found


@check(
    id="rds_storage_encrypted",
    title="RDS instance storage is encrypted",
    resource=DB_INSTANCE,
    severity="high",
    controls=("iso27001-2022:A.8.24", "iso27001-2013:A.10.1.1", "soc2-2017:CC6.1"),
    remediation="""Encryption cannot be switched on for an existing instance: snapshot it, copy the snapshot
    with a KMS key, restore from the copy and move clients over.""",
)
def storage_encrypted(db: dict) -> Result:
    if field(db, "storage_encrypted"):
        return Result.passed(f"encrypted with {field(db, 'kms_key_id', allow_none=True) or 'a KMS key'}")
    return Result.failed("storage is not encrypted")


@check(
    id="rds_automated_backups_enabled",
    title="RDS automated backups are on",
    resource=DB_INSTANCE,
    severity="high",
    controls=BACKUP,
    remediation="""Set a backup retention period of at least 7 days (35 for production), or cover the
    instance with an AWS Backup plan.""",
)
def automated_backups_enabled(db: dict) -> Result:
    days = int(field(db, "backup_retention_period"))
    if days <= 0:
        return Result.failed("automated backups are off (retention 0 days)")
    return Result.passed(f"automated backups kept for {days} days")


@check(
    id="rds_deletion_protection_enabled",
    title="RDS instance is protected against deletion",
    resource=DB_INSTANCE,
    severity="low",
    controls=BACKUP + ("iso27001-2022:A.5.29", "iso27001-2013:A.17.1.2"),
    remediation="""Turn on deletion protection for production instances so that a delete call, from a person
    or from infrastructure code, fails until someone turns it off on purpose.""",
)
def deletion_protection_enabled(db: dict) -> Result:
    if field(db, "deletion_protection"):
        return Result.passed("deletion protection is on")
    return Result.failed("deletion protection is off")


@check(
    id="rds_storage_autoscaling_or_alarm",
    title="RDS instance storage grows on its own or a free-storage alarm watches it",
    resource=DB_INSTANCE,
    severity="medium",
    controls=CAPACITY,
    remediation="""Turn on storage autoscaling (set a maximum storage threshold above the allocated storage),
    or create a CloudWatch alarm on the instance's FreeStorageSpace metric that notifies the team on call
    before the disk fills up.""",
)
def storage_autoscaling_or_alarm(db: dict) -> Result:
    if str(field(db, "engine")).startswith(CLUSTER_VOLUME_ENGINES):
        return Result.not_applicable(f"{field(db, 'engine')} storage is a cluster volume that grows on its own")
    allocated = int(field(db, "allocated_storage"))
    maximum = field(db, "max_allocated_storage", allow_none=True)
    if maximum and int(maximum) > allocated:
        return Result.passed(f"storage autoscaling up to {maximum} GiB (allocated {allocated} GiB)")
    alarms = field(db, "free_storage_alarms")
    notifying = [alarm["name"] for alarm in alarms if alarm.get("actions_enabled") and alarm.get("alarm_actions")]
    if notifying:
        return Result.passed(f"free storage watched by alarm {listed(notifying)} (autoscaling off)")
    if alarms:
        silent = listed(alarm["name"] for alarm in alarms)
        return Result.failed(f"storage autoscaling off and free-storage alarm {silent} notifies no one")
    return Result.failed(f"storage autoscaling off ({allocated} GiB fixed) and no FreeStorageSpace alarm")
