"""CloudWatch Logs: every log group keeps its events for a set period, then deletes them."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, check, field


@check(
    id="logs_log_group_retention_set",
    title="CloudWatch log group has a retention period",
    resource="aws.logs.log_group",
    severity="low",
    controls=(
        "iso27001-2022:A.8.15",
        "iso27001-2022:A.8.10",
        "iso27001-2013:A.12.4.1",
        "soc2-2017:CC7.2",
        "soc2-2017:C1.2",
    ),
    remediation="""Set a retention period on the log group (`aws logs put-retention-policy`) that matches
    your logging policy: long enough for investigations and audits (often one year), and no longer, so that
    personal data in logs is deleted when it is no longer needed.""",
)
def log_group_retention_set(group: dict) -> Result:
    days = field(group, "retention_in_days", allow_none=True)
    if days is None:
        return Result.failed("retention is 'never expire'")
    if not isinstance(days, int) or days <= 0:
        raise MissingData(f"retention is not a number of days: {days!r}")
    return Result.passed(f"events are kept {days} days")
