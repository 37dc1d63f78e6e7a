"""VPC: the default VPC, flow logs, security groups and network ACLs."""

from __future__ import annotations

from scanners.checks.base import Result, check, field, listed

ANYWHERE_V4 = "0.0.0.0/0"
ANYWHERE_V6 = "::/0"
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
NETWORK = (
    "iso27001-2022:A.8.20",
    "iso27001-2022:A.8.22",
    "iso27001-2013:A.13.1.1",
    "iso27001-2013:A.13.1.3",
    "soc2-2017:CC6.6",
)
LOGGING = (
    "iso27001-2022:A.8.15",
    "iso27001-2022:A.8.16",
    "iso27001-2013:A.12.4.1",
    "soc2-2017:CC7.2",
)


@check(
    id="vpc_default_vpc_removed_or_isolated",
    title="Default VPC is removed, or isolated from the internet",
    resource="aws.ec2.default_vpc",
    severity="medium",
    controls=NETWORK,
    remediation="""Delete the default VPC in every region once nothing runs in it (EC2 > Your VPCs > Delete),
    or at least detach its internet gateway so that nothing launched there by mistake is reachable.""",
)
def default_vpc_removed_or_isolated(slot: dict) -> Result:
    if not field(slot, "present"):
        return Result.passed("no default VPC in this region")
    vpc_id = field(slot, "vpc_id")
    gateways = field(slot, "internet_gateways")
    interfaces = field(slot, "network_interfaces")
    if gateways:
        return Result.failed(
            f"default VPC {vpc_id} is attached to {listed(gateways)} and has {interfaces} network interfaces"
        )
    return Result.passed(f"default VPC {vpc_id} has no internet gateway ({interfaces} network interfaces)")


@check(
    id="vpc_flow_logs_enabled",
    title="VPC flow logs are on",
    resource="aws.ec2.vpc",
    severity="medium",
    controls=LOGGING,
    remediation="""Create a flow log for the VPC capturing ALL traffic to S3 or CloudWatch Logs, with a
    retention that matches your logging standard.""",
)
def flow_logs_enabled(vpc: dict) -> Result:
    active = [item for item in field(vpc, "flow_logs") if item.get("status") == "ACTIVE"]
    if not active:
        return Result.failed("no active flow log")
    described = [
        f"{item.get('flow_log_id')} ({item.get('traffic_type')} to {item.get('destination_type')})" for item in active
    ]
    return Result.passed(f"flow logs: {listed(described)}")


@check(
    id="vpc_default_security_group_closed",
    title="Default security group allows no traffic",
    resource="aws.ec2.security_group",
    severity="medium",
    controls=NETWORK,
    remediation="""Remove every inbound and outbound rule from the default security group of each VPC and
    give resources purpose-made groups instead, so that anything attached to the default group by accident
    is cut off.""",
)
def default_security_group_closed(group: dict) -> Result:
    if not field(group, "is_default"):
        return Result.not_applicable("not a default security group")
    ingress, egress = field(group, "ingress"), field(group, "egress")
    if ingress or egress:
        return Result.failed(f"the default group has {len(ingress)} inbound and {len(egress)} outbound rules")
    return Result.passed("no rules")


def open_to_world(permission: dict) -> list[str]:
    sources = [item.get("CidrIp") for item in permission.get("IpRanges", []) if item.get("CidrIp") == ANYWHERE_V4]
    sources += [
        item.get("CidrIpv6") for item in permission.get("Ipv6Ranges", []) if item.get("CidrIpv6") == ANYWHERE_V6
    ]
    return sources


def exposed_services(permission: dict) -> list[str]:
    protocol = str(permission.get("IpProtocol"))
    if protocol == "-1":
        return ["all ports"]
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None or protocol not in {"tcp", "udp", "6", "17"}:
        return []
    if low <= 0 and high >= 65535:
        return [f"all {protocol} ports"]
    return [f"{name} ({port})" for port, name in ADMIN_PORTS.items() if low <= port <= high]


@check(
    id="vpc_security_group_no_open_admin_ports",
    title="No security group opens SSH, RDP or all ports to the internet",
    resource="aws.ec2.security_group",
    severity="high",
    controls=NETWORK + ("soc2-2017:CC6.1",),
    remediation="""Remove inbound rules from 0.0.0.0/0 and ::/0 on SSH, RDP and port ranges; reach
    instances through Session Manager, a bastion reachable only from known addresses, or a VPN.""",
)
def security_group_no_open_admin_ports(group: dict) -> Result:
    findings = []
    for permission in field(group, "ingress"):
        sources = open_to_world(permission)
        if sources:
            findings += [f"{service} from {' and '.join(sources)}" for service in exposed_services(permission)]
    if findings:
        return Result.failed(f"open to the internet: {listed(findings)}")
    return Result.passed("no administrative or all-port access from the internet")


@check(
    id="vpc_network_acl_no_open_inbound",
    title="No network ACL allows all inbound traffic from anywhere",
    resource="aws.ec2.network_acl",
    severity="medium",
    controls=("iso27001-2022:A.8.20", "iso27001-2013:A.13.1.1", "soc2-2017:CC6.6"),
    remediation="""Replace the 'allow all from 0.0.0.0/0' inbound entry with entries for the ports the subnet
    serves (and ephemeral ports for replies), keeping security groups as the finer-grained layer.""",
)
def network_acl_no_open_inbound(acl: dict) -> Result:
    inbound = sorted((entry for entry in field(acl, "entries") if not entry.get("Egress")), key=rule_number)
    for entry in inbound:
        from_anywhere = entry.get("CidrBlock") == ANYWHERE_V4 or entry.get("Ipv6CidrBlock") == ANYWHERE_V6
        if not from_anywhere or str(entry.get("Protocol")) != "-1":
            continue
        # Entries are evaluated in rule order: an earlier deny-all shadows a later allow-all.
        if entry.get("RuleAction") == "deny":
            return Result.passed(f"rule {entry.get('RuleNumber')} denies all inbound traffic from anywhere first")
        return Result.failed(f"rule {entry.get('RuleNumber')} allows all inbound traffic from anywhere")
    return Result.passed("no entry allows all inbound traffic from anywhere")


def rule_number(entry: dict) -> int:
    return int(entry.get("RuleNumber", 32767))
