"""CloudFormation checks on plain documents."""

import pytest

from scanners.checks.base import REGISTRY, Status
from tests.scanners.documents import Case, assert_case, case_id, doc, without

NO_DRIFT = "cloudformation_stack_no_drift"
NOW = "2026-06-30T12:00:00+00:00"
LAST_WEEK = "2026-06-23T09:00:00+00:00"
IN_MARCH = "2026-03-01T09:00:00+00:00"


def stack(drift="IN_SYNC", checked=LAST_WEEK, status="UPDATE_COMPLETE") -> dict:
    return doc(
        "aws.cloudformation.stack",
        name="network",
        status=status,
        parent_id=None,
        drift_status=drift,
        drift_checked_at=checked,
        collected_at=NOW,
    )


CASES = [
    Case(NO_DRIFT, Status.PASS, stack(), "in sync a week ago", reason="drift check 7 days ago"),
    Case(
        NO_DRIFT,
        Status.FAIL,
        stack("DRIFTED"),
        "drifted",
        reason="drifted from its template at the drift check of 2026-06-23",
    ),
    Case(NO_DRIFT, Status.FAIL, stack("NOT_CHECKED", None), "never checked", reason="drift never detected"),
    Case(NO_DRIFT, Status.FAIL, stack(checked=IN_MARCH), "in sync in March", reason="121 days ago (limit 30 days)"),
    Case(
        NO_DRIFT,
        Status.NOT_APPLICABLE,
        stack("NOT_CHECKED", None, status="REVIEW_IN_PROGRESS"),
        "change set never run",
        reason="no resources",
    ),
    Case(NO_DRIFT, Status.ERROR, stack("UNKNOWN"), "detection unfinished", reason="status UNKNOWN"),
    Case(
        NO_DRIFT,
        Status.ERROR,
        stack(None, None),
        "no drift information in the answer",
        reason="drift status is unknown",
    ),
    Case(NO_DRIFT, Status.ERROR, stack(checked=None), "in sync, but when?", reason="last drift check is unknown"),
    Case(NO_DRIFT, Status.ERROR, without(stack(), "drift_status"), "drift not collected", reason="not collected"),
]


def test_the_age_of_the_last_drift_check_is_a_setting_of_30_days_by_default():
    assert REGISTRY[NO_DRIFT].settings["max_days_since_drift_check"].default == 30
    story = "in sync in March, checks every half year"
    result = Case(
        NO_DRIFT, Status.PASS, stack(checked=IN_MARCH), story, settings={"max_days_since_drift_check": 180}
    ).run()
    assert result.status == Status.PASS


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cloudformation_check(case):
    assert_case(case)
