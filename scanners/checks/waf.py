"""Judging the AWS WAF web ACL in front of a web-facing service (load balancer, CloudFront, API Gateway).

A web ACL protects only with the AWS managed rule groups a practitioner expects, each in block mode: the
rule group's override action is None (Count only records matches), and none of its rules is overridden
to Count or Allow (or excluded, the older way of counting). Collectors describe a web ACL as
`{"arn", "name", "classic", "managed_rule_groups": [{"vendor", "name", "override_action", "rules_not_blocking"}]}`.
"""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, Setting, listed

REQUIRED_RULE_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]
WAF_SETTINGS = {
    "required_rule_groups": Setting(
        REQUIRED_RULE_GROUPS, "AWS managed rule groups the web ACL must apply in block mode (names, vendor AWS)"
    )
}
# A.8.21 (security of network services) and A.8.26 (application security requirements): the filtering
# in front of a public web application.
WEB_FILTERING = (
    "iso27001-2022:A.8.21",
    "iso27001-2022:A.8.26",
    "iso27001-2013:A.13.1.2",
    "iso27001-2013:A.14.1.2",
    "soc2-2017:CC6.6",
)
WAF_REMEDIATION = """Associate an AWS WAF web ACL that applies the AWS managed rule groups
AWSManagedRulesCommonRuleSet and AWSManagedRulesKnownBadInputsRuleSet with override action None (not Count),
without rule action overrides to Count; run new rule groups in Count mode only while tuning."""


def web_acl_verdict(web_acl: dict | None, required: list[str], what: str) -> Result:
    """Pass when `web_acl` applies every required AWS managed rule group in block mode."""
    if web_acl is None:
        return Result.failed(f"{what} has no WAF web ACL")
    label = web_acl.get("name") or web_acl.get("arn")
    if web_acl.get("classic"):
        return Result.failed(f"{what} uses the WAF Classic web ACL {label}, which cannot apply AWS managed rule groups")
    groups = web_acl.get("managed_rule_groups")
    if groups is None:
        raise MissingData(f"the rules of web ACL {label} were not collected")
    by_name = {group.get("name"): group for group in groups if group.get("vendor") == "AWS"}
    problems = []
    for name in required:
        group = by_name.get(name)
        if group is None:
            problems.append(f"{name} missing")
        elif group.get("override_action") != "none":
            problems.append(f"{name} in {group.get('override_action') or 'unknown'} mode")
        elif group.get("rules_not_blocking"):
            problems.append(f"{name} does not block {listed(group['rules_not_blocking'], 3)}")
    if problems:
        return Result.failed(f"web ACL {label}: {listed(problems)}")
    return Result.passed(f"web ACL {label} blocks with {listed(required)}")
