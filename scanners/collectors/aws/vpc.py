"""Networks in one region: VPCs with their flow logs and NTP servers, the default VPC with what isolates it,
security groups and network ACLs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

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

VPC = "aws.ec2.vpc"
DEFAULT_VPC = "aws.ec2.default_vpc"
SECURITY_GROUP = "aws.ec2.security_group"
NETWORK_ACL = "aws.ec2.network_acl"


@service_group(name="vpc", resource_types=(VPC, DEFAULT_VPC, SECURITY_GROUP, NETWORK_ACL))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    ec2 = factory.client("ec2", region)
    # Listed once each: the default VPC is judged on the same answers as the groups and ACLs themselves.
    groups = read_listing(ec2, "describe_security_groups", "SecurityGroups")
    acls = read_listing(ec2, "describe_network_acls", "NetworkAcls")
    yield from collected((VPC, DEFAULT_VPC), region, lambda: vpcs(factory, ec2, region, groups, acls))
    yield from documents_or_error(SECURITY_GROUP, region, groups, security_groups)
    yield from documents_or_error(NETWORK_ACL, region, acls, network_acls)


@dataclass(frozen=True)
class Listed:
    """A whole listing, or why it could not be read."""

    items: list[dict] | None
    error: str | None


def read_listing(ec2, operation: str, key: str) -> Listed:
    reads = SubReads()
    items = reads(operation, lambda: listing(ec2, operation, key))
    return Listed(items, reads.errors.get(operation))


def documents_or_error(
    resource_type: str, region: str, listed: Listed, make
) -> Iterator[ResourceDoc | CollectionError]:
    if listed.items is None:
        yield CollectionError(
            (resource_type,), region, listed.error or f"the {resource_type} listing could not be read"
        )
        return
    yield from collected((resource_type,), region, lambda: make(listed.items, region))


def vpcs(factory: ClientFactory, ec2, region: str, groups: Listed, acls: Listed) -> Iterator[ResourceDoc]:
    account_id = factory.account_id()
    found = listing(ec2, "describe_vpcs", "Vpcs")
    reads = SubReads()
    flow_logs = reads("flow_logs", lambda: grouped(listing(ec2, "describe_flow_logs", "FlowLogs"), "ResourceId"))
    gateways = reads("internet_gateways", lambda: internet_gateways_by_vpc(ec2))
    option_sets = reads("ntp_servers", lambda: ntp_servers_by_option_set(ec2))
    for vpc in found:
        ident = vpc["VpcId"]
        tags = tag_dict(vpc.get("Tags"))
        errors = dict(reads.errors)
        ntp_servers = ntp_servers_of(vpc.get("DhcpOptionsId"), option_sets, errors)
        yield document(
            uid=f"arn:aws:ec2:{region}:{vpc.get('OwnerId') or account_id}:vpc/{ident}",
            type=VPC,
            region=region,
            name=tags.get("Name") or ident,
            tags=tags,
            config={
                "vpc_id": ident,
                "is_default": bool(vpc.get("IsDefault")),
                "cidr_block": vpc.get("CidrBlock"),
                "flow_logs": [flow_log(item) for item in flow_logs.get(ident, [])] if flow_logs is not None else None,
                "internet_gateways": gateways.get(ident, []) if gateways is not None else None,
                "dhcp_options_id": vpc.get("DhcpOptionsId"),
                "ntp_servers": ntp_servers,
                "errors": errors,
            },
        )
    yield default_vpc_document(ec2, region, account_id, found, gateways, reads, groups, acls)


def default_vpc_document(
    ec2, region: str, account_id: str, found: list[dict], gateways, reads: SubReads, groups: Listed, acls: Listed
) -> ResourceDoc:
    default = next((vpc for vpc in found if vpc.get("IsDefault")), None)
    config: dict = {"present": default is not None, "vpc_id": None, "internet_gateways": [], "network_interfaces": 0}
    if default is not None:
        ident = default["VpcId"]
        config["vpc_id"] = ident
        config["internet_gateways"] = gateways.get(ident, []) if gateways is not None else None
        in_vpc = [{"Name": "vpc-id", "Values": [ident]}]
        config["network_interfaces"] = reads(
            "network_interfaces",
            lambda: len(listing(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=in_vpc)),
        )
        config["network_acls"] = network_acls_of(acls, ident, reads)
        config["default_security_group"] = default_group_of(groups, ident, reads)
    config["errors"] = {key: value for key, value in reads.errors.items() if key not in {"flow_logs", "ntp_servers"}}
    return document(
        uid=settings_uid(account_id, region, "default-vpc"),
        type=DEFAULT_VPC,
        region=region,
        name=f"default VPC in {region}",
        config=config,
    )


def grouped(items: list[dict], key: str) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        groups[item.get(key, "")].append(item)
    return dict(groups)


def internet_gateways_by_vpc(ec2) -> dict[str, list[str]]:
    attached: dict[str, list[str]] = defaultdict(list)
    for gateway in listing(ec2, "describe_internet_gateways", "InternetGateways"):
        for attachment in gateway.get("Attachments", []):
            attached[attachment["VpcId"]].append(gateway["InternetGatewayId"])
    return dict(attached)


def network_acls_of(acls: Listed, vpc_id: str, reads: SubReads) -> list[dict] | None:
    if acls.items is None:
        reads.failed("network_acls", reason=acls.error or "the network ACLs could not be read")
        return None
    return [
        {
            "network_acl_id": acl["NetworkAclId"],
            "is_default": bool(acl.get("IsDefault")),
            "subnets": [item.get("SubnetId") for item in acl.get("Associations", [])],
            "entries": acl.get("Entries", []),
        }
        for acl in acls.items
        if acl.get("VpcId") == vpc_id
    ]


def default_group_of(groups: Listed, vpc_id: str, reads: SubReads) -> dict | None:
    if groups.items is None:
        reads.failed("default_security_group", reason=groups.error or "the security groups could not be read")
        return None
    for group in groups.items:
        if group.get("VpcId") == vpc_id and group.get("GroupName") == "default":
            return {
                "group_id": group["GroupId"],
                "ingress": group.get("IpPermissions", []),
                "egress": group.get("IpPermissionsEgress", []),
            }
    reads.failed("default_security_group", reason=f"the default security group of {vpc_id} was not in the answer")
    return None


def ntp_servers_by_option_set(ec2) -> dict[str, list[str]]:
    servers = {}
    for option_set in listing(ec2, "describe_dhcp_options", "DhcpOptions"):
        options = {item.get("Key"): item.get("Values", []) for item in option_set.get("DhcpConfigurations", [])}
        servers[option_set["DhcpOptionsId"]] = [value.get("Value") for value in options.get("ntp-servers", [])]
    return servers


def ntp_servers_of(option_set: str | None, option_sets: dict | None, errors: dict) -> list[str] | None:
    """The NTP servers a VPC's DHCP option set hands out; the AWS default set and no set at all name none."""
    if option_set in (None, "default"):
        return []
    if option_sets is None:
        return None  # the failed read is in `errors`
    if option_set not in option_sets:
        errors["ntp_servers"] = f"DHCP option set {option_set} was not in the DescribeDhcpOptions answer"
        return None
    return option_sets[option_set]


