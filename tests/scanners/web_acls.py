"""AWS WAF web ACLs in the moto server, with the AWS managed rule groups blocking or only counting."""

import boto3

VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "edge"}


def managed_rule(name: str, priority: int, *, count: bool = False, counted_rules=()) -> dict:
    statement = {"VendorName": "AWS", "Name": name}
    if counted_rules:
        statement["RuleActionOverrides"] = [{"Name": rule, "ActionToUse": {"Count": {}}} for rule in counted_rules]
    return {
        "Name": name,
        "Priority": priority,
        "Statement": {"ManagedRuleGroupStatement": statement},
        "OverrideAction": {"Count": {}} if count else {"None": {}},
        "VisibilityConfig": VISIBILITY,
    }


def web_acl(region: str, name: str, rules: list[dict], scope: str = "REGIONAL") -> str:
    wafv2 = boto3.client("wafv2", region_name=region)
    created = wafv2.create_web_acl(
        Name=name, Scope=scope, DefaultAction={"Allow": {}}, VisibilityConfig=VISIBILITY, Rules=rules
    )
    return created["Summary"]["ARN"]


BLOCKING = [
    managed_rule("AWSManagedRulesCommonRuleSet", 1),
    managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 2),
]
COUNTING = [
    managed_rule("AWSManagedRulesCommonRuleSet", 1, counted_rules=["SizeRestrictions_BODY"]),
    managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 2, count=True),
]
