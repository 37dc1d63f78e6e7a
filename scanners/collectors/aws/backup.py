"""AWS Backup in one region: the backup plans with their rules, and the resources that have backups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
)

REGION = "aws.backup.region"


@service_group(name="backup", resource_types=(REGION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((REGION,), region, lambda: [backup_settings(factory, region)])


def backup_settings(factory: ClientFactory, region: str) -> ResourceDoc:
    backup = factory.client("backup", region)
    reads = SubReads()
    plans = reads(
        "plans",
        lambda: [plan_summary(backup, item) for item in listing(backup, "list_backup_plans", "BackupPlansList")],
    )
    protected = reads("protected_resources", lambda: listing(backup, "list_protected_resources", "Results"))
    return document(
        uid=settings_uid(factory.account_id(), region, "backup"),
        type=REGION,
        region=region,
        name=f"AWS Backup in {region}",
        config={
            "plans": plans,
            "protected_resources": protected_summary(protected) if protected is not None else None,
            "errors": reads.errors,
        },
    )


def plan_summary(backup, item: dict) -> dict:
    plan = backup.get_backup_plan(BackupPlanId=item["BackupPlanId"])["BackupPlan"]
    return {
        "plan_id": item["BackupPlanId"],
        "name": item.get("BackupPlanName") or plan.get("BackupPlanName"),
        "rules": [
            {
                "name": rule.get("RuleName"),
                "schedule": rule.get("ScheduleExpression"),
                "vault": rule.get("TargetBackupVaultName"),
                "delete_after_days": (rule.get("Lifecycle") or {}).get("DeleteAfterDays"),
            }
            for rule in plan.get("Rules", [])
        ],
    }


def protected_summary(resources: list[dict]) -> dict:
    return {"count": len(resources), "by_type": dict(Counter(item.get("ResourceType", "") for item in resources))}
