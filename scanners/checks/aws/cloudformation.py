"""CloudFormation: stacks match their templates, as a recent drift detection found them."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, Setting, check, field, timestamp

STACK = "aws.cloudformation.stack"


@check(
    id="cloudformation_stack_no_drift",
    title="CloudFormation stack matches its template at a recent drift check",
    resource=STACK,
    severity="medium",
    controls=(
        "iso27001-2022:A.8.32",
        "iso27001-2022:A.8.9",
        "iso27001-2013:A.12.1.2",
        "iso27001-2013:A.14.2.2",
        "soc2-2017:CC8.1",
    ),
    remediation="""Detect drift on the stack on a schedule (an EventBridge rule calling DetectStackDrift, or
    the AWS Config rule cloudformation-stack-drift-detection-check), then bring drifted resources back through
    the template: change the template and update the stack, or import the manual change into it.""",
    settings={
        "max_days_since_drift_check": Setting(
            30, "Days a stack found in sync may go without a new drift detection before it is a failure"
        )
    },
)
def stack_no_drift(stack: dict, settings: dict) -> Result:
    if field(stack, "status") == "REVIEW_IN_PROGRESS":
        return Result.not_applicable("a change set was created but never run: the stack holds no resources")
    drift = field(stack, "drift_status")
    if drift == "DRIFTED":
        checked = field(stack, "drift_checked_at", allow_none=True)
        when = f" at the drift check of {str(checked)[:10]}" if checked else ""
        return Result.failed(f"drifted from its template{when}")
    if drift == "NOT_CHECKED":
        return Result.failed("drift never detected: no one has compared the stack with its template")
    if drift == "UNKNOWN":
        raise MissingData("the last drift detection could not check every resource (status UNKNOWN)")
    if drift != "IN_SYNC":
        raise MissingData(f"drift status {drift!r} is not one CloudFormation documents")
    checked = timestamp(field(stack, "drift_checked_at", allow_none=True), "the last drift check")
    days = (timestamp(field(stack, "collected_at"), "collection time") - checked).days
    limit = settings["max_days_since_drift_check"]
    if days > limit:
        return Result.failed(f"in sync at the last drift check, {days} days ago (limit {limit} days)")
    return Result.passed(f"in sync with its template at the drift check {days} days ago")
