"""AWS Backup: a plan with a schedule in each region, resources that actually have backups, and recovery
points deleted once their retention ends."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, Setting, check, field, listed

BACKUP = (
    "iso27001-2022:A.8.13",
    "iso27001-2022:A.5.29",
    "iso27001-2022:A.5.30",
    "iso27001-2013:A.12.3.1",
    "iso27001-2013:A.17.1.2",
    "soc2-2017:A1.2",
    "soc2-2017:CC9.1",
)


@check(
    id="backup_plan_in_region",
    title="An AWS Backup plan with a schedule exists in the region",
    resource="aws.backup.region",
    severity="medium",
    controls=BACKUP,
    remediation="""Create a backup plan with at least one scheduled rule and a retention that meets your
    backup policy, and assign resources to it by tag (for example backup=daily).""",
)
def backup_plan_in_region(region: dict) -> Result:
    plans = field(region, "plans")
    scheduled = [plan["name"] for plan in plans if any(rule.get("schedule") for rule in plan.get("rules") or [])]
    if scheduled:
        return Result.passed(f"scheduled plans: {listed(scheduled)}")
    raise_if_unread(plans)
    if plans:
        return Result.failed(f"plans without a scheduled rule: {listed(plan['name'] for plan in plans)}")
    return Result.failed("no backup plan")


def raise_if_unread(plans: list[dict]) -> None:
    unread = [f"{plan['name']} ({plan.get('error')})" for plan in plans if plan.get("rules") is None]
    if unread:
        raise MissingData(f"the rules of plans {listed(unread, 2)} could not be read")


@check(
    id="backup_resources_protected",
    title="AWS Backup holds recovery points for resources in the region",
    resource="aws.backup.region",
    severity="medium",
    controls=BACKUP,
    remediation="""Assign the resources that hold data (volumes, databases, file systems, buckets) to a backup
    plan and confirm that the first recovery points appear; a plan that selects nothing protects nothing.""",
)
def backup_resources_protected(region: dict) -> Result:
    protected = field(region, "protected_resources")
    if not protected.get("count"):
        return Result.failed("no resource has a recovery point")
    kinds = [f"{count} {kind}" for kind, count in sorted(protected.get("by_type", {}).items())]
    return Result.passed(f"protected: {listed(kinds)}")


DELETION = (
    "iso27001-2022:A.8.10",
    "iso27001-2022:A.8.13",
    "iso27001-2013:A.8.3.2",
    "iso27001-2013:A.12.3.1",
    "soc2-2017:C1.2",
)


@check(
    id="backup_plan_deletes_after_retention",
    title="AWS Backup plan deletes recovery points once their retention ends",
    resource="aws.backup.plan",
    severity="low",
    controls=DELETION,
    remediation="""Give every rule of the plan, and every copy it makes to another vault or account, a
    lifecycle that deletes recovery points after the retention your backup policy sets (Lifecycle
    DeleteAfterDays); backups kept forever hold data the organisation has decided to delete.""",
    settings={
        "max_retention_days": Setting(
            2555, "Longest time (days) a recovery point may be kept; 2555 is seven years; 0 sets no limit"
        ),
    },
)
def backup_plan_deletes_after_retention(plan: dict, settings: dict) -> Result:
    longest = settings["max_retention_days"]
    problems = []
    for rule in field(plan, "rules"):
        kept = [(f"rule {rule.get('name')}", rule.get("delete_after_days"))]
        kept += [
            (f"rule {rule.get('name')} copy to {copy.get('vault')}", copy.get("delete_after_days"))
            for copy in rule.get("copies", [])
        ]
        for what, days in kept:
            if not days:
                problems.append(f"{what} keeps recovery points forever")
            elif longest and days > longest:
                problems.append(f"{what} keeps them {days} days, more than {longest}")
    if problems:
        return Result.failed(listed(problems, 3))
    limit = f"within {longest} days" if longest else "after a retention"
    return Result.passed(f"every rule deletes recovery points {limit}")
