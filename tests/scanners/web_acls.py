"""AWS WAF web ACLs with the AWS managed rule groups blocking or only counting: created in the moto server, and
as collectors describe them (for check tests)."""

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


def described_group(name: str, override: str = "none", not_blocking=()) -> dict:
    return {"vendor": "AWS", "name": name, "override_action": override, "rules_not_blocking": list(not_blocking)}


def described_acl(name: str, groups: list[dict] | None = None) -> dict:
    """A web ACL as the collectors describe it; by default both required groups in block mode."""
    return {
        "arn": f"arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/{name}/1",
        "name": name,
        "classic": False,
        "managed_rule_groups": groups
        if groups is not None
        else [described_group("AWSManagedRulesCommonRuleSet"), described_group("AWSManagedRulesKnownBadInputsRuleSet")],
    }
