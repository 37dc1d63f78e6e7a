"""Networks: VPCs with their flow logs and NTP servers, security groups with their inline rules and their
separate rule resources, the default security group, and network ACLs with their entries."""

from __future__ import annotations

from typing import Any

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, translates
from scanners.plan.unknown import Unknown

SECURITY_GROUP = "aws.ec2.security_group"
RULE_TYPES = ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
# AWS answers protocol numbers of tcp, udp and icmp by name; Terraform accepts either.
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
# Network ACL entries carry protocol numbers.
PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1"}
ANYWHERE = "0.0.0.0/0"


def permission(protocol: Any, low: Any, high: Any, v4: Any, v6: Any, groups: Any, prefix_lists: Any) -> dict:
    """One inbound or outbound rule as DescribeSecurityGroups answers it (IpPermissions)."""
    if isinstance(protocol, Unknown):
        return {"IpProtocol": protocol}
    protocol = PROTOCOL_NAMES.get(str(protocol).lower(), str(protocol).lower())
    item: dict = {"IpProtocol": protocol}
    if protocol != "-1":  # AWS gives no port range for all traffic
        item["FromPort"], item["ToPort"] = low, high
    item["IpRanges"] = ranges(v4, "CidrIp")
    item["Ipv6Ranges"] = ranges(v6, "CidrIpv6")
    item["UserIdGroupPairs"] = ranges(groups, "GroupId")
    item["PrefixListIds"] = ranges(prefix_lists, "PrefixListId")
    return item


def ranges(values: Any, key: str) -> Any:
    if isinstance(values, Unknown):
        return values
    return [{key: value} for value in values or []]


def inline_rules(resource: PlanResource, direction: str) -> Any:
    rules = resource.get(direction, unset=[])
    if isinstance(rules, Unknown):
        return rules
    return [
        permission(
            rule.get("protocol"),
            rule.get("from_port"),
            rule.get("to_port"),
            rule.get("cidr_blocks"),
            rule.get("ipv6_cidr_blocks"),
            source_groups(rule.get("security_groups"), rule.get("self")),
            rule.get("prefix_list_ids"),
        )
        for rule in rules
    ]


def source_groups(groups: Any, itself: Any) -> Any:
    """The groups a rule admits; the ids of groups the plan creates are unknown, which no check needs."""
    if isinstance(groups, Unknown):
        return groups
    return list(groups or []) + (["self"] if itself is True else [])


def separate_rule(rule: PlanResource) -> tuple[str, dict]:
    """The direction and permission of an `aws_security_group_rule` or `aws_vpc_security_group_*_rule`."""
    if rule.type == "aws_security_group_rule":
        source = rule.get("source_security_group_id")
        groups = [] if source is None else [source]
        return rule.get("type"), permission(
            rule.get("protocol"),
            rule.get("from_port"),
            rule.get("to_port"),
            rule.get("cidr_blocks", unset=[]),
            rule.get("ipv6_cidr_blocks", unset=[]),
            groups + (["self"] if rule.get("self") is True else []),
            rule.get("prefix_list_ids", unset=[]),
        )
    direction = "ingress" if rule.type.endswith("ingress_rule") else "egress"
    one = lambda key: [] if rule.get(key) is None else [rule.get(key)]  # noqa: E731
    return direction, permission(
        rule.get("ip_protocol"),
        rule.get("from_port"),
        rule.get("to_port"),
        one("cidr_ipv4"),
        one("cidr_ipv6"),
        one("referenced_security_group_id"),
        one("prefix_list_id"),
    )


def group_rules(plan: Plan, group: PlanResource) -> dict[str, Any]:
    """Inline rules plus the separate rule resources that name the group."""
    rules = {direction: inline_rules(group, direction) for direction in ("ingress", "egress")}
    for rule in plan.pointing_at(group, "security_group_id", *RULE_TYPES):
        direction, item = separate_rule(rule)
        if isinstance(direction, Unknown) or isinstance(rules[direction], Unknown):
            continue
        rules[direction] = [*rules[direction], item]
    return rules


def group_document(plan: Plan, resource: PlanResource, *, is_default: bool) -> dict:
    ident = resource.get("id")
    name = "default" if is_default else resource.get("name")
    rules = group_rules(plan, resource)
    return doc(
        resource=resource,
        type=SECURITY_GROUP,
        region=plan.region(),
        name=f"{name} ({resource.address})" if isinstance(name, str) else name,
        config={
            "group_id": ident,
            "group_name": name,
            "vpc_id": resource.get("vpc_id"),
            "is_default": is_default,
            "ingress": rules["ingress"],
            "egress": rules["egress"],
        },
    )


@translates("aws_security_group", SECURITY_GROUP, reads=RULE_TYPES)
def security_group(plan: Plan, resource: PlanResource) -> dict:
    return group_document(plan, resource, is_default=False)


@translates("aws_default_security_group", SECURITY_GROUP)
def default_security_group(plan: Plan, resource: PlanResource) -> dict:
    # Terraform removes every rule of the default group that the code does not declare.
    return group_document(plan, resource, is_default=True)


