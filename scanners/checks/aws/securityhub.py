"""Security Hub: findings from every source gathered and scored in every region."""

from __future__ import annotations

from scanners.checks.base import Result, check, field


@check(
    id="securityhub_enabled",
    title="Security Hub is enabled in the region",
    resource="aws.securityhub.region",
    severity="medium",
    controls=(
        "iso27001-2022:A.8.16",
        "iso27001-2013:A.12.4.1",
        "soc2-2017:CC7.2",
        "soc2-2017:CC7.3",
    ),
    remediation="""Enable Security Hub in every region (from a delegated administrator account where you use
    AWS Organizations), with the AWS Foundational Security Best Practices standard and cross-region
    aggregation, so that GuardDuty, Inspector and Config findings reach one place that someone watches.""",
)
def securityhub_enabled(region: dict) -> Result:
    if field(region, "enabled"):
        return Result.passed(f"subscribed since {field(region, 'subscribed_at', allow_none=True) or 'an unknown date'}")
    return Result.failed("Security Hub not enabled")
