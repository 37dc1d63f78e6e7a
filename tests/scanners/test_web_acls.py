"""How a web ACL, in the shape GetWebACL and GetWebACLForResource answer, becomes what the WAF checks judge.

moto cannot create Firewall Manager rule groups or excluded rules, so these read the documented shape directly."""

from scanners.checks.base import Status
from scanners.checks.waf import REQUIRED_RULE_GROUPS, web_acl_verdict
from scanners.collectors.aws.web_acls import web_acl_named, web_acl_summary

VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


def managed_statement(name: str, **extra) -> dict:
    return {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name, **extra}}


WEB_ACL = {
    "Name": "edge",
    "Id": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    "ARN": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    "DefaultAction": {"Allow": {}},
    "VisibilityConfig": VISIBILITY,
    "Capacity": 1200,
    "Rules": [
        {
            "Name": "rate-limit",
            "Priority": 0,
            "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
            "Action": {"Block": {}},
            "VisibilityConfig": VISIBILITY,
        },
        {
            "Name": "common",
            "Priority": 1,
            "Statement": managed_statement(
                "AWSManagedRulesCommonRuleSet",
                ExcludedRules=[{"Name": "NoUserAgent_HEADER"}],
                RuleActionOverrides=[
                    {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}},
                    {"Name": "EC2MetaDataSSRF_BODY", "ActionToUse": {"Block": {}}},
                ],
            ),
            "OverrideAction": {"None": {}},
            "VisibilityConfig": VISIBILITY,
        },
    ],
    "PreProcessFirewallManagerRuleGroups": [
        {
            "Name": "fms-baseline",
            "Priority": 0,
            "FirewallManagerStatement": managed_statement("AWSManagedRulesKnownBadInputsRuleSet"),
            "OverrideAction": {"None": {}},
            "VisibilityConfig": VISIBILITY,
        }
    ],
    "PostProcessFirewallManagerRuleGroups": [],
    "ManagedByFirewallManager": False,
}


def test_managed_rule_groups_are_read_from_the_rules_and_from_firewall_manager():
    summary = web_acl_summary(WEB_ACL)

    assert summary["name"] == "edge" and summary["classic"] is False
    assert summary["managed_rule_groups"] == [
        {
            "vendor": "AWS",
            "name": "AWSManagedRulesCommonRuleSet",
            "override_action": "none",
            "rules_not_blocking": ["SizeRestrictions_BODY (Count)", "NoUserAgent_HEADER (excluded)"],
        },
        {
            "vendor": "AWS",
            "name": "AWSManagedRulesKnownBadInputsRuleSet",
            "override_action": "none",
            "rules_not_blocking": [],
        },
    ]
    verdict = web_acl_verdict(summary, REQUIRED_RULE_GROUPS, "the load balancer")
    assert verdict.status == Status.FAIL
    assert "does not block SizeRestrictions_BODY (Count), NoUserAgent_HEADER (excluded)" in verdict.reason


def test_a_group_counted_by_its_override_action_is_not_blocking():
    counting = {**WEB_ACL, "Rules": [{**WEB_ACL["Rules"][1], "OverrideAction": {"Count": {}}}]}
    assert web_acl_summary(counting)["managed_rule_groups"][0]["override_action"] == "count"


def test_no_web_acl_and_waf_classic_need_no_read():
    assert web_acl_summary(None) is None
    assert web_acl_named(None, "", "CLOUDFRONT") is None
    classic = web_acl_named(None, "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "CLOUDFRONT")
    assert classic["classic"] is True
    verdict = web_acl_verdict(classic, REQUIRED_RULE_GROUPS, "the distribution")
    assert verdict.status == Status.FAIL and "WAF Classic" in verdict.reason