def ingress_of(plan: Plan, holder: PlanResource, attribute: str) -> tuple[Any, Any]:
    """The security groups a resource names in `attribute` and their inbound rules, keyed by group id or, for
    groups the plan creates, by their address (the shape of the collectors' `security_group_ingress`).
    The rules of a group outside the plan are unknown here."""
    value = holder.get(attribute, unset=[])
    planned = plan.referred(holder, attribute, "aws_security_group", "aws_default_security_group")
    if isinstance(value, Unknown) and not planned:
        return value, value
    names: list[str] = []
    rules: dict[str, Any] = {}
    for group in planned:
        ident = group.get("id")
        key = ident if isinstance(ident, str) else group.address
        names.append(key)
        rules[key] = group_rules(plan, group)["ingress"]
    for ident in value if isinstance(value, list) else []:
        if isinstance(ident, str) and ident not in rules:
            names.append(ident)
            rules[ident] = Unknown(f"the inbound rules of {ident}, a security group outside the plan")
    return names, rules


def name_tag(resource: PlanResource) -> str:
    tags = resource.get("tags", unset={}) or {}
    name = tags.get("Name") if isinstance(tags, dict) else None
    return name if isinstance(name, str) else resource.address


def acl_entry(entry: dict, egress: bool) -> dict:
    protocol = entry.get("protocol")
    item: dict = {
        "RuleNumber": entry.get("rule_no", entry.get("rule_number")),
        "Protocol": protocol if isinstance(protocol, Unknown) else PROTOCOL_NUMBERS.get(str(protocol), str(protocol)),
        "RuleAction": entry.get("action", entry.get("rule_action")),
        "Egress": egress,
    }
    if entry.get("cidr_block"):
        item["CidrBlock"] = entry["cidr_block"]
    if entry.get("ipv6_cidr_block"):
        item["Ipv6CidrBlock"] = entry["ipv6_cidr_block"]
    if item["Protocol"] in ("6", "17"):
        item["PortRange"] = {"From": entry.get("from_port"), "To": entry.get("to_port")}
    return item


def acl_document(plan: Plan, resource: PlanResource, *, is_default: bool) -> dict:
    entries: Any = []
    for direction in ("ingress", "egress"):
        inline = resource.get(direction, unset=[])
        if isinstance(inline, Unknown):
            entries = inline
            break
        entries += [acl_entry(entry, direction == "egress") for entry in inline]
    if not isinstance(entries, Unknown):
        for rule in plan.pointing_at(resource, "network_acl_id", "aws_network_acl_rule"):
            entries.append(acl_entry(rule.values, bool(rule.get("egress", unset=False))))
        # Every network ACL ends with AWS's own deny-all entries, which the collector reads too.
        entries += [
            {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": egress, "CidrBlock": ANYWHERE}
            for egress in (False, True)
        ]
    subnets = resource.get("subnet_ids", unset=[])
    return doc(
        resource=resource,
        type="aws.ec2.network_acl",
        region=plan.region(),
        name=name_tag(resource),
        config={
            "network_acl_id": resource.get("id"),
            "vpc_id": resource.get("vpc_id", unset=None),
            "is_default": is_default,
            "entries": entries,
            "subnets": subnets if isinstance(subnets, Unknown) else list(subnets),
        },
    )


@translates("aws_network_acl", "aws.ec2.network_acl", reads=("aws_network_acl_rule",))
def network_acl(plan: Plan, resource: PlanResource) -> dict:
    return acl_document(plan, resource, is_default=False)


@translates("aws_default_network_acl", "aws.ec2.network_acl")
def default_network_acl(plan: Plan, resource: PlanResource) -> dict:
    return acl_document(plan, resource, is_default=True)


def flow_log(item: PlanResource) -> dict:
    return {
        "flow_log_id": item.get("id") if isinstance(item.get("id"), str) else item.address,
        "status": "ACTIVE",  # a flow log AWS accepts is active from creation
        "traffic_type": item.get("traffic_type"),
        "destination_type": item.get("log_destination_type", unset="cloud-watch-logs"),
        "destination": item.get("log_destination", unset=None) or item.get("log_group_name", unset=None),
    }


def ntp_servers(plan: Plan, vpc: PlanResource) -> tuple[Any, Any]:
    """The DHCP option set the plan associates with the VPC and the NTP servers it hands out."""
    for association in plan.pointing_at(vpc, "vpc_id", "aws_vpc_dhcp_options_association"):
        option_sets = plan.referred(association, "dhcp_options_id", "aws_vpc_dhcp_options")
        if not option_sets:
            return association.get("dhcp_options_id"), Unknown(
                f"the NTP servers of {association.get('dhcp_options_id')}, an option set outside the plan"
            )
        options = option_sets[0]
        ident = options.get("id")
        return (ident if isinstance(ident, str) else options.address), options.get("ntp_servers", unset=[]) or []
    return "default", []


@translates(
    "aws_vpc",
    "aws.ec2.vpc",
    reads=("aws_flow_log", "aws_internet_gateway", "aws_vpc_dhcp_options", "aws_vpc_dhcp_options_association"),
)
def vpc(plan: Plan, resource: PlanResource) -> dict:
    option_set, servers = ntp_servers(plan, resource)
    return doc(
        resource=resource,
        type="aws.ec2.vpc",
        region=plan.region(),
        name=name_tag(resource),
        config={
            "vpc_id": resource.get("id"),
            "is_default": False,
            "cidr_block": resource.get("cidr_block"),
            "flow_logs": [flow_log(item) for item in plan.pointing_at(resource, "vpc_id", "aws_flow_log")],
            "internet_gateways": [
                item.get("id") if isinstance(item.get("id"), str) else item.address
                for item in plan.pointing_at(resource, "vpc_id", "aws_internet_gateway")
            ],
            "dhcp_options_id": option_set,
            "ntp_servers": servers,
        },
    )