def flow_log(item: dict) -> dict:
    return {
        "flow_log_id": item.get("FlowLogId"),
        "status": item.get("FlowLogStatus"),
        "traffic_type": item.get("TrafficType"),
        "destination_type": item.get("LogDestinationType"),
        "destination": item.get("LogDestination") or item.get("LogGroupName"),
    }


def security_groups(groups: list[dict], region: str) -> Iterator[ResourceDoc]:
    for group in groups:
        ident = group["GroupId"]
        tags = tag_dict(group.get("Tags"))
        yield document(
            uid=group.get("SecurityGroupArn") or f"arn:aws:ec2:{region}:{group.get('OwnerId')}:security-group/{ident}",
            type=SECURITY_GROUP,
            region=region,
            name=f"{group.get('GroupName')} ({ident})",
            tags=tags,
            config={
                "group_id": ident,
                "group_name": group.get("GroupName"),
                "vpc_id": group.get("VpcId"),
                "is_default": group.get("GroupName") == "default",
                "ingress": group.get("IpPermissions", []),
                "egress": group.get("IpPermissionsEgress", []),
                "errors": {},
            },
        )


def network_acls(acls: list[dict], region: str) -> Iterator[ResourceDoc]:
    for acl in acls:
        ident = acl["NetworkAclId"]
        tags = tag_dict(acl.get("Tags"))
        yield document(
            uid=f"arn:aws:ec2:{region}:{acl.get('OwnerId')}:network-acl/{ident}",
            type=NETWORK_ACL,
            region=region,
            name=tags.get("Name") or ident,
            tags=tags,
            config={
                "network_acl_id": ident,
                "vpc_id": acl.get("VpcId"),
                "is_default": bool(acl.get("IsDefault")),
                "entries": acl.get("Entries", []),
                "subnets": [item.get("SubnetId") for item in acl.get("Associations", [])],
                "errors": {},
            },
        )


def ingress_rules_of(ec2, group_ids: set[str]) -> dict[str, list[dict]]:
    """Inbound rules of the given security groups, for collectors of resources that sit behind them."""
    if not group_ids:
        return {}
    groups = listing(ec2, "describe_security_groups", "SecurityGroups", GroupIds=sorted(group_ids))
    return {group["GroupId"]: group.get("IpPermissions", []) for group in groups}


def rules_for(groups: list[str], rules: dict[str, list[dict]] | None) -> dict[str, list[dict]] | None:
    """The inbound rules of each group, or None when the groups could not be read (the error says why)."""
    return None if rules is None else {group: rules.get(group, []) for group in groups}


def cidr_blocks_of(ec2, vpc_ids: set[str]) -> dict[str, list[str]]:
    """The IPv4 and IPv6 CIDR blocks associated with each of the given VPCs."""
    if not vpc_ids:
        return {}
    blocks = {}
    for vpc in listing(ec2, "describe_vpcs", "Vpcs", VpcIds=sorted(vpc_ids)):
        v4 = [
            item.get("CidrBlock")
            for item in vpc.get("CidrBlockAssociationSet", [])
            if associated(item, "CidrBlockState")
        ]
        v6 = [
            item.get("Ipv6CidrBlock")
            for item in vpc.get("Ipv6CidrBlockAssociationSet", [])
            if associated(item, "Ipv6CidrBlockState")
        ]
        blocks[vpc["VpcId"]] = v4 + v6
    return blocks


def associated(association: dict, state_key: str) -> bool:
    return (association.get(state_key) or {}).get("State") == "associated"
