"""CloudWatch Logs checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, without


def group(**config) -> dict:
    return doc("aws.logs.log_group", name="/aws/lambda/billing", **{"retention_in_days": 365, **config})


CASES = [
    Case("logs_log_group_retention_set", Status.PASS, group(), "kept a year", reason="365 days"),
    Case(
        "logs_log_group_retention_set",
        Status.FAIL,
        group(retention_in_days=None),
        "never expires",
        reason="never expire",
    ),
    Case("logs_log_group_retention_set", Status.ERROR, without(group(), "retention_in_days"), "never read"),
    Case("logs_log_group_retention_set", Status.ERROR, group(retention_in_days="forever"), "unreadable value"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_logs_check(case):
    assert_case(case)
