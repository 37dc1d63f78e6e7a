"""Reading the AWS WAF web ACL that protects a resource, as the checks in scanners/checks/waf.py judge it.

Not a service group of its own: the load balancer, CloudFront and API Gateway collectors read the web ACL
of each resource they describe.
"""

from __future__ import annotations

RULE_ACTIONS_THAT_DO_NOT_BLOCK = {"Count", "Allow"}


def web_acl_for_resource(wafv2, resource_arn: str) -> dict | None:
    """The web ACL associated with a load balancer or API Gateway stage; None when there is none."""
    return web_acl_summary(wafv2.get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL"))


def web_acl_named(wafv2, identifier: str | None, scope: str) -> dict | None:
    """The web ACL a resource's own settings name (a CloudFront WebACLId, an API Gateway stage's webAclArn):
    an AWS WAF ARN (`arn:aws:wafv2:<region>:<account>:<global|regional>/webacl/<name>/<id>`), a WAF Classic
    id or ARN, or nothing."""
    if not identifier:
        return None
    if not identifier.startswith("arn:") or ":wafv2:" not in identifier:
        return {"arn": identifier, "name": None, "classic": True, "managed_rule_groups": []}
    name, web_acl_id = identifier.split("/")[-2:]
    return web_acl_summary(wafv2.get_web_acl(Name=name, Scope=scope, Id=web_acl_id)["WebACL"])


def web_acl_summary(web_acl: dict | None) -> dict | None:
    if not web_acl:
        return None
    groups = [
        managed_group(statement, rule.get("OverrideAction"))
        for rule in web_acl.get("Rules") or []
        if (statement := (rule.get("Statement") or {}).get("ManagedRuleGroupStatement"))
    ]
    # Rule groups a Firewall Manager policy puts first or last in the web ACL count as the ACL's own.
    for key in ("PreProcessFirewallManagerRuleGroups", "PostProcessFirewallManagerRuleGroups"):
        groups += [
            managed_group(statement, rule.get("OverrideAction"))
            for rule in web_acl.get(key) or []
            if (statement := (rule.get("FirewallManagerStatement") or {}).get("ManagedRuleGroupStatement"))
        ]
    return {"arn": web_acl.get("ARN"), "name": web_acl.get("Name"), "classic": False, "managed_rule_groups": groups}


def managed_group(statement: dict, override_action: dict | None) -> dict:
    overridden = [
        f"{item.get('Name')} ({action})"
        for item in statement.get("RuleActionOverrides") or []
        for action in (item.get("ActionToUse") or {})
        if action in RULE_ACTIONS_THAT_DO_NOT_BLOCK
    ]
    excluded = [f"{item.get('Name')} (excluded)" for item in statement.get("ExcludedRules") or []]
    return {
        "vendor": statement.get("VendorName"),
        "name": statement.get("Name"),
        "override_action": next(iter(override_action), "").lower() if override_action else None,
        "rules_not_blocking": overridden + excluded,
    }
