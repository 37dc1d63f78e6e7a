"""Application and network load balancers in one region, with their listeners (and, for plain HTTP, their
rules), the inbound rules of their security groups, and for application load balancers their attributes and
the WAF web ACL in front of the internet-facing ones."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.aws.vpc import ingress_rules_of, rules_for
from scanners.collectors.aws.web_acls import web_acl_for_resource
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    tag_dict,
)

LOAD_BALANCER = "aws.elbv2.load_balancer"
TAGS_PER_CALL = 20  # DescribeTags accepts at most 20 ARNs


@service_group(name="elbv2", resource_types=(LOAD_BALANCER,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((LOAD_BALANCER,), region, lambda: load_balancers(factory, region))


def load_balancers(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    elbv2 = factory.client("elbv2", region)
    found = listing(elbv2, "describe_load_balancers", "LoadBalancers")
    if not found:
        return
    shared = SubReads()
    group_ids = {group for balancer in found for group in balancer.get("SecurityGroups", [])}
    rules = shared("security_groups", lambda: ingress_rules_of(factory.client("ec2", region), group_ids))
    tags = shared("tags", lambda: tags_by_arn(elbv2, [balancer["LoadBalancerArn"] for balancer in found]))
    wafv2 = factory.client("wafv2", region)
    for balancer in found:
        reads = SubReads()
        reads.errors.update(shared.errors)
        balancer_arn = balancer["LoadBalancerArn"]
        listeners = reads(
            "listeners",
            lambda balancer_arn=balancer_arn: [
                listener(elbv2, item)
                for item in listing(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=balancer_arn)
            ],
        )
        groups = balancer.get("SecurityGroups", [])
        application = balancer.get("Type") == "application"
        attributes = None
        if application:
            attributes = reads(
                "attributes",
                lambda balancer_arn=balancer_arn: tag_dict(
                    elbv2.describe_load_balancer_attributes(LoadBalancerArn=balancer_arn)["Attributes"]
                ),
            )
        web_acl = None
        if application and balancer.get("Scheme") == "internet-facing":
            web_acl = reads("web_acl", lambda balancer_arn=balancer_arn: web_acl_for_resource(wafv2, balancer_arn))
        yield document(
            uid=balancer_arn,
            type=LOAD_BALANCER,
            region=region,
            name=balancer.get("LoadBalancerName") or balancer_arn,
            tags=(tags or {}).get(balancer_arn, {}),
            config={
                "balancer_type": balancer.get("Type"),
                "scheme": balancer.get("Scheme"),
                "dns_name": balancer.get("DNSName"),
                "vpc_id": balancer.get("VpcId"),
                "listeners": listeners,
                "security_groups": groups,
                "security_group_ingress": rules_for(groups, rules),
                "attributes": attributes,
                "web_acl": web_acl,
                "errors": reads.errors,
            },
        )


def listener(elbv2, item: dict) -> dict:
    described = {
        "port": item.get("Port"),
        "protocol": item.get("Protocol"),
        "ssl_policy": item.get("SslPolicy"),
        "default_actions": [action_summary(action) for action in item.get("DefaultActions", [])],
    }
    if item.get("Protocol") == "HTTP":
        # A plain HTTP listener "only redirects" when its rules redirect too, not just its default action.
        rules = listener_rules(elbv2, item["ListenerArn"])
        described["rule_actions"] = [
            action_summary(action) for rule in rules if not rule.get("IsDefault") for action in rule.get("Actions", [])
        ]
    return described


def listener_rules(elbv2, listener_arn: str) -> list[dict]:
    """DescribeRules has a marker but no SDK paginator."""
    rules: list[dict] = []
    params = {"ListenerArn": listener_arn}
    while True:
        page = elbv2.describe_rules(**params)
        rules += page.get("Rules") or []
        if not page.get("NextMarker"):
            return rules
        params["Marker"] = page["NextMarker"]


def action_summary(action: dict) -> dict:
    return {"type": action.get("Type"), "redirect_protocol": (action.get("RedirectConfig") or {}).get("Protocol")}


def tags_by_arn(elbv2, arns: list[str]) -> dict[str, dict[str, str]]:
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), TAGS_PER_CALL):
        for description in elbv2.describe_tags(ResourceArns=arns[start : start + TAGS_PER_CALL])["TagDescriptions"]:
            tags[description["ResourceArn"]] = tag_dict(description.get("Tags"))
    return tags
