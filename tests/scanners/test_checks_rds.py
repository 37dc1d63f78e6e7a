"""RDS checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

FROM_APP = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": "sg-app"}]}
FROM_EVERYWHERE = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def postgres_from(*v4, v6=(), prefix_lists=()) -> dict:
    return {
        "IpProtocol": "tcp",
        "FromPort": 5432,
        "ToPort": 5432,
        "IpRanges": [{"CidrIp": cidr} for cidr in v4],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in v6],
        "PrefixListIds": [{"PrefixListId": item} for item in prefix_lists],
    }


def admitting(*rules, vpc=("10.1.0.0/16", "10.2.0.0/16", "2600:1f18:1:100::/56")) -> dict:
    return database(security_group_ingress={"sg-db": list(rules)}, vpc_cidr_blocks=list(vpc))


def database(**overrides) -> dict:
    config = {
        "publicly_accessible": False,
        "storage_encrypted": True,
        "kms_key_id": "arn:aws:kms:eu-west-1:1:key/db",
        "backup_retention_period": 7,
        "deletion_protection": True,
        "security_groups": ["sg-db"],
        "security_group_ingress": {"sg-db": [FROM_APP]},
        "vpc_cidr_blocks": ["10.1.0.0/16"],
    }
    return doc("aws.rds.db_instance", name="orders", **{**config, **overrides})


PRIVATE = database()
PUBLIC = database(
    publicly_accessible=True,
    storage_encrypted=False,
    kms_key_id=None,
    backup_retention_period=0,
    deletion_protection=False,
    security_group_ingress={"sg-db": [FROM_EVERYWHERE]},
)

CASES = [
    Case("rds_instance_not_publicly_accessible", Status.PASS, PRIVATE, "private"),
    Case("rds_instance_not_publicly_accessible", Status.FAIL, PUBLIC, "public endpoint", reason="public"),
    Case("rds_instance_not_publicly_accessible", Status.ERROR, without(PRIVATE, "publicly_accessible"), "unknown"),
    Case("rds_security_groups_from_app_only", Status.PASS, PRIVATE, "from the app group", reason="sg-db"),
    Case("rds_security_groups_from_app_only", Status.FAIL, PUBLIC, "from 0.0.0.0/0", reason="sg-db from 0.0.0.0/0"),
    Case(
        "rds_security_groups_from_app_only",
        Status.PASS,
        admitting(FROM_APP, postgres_from("10.1.0.0/16", "10.2.4.0/24")),
        "the VPC's own private ranges",
        reason="VPC's private range",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.FAIL,
        admitting(postgres_from("10.0.0.0/8")),
        "a private range wider than the VPC",
        reason="10.0.0.0/8 (private, outside the VPC's 10.1.0.0/16",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.FAIL,
        admitting(postgres_from("192.168.10.0/24")),
        "another network's private range (an office over VPN)",
        reason="outside the VPC",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.FAIL,
        admitting(postgres_from("203.0.113.10/32")),
        "one public address",
        reason="203.0.113.10/32 (public)",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.FAIL,
        admitting(postgres_from(v6=["2600:1f18:1:100::/64"])),
        "the VPC's own IPv6 block is public address space",
        reason="(public)",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.FAIL,
        admitting(postgres_from(prefix_lists=["pl-123"])),
        "a prefix list whose entries are not read",
        reason="prefix list pl-123",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.FAIL,
        database(security_group_ingress={"sg-db": [FROM_EVERYWHERE]}, vpc_cidr_blocks=None),
        "a public range needs no knowledge of the VPC",
        reason="0.0.0.0/0 (public)",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.ERROR,
        failed_read(admitting(postgres_from("10.1.2.0/24")), "vpc_cidr_blocks"),
        "a private range, and the VPC's blocks unreadable",
        reason="vpc cidr blocks could not be read",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.NOT_APPLICABLE,
        database(security_groups=[], security_group_ingress={}),
        "no VPC security group",
    ),
    Case(
        "rds_security_groups_from_app_only",
        Status.ERROR,
        failed_read(PRIVATE, "security_group_ingress"),
        "group rules unreadable",
        reason="access denied",
    ),
    Case("rds_storage_encrypted", Status.PASS, PRIVATE, "encrypted", reason="key/db"),
    Case("rds_storage_encrypted", Status.FAIL, PUBLIC, "plain"),
    Case("rds_storage_encrypted", Status.ERROR, without(PRIVATE, "storage_encrypted"), "unknown"),
    Case("rds_automated_backups_enabled", Status.PASS, PRIVATE, "7 days", reason="7 days"),
    Case("rds_automated_backups_enabled", Status.FAIL, PUBLIC, "retention 0", reason="off"),
    Case("rds_automated_backups_enabled", Status.ERROR, without(PRIVATE, "backup_retention_period"), "unknown"),
    Case("rds_deletion_protection_enabled", Status.PASS, PRIVATE, "protected"),
    Case("rds_deletion_protection_enabled", Status.FAIL, PUBLIC, "unprotected"),
    Case("rds_deletion_protection_enabled", Status.ERROR, without(PRIVATE, "deletion_protection"), "unknown"),
]


STORAGE = "rds_storage_autoscaling_or_alarm"
PAGING = {"name": "orders-disk", "instances": ["orders"], "actions_enabled": True, "alarm_actions": ["arn:sns:oncall"]}


def storage(engine="postgres", allocated=100, maximum=None, alarms=()) -> dict:
    return doc(
        "aws.rds.db_instance",
        name="orders",
        engine=engine,
        allocated_storage=allocated,
        max_allocated_storage=maximum,
        free_storage_alarms=list(alarms),
    )


CASES += [
    Case(STORAGE, Status.PASS, storage(maximum=500), "autoscaling to 500 GiB", reason="up to 500 GiB"),
    Case(STORAGE, Status.PASS, storage(alarms=[PAGING]), "an alarm that pages", reason="alarm orders-disk"),
    Case(STORAGE, Status.FAIL, storage(), "fixed size, unwatched", reason="no FreeStorageSpace alarm"),
    Case(
        STORAGE,
        Status.FAIL,
        storage(maximum=100, alarms=[{**PAGING, "alarm_actions": []}]),
        "threshold equal to the allocation, alarm without action",
        reason="orders-disk notifies no one",
    ),
    Case(STORAGE, Status.NOT_APPLICABLE, storage(engine="aurora-postgresql"), "Aurora", reason="cluster volume"),
    Case(
        STORAGE,
        Status.ERROR,
        failed_read(storage(), "free_storage_alarms"),
        "alarms unreadable, autoscaling off",
        reason="free storage alarms could not be read",
    ),
    Case(STORAGE, Status.ERROR, without(storage(), "allocated_storage"), "allocation unknown"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_rds_check(case):
    assert_case(case)
