"""AWS Backup: a plan with a schedule in each region, and resources that actually have backups."""

from __future__ import annotations

from scanners.checks.base import Result, check, field, listed

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
    scheduled = [plan["name"] for plan in plans if any(rule.get("schedule") for rule in plan.get("rules", []))]
    if scheduled:
        return Result.passed(f"scheduled plans: {listed(scheduled)}")
    if plans:
        return Result.failed(f"plans without a scheduled rule: {listed(plan['name'] for plan in plans)}")
    return Result.failed("no backup plan")


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
