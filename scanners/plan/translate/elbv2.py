"""Application and network load balancers with their listeners and listener rules, the inbound rules of
their security groups, their attributes and the WAF web ACL associated with them."""

from __future__ import annotations

from typing import Any

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, translates
from scanners.plan.translate.network import ingress_of
from scanners.plan.unknown import Unknown

LISTENERS = ("aws_lb_listener", "aws_alb_listener")
RULES = ("aws_lb_listener_rule", "aws_alb_listener_rule")


def action_summary(action: dict) -> dict:
    redirect = (action.get("redirect") or [{}])[0] or {}
    return {"type": action.get("type"), "redirect_protocol": redirect.get("protocol") if redirect else None}


def listener(plan: Plan, item: PlanResource, application: bool) -> dict:
    protocol = item.get("protocol", unset="HTTP" if application else "TCP")
    actions = item.get("default_action", unset=[])
    described: dict[str, Any] = {
        "port": item.get("port"),
        "protocol": protocol,
        # AWS picks a policy when the code names none; which one it picks is not in the plan.
        "ssl_policy": item.get("ssl_policy") if protocol in ("HTTPS", "TLS") else None,
        "default_actions": actions if isinstance(actions, Unknown) else [action_summary(a) for a in actions],
    }
    if protocol == "HTTP":
        rule_actions: list = []
        for rule in plan.pointing_at(item, "listener_arn", *RULES):
            actions = rule.get("action", unset=[])
            if isinstance(actions, Unknown):
                rule_actions = actions  # type: ignore[assignment]
                break
            rule_actions += [action_summary(action) for action in actions]
        described["rule_actions"] = rule_actions
    return described


def web_acl(plan: Plan, balancer: PlanResource) -> Any:
    """The web ACL the plan associates with the load balancer, summarised as the collector does."""
    associations = plan.pointing_at(balancer, "resource_arn", "aws_wafv2_web_acl_association")
    if not associations:
        return None
    acls = plan.referred(associations[0], "web_acl_arn", "aws_wafv2_web_acl")
    if not acls:
        return Unknown(f"the rules of the web ACL that {associations[0].address} associates, outside the plan")
    acl = acls[0]
    rules = acl.get("rule", unset=[])
    if isinstance(rules, Unknown):
        return rules
    groups = []
    for rule in rules:
        statement = ((rule.get("statement") or [{}])[0] or {}).get("managed_rule_group_statement") or []
        if not statement:
            continue
        override = ((rule.get("override_action") or [{}])[0]) or {}
        mode = next((key for key in ("none", "count") if override.get(key)), None)
        overridden = [
            f"{item.get('name')} ({action})"
            for item in statement[0].get("rule_action_override") or []
            for action in ("allow", "count", "challenge", "captcha")
            if ((item.get("action_to_use") or [{}])[0] or {}).get(action)
        ]
        groups.append(
            {
                "vendor": statement[0].get("vendor_name"),
                "name": statement[0].get("name"),
                "override_action": mode,
                "rules_not_blocking": overridden,
            }
        )
    name = acl.get("name")
    return {"arn": acl.get("arn"), "name": name, "classic": False, "managed_rule_groups": groups}


@translates(
    "aws_lb",
    "aws.elbv2.load_balancer",
    reads=(*LISTENERS, *RULES, "aws_wafv2_web_acl_association", "aws_wafv2_web_acl"),
)
def load_balancer(plan: Plan, resource: PlanResource) -> dict:
    kind = resource.get("load_balancer_type", unset="application")
    application = kind == "application"
    internal = resource.get("internal", unset=False)
    groups, ingress = ingress_of(plan, resource, "security_groups")
    drop_invalid = resource.get("drop_invalid_header_fields", unset=False)
    attributes = None
    if application:
        attributes = {
            "routing.http.drop_invalid_header_fields.enabled": (
                drop_invalid if isinstance(drop_invalid, Unknown) else str(bool(drop_invalid)).lower()
            )
        }
    return doc(
        resource=resource,
        type="aws.elbv2.load_balancer",
        region=plan.region(),
        name=resource.get("name"),
        config={
            "balancer_type": kind,
            "scheme": internal if isinstance(internal, Unknown) else "internal" if internal else "internet-facing",
            "dns_name": resource.get("dns_name"),
            "vpc_id": resource.get("vpc_id"),
            "listeners": [
                listener(plan, item, application)
                for item in plan.pointing_at(resource, "load_balancer_arn", *LISTENERS)
            ],
            "security_groups": groups,
            "security_group_ingress": ingress,
            "attributes": attributes,
            "web_acl": web_acl(plan, resource) if application and internal is not True else None,
        },
    )


translates("aws_alb", "aws.elbv2.load_balancer")(load_balancer)
