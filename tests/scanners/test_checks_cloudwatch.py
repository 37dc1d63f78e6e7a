"""CloudWatch alarm checks on plain documents: the CIS patterns, near misses, and silent alarms."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

ROOT_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
)
IAM_NAMES = [
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
]
TRAIL_NAMES = ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"]
SIGNIN_PATTERN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
TRAIL = {"name": "org-audit", "log_group": "org-trail", "log_group_region": "eu-west-1"}
PAGER = {"name": "pager", "actions_enabled": True, "alarm_actions": ["arn:aws:sns:eu-west-1:123456789012:oncall"]}
MUTED = {**PAGER, "name": "muted", "actions_enabled": False}
NOBODY = {"name": "nobody", "actions_enabled": True, "alarm_actions": []}


def any_of(names) -> str:
    return "{ " + " || ".join(f"($.eventName = {name})" for name in names) + " }"


def metric_filter(name: str, pattern: str, *alarms: dict) -> dict:
    return {"name": name, "log_group": "org-trail", "pattern": pattern, "metrics": [], "alarms": list(alarms)}


def account(*filters: dict, trails=(TRAIL,)) -> dict:
    return doc(
        "aws.cloudwatch.security_alarms",
        name="CloudWatch alarms on CloudTrail events",
        trails=list(trails),
        filters=list(filters),
    )


WATCHED = account(
    metric_filter("root", ROOT_PATTERN, PAGER),
    metric_filter("iam", any_of(IAM_NAMES), PAGER),
    metric_filter("trail", any_of(TRAIL_NAMES), PAGER),
    metric_filter("signin", SIGNIN_PATTERN, PAGER),
)
NO_TRAIL = account(trails=())

CASES = [
    Case("cloudwatch_alarm_root_account_use", Status.PASS, WATCHED, "CIS filter with a paging alarm", "alarm pager"),
    Case("cloudwatch_alarm_root_account_use", Status.FAIL, NO_TRAIL, "no trail to CloudWatch", "no multi-region"),
    Case(
        "cloudwatch_alarm_root_account_use",
        Status.FAIL,
        account(metric_filter("not-root", '{ $.userIdentity.type != "Root" }', PAGER)),
        "a filter that excludes root",
        reason="no metric filter on org-trail matches root account use",
    ),
    Case(
        "cloudwatch_alarm_root_account_use",
        Status.FAIL,
        account(metric_filter("root", ROOT_PATTERN)),
        "filter without alarm",
        reason="no alarm on the metric of filter root",
    ),
    Case(
        "cloudwatch_alarm_root_account_use",
        Status.FAIL,
        account(metric_filter("root", ROOT_PATTERN, MUTED, NOBODY)),
        "alarms that notify no one",
        reason="muted, nobody",
    ),
    Case("cloudwatch_alarm_root_account_use", Status.ERROR, failed_read(WATCHED, "filters"), "filters unreadable"),
    Case("cloudwatch_alarm_iam_policy_changes", Status.PASS, WATCHED, "all sixteen calls"),
    Case(
        "cloudwatch_alarm_iam_policy_changes",
        Status.FAIL,
        account(metric_filter("iam", any_of(name for name in IAM_NAMES if name != "DeletePolicy"), PAGER)),
        "DeletePolicyVersion is not DeletePolicy",
        reason="matches IAM policy changes",
    ),
    Case(
        "cloudwatch_alarm_iam_policy_changes",
        Status.FAIL,
        account(metric_filter("iam", any_of(IAM_NAMES).replace("||", "&&"), PAGER)),
        "joined with && it matches nothing",
    ),
    Case("cloudwatch_alarm_iam_policy_changes", Status.ERROR, failed_read(WATCHED, "trails"), "trails unreadable"),
    Case("cloudwatch_alarm_cloudtrail_changes", Status.PASS, WATCHED, "trail changes watched"),
    Case(
        "cloudwatch_alarm_cloudtrail_changes",
        Status.FAIL,
        account(metric_filter("trail", any_of(TRAIL_NAMES[:-1]), PAGER)),
        "StopLogging missing",
    ),
    Case("cloudwatch_alarm_cloudtrail_changes", Status.ERROR, failed_read(WATCHED, "filters"), "filters unreadable"),
    Case("cloudwatch_alarm_console_signin_failures", Status.PASS, WATCHED, "failed sign-ins watched"),
    Case(
        "cloudwatch_alarm_console_signin_failures",
        Status.FAIL,
        account(metric_filter("signin", "{ $.eventName = ConsoleLogin }", PAGER)),
        "every sign-in, not the failures",
    ),
    Case("cloudwatch_alarm_console_signin_failures", Status.FAIL, NO_TRAIL, "no trail to CloudWatch"),
    Case(
        "cloudwatch_alarm_console_signin_failures", Status.ERROR, failed_read(WATCHED, "filters"), "filters unreadable"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cloudwatch_check(case):
    assert_case(case)
