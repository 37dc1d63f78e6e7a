"""Filtering of the web by domain in one region: for every VPC, its routes to the internet, the Route 53
Resolver DNS Firewall rule groups associated with it (each rule naming its domain list and whether AWS manages
it), and the AWS Network Firewalls in it with the stateful rule groups of their policies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
    tag_dict,
)

VPC = "aws.dnsfirewall.vpc"
ANYWHERE = {"DestinationCidrBlock": "0.0.0.0/0", "DestinationIpv6CidrBlock": "::/0"}
INTERNET_TARGETS = ("GatewayId", "NatGatewayId", "EgressOnlyInternetGatewayId")


@service_group(name="dnsfirewall", resource_types=(VPC,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((VPC,), region, lambda: vpcs(factory, region))


def vpcs(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    account_id = factory.account_id()
    ec2 = factory.client("ec2", region)
    found = listing(ec2, "describe_vpcs", "Vpcs")
    reads = SubReads()
    routes = reads("internet_routes", lambda: internet_routes_by_vpc(ec2))
    rule_groups = reads(
        "dns_firewall_rule_groups", lambda: rule_groups_by_vpc(factory.client("route53resolver", region))
    )
    firewalls = reads("network_firewalls", lambda: network_firewalls_by_vpc(factory.client("network-firewall", region)))
    for vpc in found:
        ident = vpc["VpcId"]
        tags = tag_dict(vpc.get("Tags"))
        yield document(
            # The VPC's own ARN is the uid of its `aws.ec2.vpc` document; this one judges its DNS filtering.
            uid=settings_uid(account_id, region, f"dns-firewall/{ident}"),
            type=VPC,
            region=region,
            name=tags.get("Name") or ident,
            tags=tags,
            config={
                "vpc_id": ident,
                "internet_routes": routes.get(ident, []) if routes is not None else None,
                "dns_firewall_rule_groups": rule_groups.get(ident, []) if rule_groups is not None else None,
                "network_firewalls": firewalls.get(ident, []) if firewalls is not None else None,
                "errors": dict(reads.errors),
            },
        )


def internet_routes_by_vpc(ec2) -> dict[str, list[str]]:
    """Routes for all addresses (0.0.0.0/0, ::/0) to an internet, egress-only internet or NAT gateway."""
    routes: dict[str, list[str]] = defaultdict(list)
    for table in listing(ec2, "describe_route_tables", "RouteTables"):
        for route in table.get("Routes", []):
            destination = next((value for key, value in ANYWHERE.items() if route.get(key) == value), None)
            target = internet_target(route)
            if destination and target and route.get("State") != "blackhole":
                routes[table["VpcId"]].append(f"{destination} via {target} ({table['RouteTableId']})")
    return dict(routes)


def internet_target(route: dict) -> str | None:
    for key in INTERNET_TARGETS:
        target = route.get(key) or ""
        # GatewayId also names virtual private gateways (vgw-) and `local`: only igw- leads to the internet.
        if target.startswith(("igw-", "nat-", "eigw-")):
            return target
    return None


def rule_groups_by_vpc(resolver) -> dict[str, list[dict]]:
    domain_lists = {item["Id"]: item for item in listing(resolver, "list_firewall_domain_lists", "FirewallDomainLists")}
    associations = listing(resolver, "list_firewall_rule_group_associations", "FirewallRuleGroupAssociations")
    rules = {
        group_id: [
            rule_summary(rule, domain_lists)
            for rule in listing(resolver, "list_firewall_rules", "FirewallRules", FirewallRuleGroupId=group_id)
        ]
        for group_id in sorted({item["FirewallRuleGroupId"] for item in associations})
    }
    by_vpc: dict[str, list[dict]] = defaultdict(list)
    for item in sorted(associations, key=lambda association: association.get("Priority", 0)):
        by_vpc[item["VpcId"]].append(
            {
                "rule_group_id": item["FirewallRuleGroupId"],
                "association_name": item.get("Name"),
                "priority": item.get("Priority"),
                "status": item.get("Status"),
                "managed_by": item.get("ManagedOwnerName"),
                "rules": rules[item["FirewallRuleGroupId"]],
            }
        )
    return dict(by_vpc)


def rule_summary(rule: dict, domain_lists: dict[str, dict]) -> dict:
    domain_list = domain_lists.get(rule.get("FirewallDomainListId") or "") or {}
    return {
        "name": rule.get("Name"),
        "priority": rule.get("Priority"),
        "action": rule.get("Action"),
        "domain_list_id": rule.get("FirewallDomainListId"),
        "domain_list": domain_list.get("Name"),
        "managed_list": bool(domain_list.get("ManagedOwnerName")),
    }


def network_firewalls_by_vpc(network_firewall) -> dict[str, list[dict]]:
    """Each VPC's Network Firewalls with the stateful rule groups their policy references (a policy read once)."""
    policies: dict[str, dict] = {}
    by_vpc: dict[str, list[dict]] = defaultdict(list)
    for item in listing(network_firewall, "list_firewalls", "Firewalls"):
        described = network_firewall.describe_firewall(FirewallArn=item["FirewallArn"])
        firewall = described["Firewall"]
        if not firewall.get("VpcId"):
            continue  # attached to a transit gateway: which VPCs it filters is not read here
        policy_arn = firewall["FirewallPolicyArn"]
        if policy_arn not in policies:
            policies[policy_arn] = network_firewall.describe_firewall_policy(FirewallPolicyArn=policy_arn)
        policy = policies[policy_arn]
        by_vpc[firewall["VpcId"]].append(
            {
                "name": firewall.get("FirewallName"),
                "status": (described.get("FirewallStatus") or {}).get("Status"),
                "policy": (policy.get("FirewallPolicyResponse") or {}).get("FirewallPolicyName"),
                "stateful_rule_groups": [
                    {"arn": reference["ResourceArn"], "override": (reference.get("Override") or {}).get("Action")}
                    for reference in (policy.get("FirewallPolicy") or {}).get("StatefulRuleGroupReferences") or []
                ],
            }
        )
    return dict(by_vpc)
