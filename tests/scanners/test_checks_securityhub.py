"""Security Hub checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

SUBSCRIBED = doc(
    "aws.securityhub.region",
    name="Security Hub in eu-west-1",
    enabled=True,
    hub_arn="arn:aws:securityhub:eu-west-1:123456789012:hub/default",
    subscribed_at="2026-11-02T09:00:00+00:00",
)
NOT_SUBSCRIBED = doc("aws.securityhub.region", enabled=False, hub_arn=None, subscribed_at=None)

CASES = [
    Case("securityhub_enabled", Status.PASS, SUBSCRIBED, "subscribed", reason="2026-11-02"),
    Case("securityhub_enabled", Status.FAIL, NOT_SUBSCRIBED, "not subscribed", reason="Security Hub not enabled"),
    Case("securityhub_enabled", Status.ERROR, failed_read(SUBSCRIBED, "enabled"), "hub unreadable"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_securityhub_check(case):
    assert_case(case)
