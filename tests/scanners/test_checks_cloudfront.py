"""CloudFront checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read
from tests.scanners.web_acls import described_acl
from tests.scanners.web_acls import described_group as managed

CHECK = "cloudfront_distribution_waf_blocks_common_attacks"


BLOCKING_ACL = described_acl("cdn")
CLASSIC_ACL = {"arn": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "name": None, "classic": True, "managed_rule_groups": []}


def distribution(web_acl=BLOCKING_ACL, *, enabled=True) -> dict:
    return doc(
        "aws.cloudfront.distribution",
        name="d111111abcdef8.cloudfront.net",
        id="E2EXAMPLE",
        enabled=enabled,
        aliases=["www.example.com"],
        web_acl=web_acl,
    )


CASES = [
    Case(CHECK, Status.PASS, distribution(), "blocking web ACL", reason="web ACL cdn blocks"),
    Case(CHECK, Status.FAIL, distribution(None), "no web ACL", reason="has no WAF web ACL"),
    Case(CHECK, Status.FAIL, distribution(CLASSIC_ACL), "WAF Classic", reason="WAF Classic"),
    Case(
        CHECK,
        Status.FAIL,
        distribution({**BLOCKING_ACL, "managed_rule_groups": [managed("AWSManagedRulesCommonRuleSet", "count")]}),
        "common rule set counted, known bad inputs missing",
        reason="AWSManagedRulesCommonRuleSet in count mode, AWSManagedRulesKnownBadInputsRuleSet missing",
    ),
    Case(CHECK, Status.NOT_APPLICABLE, distribution(None, enabled=False), "disabled distribution"),
    Case(CHECK, Status.ERROR, failed_read(distribution(), "web_acl"), "web ACL unreadable", reason="web acl"),
    Case(
        CHECK,
        Status.ERROR,
        distribution({**BLOCKING_ACL, "managed_rule_groups": None}),
        "rules not collected",
        reason="were not collected",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cloudfront_check(case):
    assert_case(case)
