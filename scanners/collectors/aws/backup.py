"""AWS Backup in one region: each backup plan with its rules, and a region document with the plans and
the resources that have backups."""

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
PLAN = "aws.backup.plan"


@service_group(name="backup", resource_types=(REGION, PLAN))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    """Plans and protected resources are read apart, so a call an endpoint lacks errors only its checks."""
    backup = factory.client("backup", region)
    reads = SubReads()
    plans = reads(
        "plans",
        lambda: [
            plan_document(backup, region, item) for item in listing(backup, "list_backup_plans", "BackupPlansList")
        ],
    )
    if plans is None:
        yield CollectionError((PLAN,), region, reads.errors["plans"])
    else:
        yield from plans
    yield from collected((REGION,), region, lambda: [backup_settings(factory, backup, region, plans, reads)])


def backup_settings(
    factory: ClientFactory, backup, region: str, plans: list[ResourceDoc] | None, reads: SubReads
) -> ResourceDoc:
    """The region's plans (as read above, their failure already in `reads`) and its protected resources."""
    protected = reads("protected_resources", lambda: listing(backup, "list_protected_resources", "Results"))
    return document(
        uid=settings_uid(factory.account_id(), region, "backup"),
        type=REGION,
        region=region,
        name=f"AWS Backup in {region}",
        config={
            "plans": None if plans is None else [plan_summary(plan) for plan in plans],
            "protected_resources": protected_summary(protected) if protected is not None else None,
            "errors": reads.errors,
        },
    )


def plan_document(backup, region: str, item: dict) -> ResourceDoc:
    """One plan with its rules; a plan whose details could not be read keeps `rules` None and the reason."""
    reads = SubReads()
    plan = reads("rules", lambda: backup.get_backup_plan(BackupPlanId=item["BackupPlanId"])["BackupPlan"])
    name = item.get("BackupPlanName") or (plan or {}).get("BackupPlanName") or item["BackupPlanId"]
    return document(
        uid=item.get("BackupPlanArn") or item["BackupPlanId"],
        type=PLAN,
        region=region,
        name=name,
        config={
            "plan_id": item["BackupPlanId"],
            "rules": None if plan is None else [rule_summary(rule) for rule in plan.get("Rules", [])],
            "errors": reads.errors,
        },
    )


def plan_summary(plan: ResourceDoc) -> dict:
    return {
        "plan_id": plan.config["plan_id"],
        "name": plan.name,
        "rules": plan.config["rules"],
        "error": plan.config["errors"].get("rules"),
    }


def rule_summary(rule: dict) -> dict:
    return {
        "name": rule.get("RuleName"),
        "schedule": rule.get("ScheduleExpression"),
        "vault": rule.get("TargetBackupVaultName"),
        "delete_after_days": (rule.get("Lifecycle") or {}).get("DeleteAfterDays"),
        "copies": [
            {
                "vault": copy.get("DestinationBackupVaultArn"),
                "delete_after_days": (copy.get("Lifecycle") or {}).get("DeleteAfterDays"),
            }
            for copy in rule.get("CopyActions") or []
        ],
    }


def protected_summary(resources: list[dict]) -> dict:
    return {"count": len(resources), "by_type": dict(Counter(item.get("ResourceType", "") for item in resources))}
