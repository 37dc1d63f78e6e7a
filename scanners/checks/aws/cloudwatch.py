"""CloudWatch: an alarm, with someone to notify, on each CloudTrail event practitioners watch.

A watched event is matched in the metric filter patterns of the log groups that multi-region trails
deliver to. A pattern watches an event when it contains every term the event needs; for events that
are "any of these API calls", it must name every call and join them with || only (one && would make
the filter match nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanners.checks.base import Result, check, field, listed

WATCHING = (
    "iso27001-2022:A.8.15",
    "iso27001-2022:A.8.16",
    "iso27001-2013:A.12.4.1",
    "soc2-2017:CC7.2",
    "soc2-2017:CC7.3",
)
REMEDIATION = """Send the multi-region trail to a CloudWatch Logs group, add a metric filter for the event
(the CIS AWS Foundations Benchmark gives the pattern) and an alarm on its metric that notifies an SNS topic
someone reads."""


def compact(text: str) -> str:
    return "".join(str(text).split()).replace('"', "")


@dataclass(frozen=True)
class WatchedEvent:
    label: str
    terms: tuple[str, ...]
    any_of: bool = False  # the terms are alternatives (eventName = A || eventName = B ...)

    def matches(self, pattern: str) -> bool:
        pattern = compact(pattern)
        if self.any_of and "&&" in pattern:
            return False
        # A term ends where a name ends: DeletePolicyVersion does not count as DeletePolicy.
        return all(re.search(re.escape(compact(term)) + r"(?![A-Za-z0-9])", pattern) for term in self.terms)


def event_names(*names: str) -> tuple[str, ...]:
    return tuple(f"$.eventName = {name}" for name in names)


ROOT_USE = WatchedEvent("root account use", ('$.userIdentity.type = "Root"',))
IAM_POLICY_CHANGES = WatchedEvent(
    "IAM policy changes",
    event_names(
        *(f"{verb}{kind}Policy" for verb in ("Put", "Delete") for kind in ("Group", "Role", "User")),
        *(f"{verb}{kind}Policy" for verb in ("Attach", "Detach") for kind in ("Group", "Role", "User")),
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
    ),
    any_of=True,
)
CLOUDTRAIL_CHANGES = WatchedEvent(
    "CloudTrail configuration changes",
    event_names("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    any_of=True,
)
SIGNIN_FAILURES = WatchedEvent(
    "console sign-in failures",
    ("$.eventName = ConsoleLogin", '$.errorMessage = "Failed authentication"'),
)


def alarm_on(document: dict, event: WatchedEvent) -> Result:
    trails = field(document, "trails")
    if not trails:
        return Result.failed(f"no multi-region trail delivers to CloudWatch Logs, so nothing alarms on {event.label}")
    filters = [item for item in field(document, "filters") if event.matches(item.get("pattern", ""))]
    groups = listed(sorted({trail["log_group"] for trail in trails}))
    if not filters:
        return Result.failed(f"no metric filter on {groups} matches {event.label}")
    alarmed = [(item["name"], alarm["name"]) for item in filters for alarm in item["alarms"] if notifies(alarm)]
    if alarmed:
        return Result.passed(listed(f"alarm {alarm} on filter {name}" for name, alarm in alarmed))
    silent = [alarm["name"] for item in filters for alarm in item["alarms"]]
    if silent:
        return Result.failed(f"alarm {listed(silent)} on {event.label} notifies no one")
    return Result.failed(f"no alarm on the metric of filter {listed(item['name'] for item in filters)}")


def notifies(alarm: dict) -> bool:
    return bool(alarm.get("actions_enabled") and alarm.get("alarm_actions"))


def watch(event: WatchedEvent, *, id: str, severity: str):
    @check(
        id=id,
        title=f"A CloudWatch alarm watches {event.label}",
        resource="aws.cloudwatch.security_alarms",
        severity=severity,
        controls=WATCHING,
        remediation=REMEDIATION,
    )
    def evaluate(document: dict) -> Result:
        return alarm_on(document, event)

    return evaluate


alarm_root_account_use = watch(ROOT_USE, id="cloudwatch_alarm_root_account_use", severity="high")
alarm_iam_policy_changes = watch(IAM_POLICY_CHANGES, id="cloudwatch_alarm_iam_policy_changes", severity="medium")
alarm_cloudtrail_changes = watch(CLOUDTRAIL_CHANGES, id="cloudwatch_alarm_cloudtrail_changes", severity="high")
alarm_signin_failures = watch(SIGNIN_FAILURES, id="cloudwatch_alarm_console_signin_failures", severity="medium")
