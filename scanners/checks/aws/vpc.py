"""VPC: the default VPC, flow logs, security groups, network ACLs and the time source of instances."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from scanners.checks.base import MissingData, Result, Setting, check, field, listed

ANYWHERE_V4 = "0.0.0.0/0"
ANYWHERE_V6 = "::/0"
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
# RFC 1918 and IPv6 unique local addresses: ranges the internet cannot route to a VPC.
PRIVATE_RANGES = tuple(ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
PROTOCOL_NAMES = {"-1": "all traffic", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
ICMP = {"icmp", "icmpv6"}
AMAZON_TIME_SYNC = ["169.254.169.123", "fd00:ec2::123"]
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
WIDEST_RANGES = {
    "widest_ipv4_prefix": Setting(
        16,
        "The widest public IPv4 range a rule may admit, as a prefix length: 16 tolerates a /16 (65,536 addresses)"
        " or narrower; a rule from a wider public range counts as open to everyone",
    ),
    "widest_ipv6_prefix": Setting(
        48,
        "The widest public IPv6 range a rule may admit, as a prefix length: 48 tolerates one organisation's site"
        " (a /48) or narrower; ::/0 and other wider public ranges count as open to everyone",
    ),
}


def network_of(cidr: str | None) -> IPv4Network | IPv6Network:
    try:
        return ip_network(str(cidr), strict=False)
    except ValueError as exc:
        raise MissingData(f"{cidr!r} is not an address range") from exc


def is_private(network: IPv4Network | IPv6Network) -> bool:
    return any(network.version == private.version and network.subnet_of(private) for private in PRIVATE_RANGES)


def address_ranges(permission: dict) -> list[str]:
    """The address ranges a security group rule admits (rules naming groups or prefix lists admit none)."""
    ranges = [item.get("CidrIp") for item in permission.get("IpRanges", [])]
    return ranges + [item.get("CidrIpv6") for item in permission.get("Ipv6Ranges", [])]


def too_wide(permission: dict, settings: dict) -> list[str]:
    """The public ranges of the rule wider than the settings tolerate (0.0.0.0/0 and ::/0 always are)."""
    widest = {4: settings["widest_ipv4_prefix"], 6: settings["widest_ipv6_prefix"]}
    found = []
    for cidr in address_ranges(permission):
        network = network_of(cidr)
        if not is_private(network) and network.prefixlen < widest[network.version]:
            found.append(str(network))
    return found


def denies_everything(entry: dict) -> bool:
    from_anywhere = entry.get("CidrBlock") == ANYWHERE_V4 or entry.get("Ipv6CidrBlock") == ANYWHERE_V6
    return entry.get("RuleAction") == "deny" and from_anywhere and str(entry.get("Protocol")) == "-1"


def reachable_allows(entries: list[dict]) -> list[dict]:
    """Allow entries that some traffic reaches: entries are evaluated in rule order per direction, and a
    deny-all of an address family (IPv4 or IPv6) shadows every later entry of that family."""
    found = []
    for egress in (False, True):
        denied: set[int] = set()
        for entry in sorted((item for item in entries if bool(item.get("Egress")) == egress), key=rule_number):
            family = 6 if entry.get("Ipv6CidrBlock") else 4
            if family in denied:
                continue
            if denies_everything(entry):
                denied.add(family)
            elif entry.get("RuleAction") == "allow":
                found.append(entry)
    return found


def entries_of(acl: dict) -> list[dict]:
    entries = acl.get("entries")
    if entries is None:
        raise MissingData(f"the entries of network ACL {acl.get('network_acl_id')} were not in the answer")
    return entries


def described_entry(acl_id: str, entry: dict) -> str:
    protocol = PROTOCOL_NAMES.get(str(entry.get("Protocol")), f"protocol {entry.get('Protocol')}")
    ports = entry.get("PortRange") or {}
    if protocol in {"tcp", "udp"} and ports:
        low, high = ports.get("From"), ports.get("To")
        protocol += f" {low}" if low == high else f" {low}-{high}"
    direction = "outbound to" if entry.get("Egress") else "inbound from"
    source = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
    return f"{acl_id} rule {entry.get('RuleNumber')} allows {protocol} {direction} {source}"


@check(
    id="vpc_default_vpc_removed_or_isolated",
    title="Default VPC is removed, or isolated (ACLs deny all traffic, default security group without rules)",
    resource="aws.ec2.default_vpc",
    severity="medium",
    controls=NETWORK,
    remediation="""Delete the default VPC in every region once nothing runs in it (EC2 > Your VPCs > Delete). If
    it must stay, isolate it: remove every allow entry from the network ACLs of its subnets and from its default
    network ACL (leaving only the deny-all entries), and remove every inbound and outbound rule of its default
    security group. Detaching the internet gateway alone is not isolation: a later route or peering opens it.""",
)
def default_vpc_removed_or_isolated(slot: dict) -> Result:
    if not field(slot, "present"):
        return Result.passed("no default VPC in this region")
    vpc_id = field(slot, "vpc_id")
    # The default ACL counts even without subnets: every subnet created later joins it.
    acls = [acl for acl in field(slot, "network_acls") if acl.get("subnets") or acl.get("is_default")]
    if not acls:
        raise MissingData(f"no network ACL of the default VPC {vpc_id} was in the answer")
    group = field(slot, "default_security_group")
    open_paths = [
        described_entry(acl.get("network_acl_id"), entry) for acl in acls for entry in reachable_allows(entries_of(acl))
    ]
    ingress, egress = group.get("ingress"), group.get("egress")
    if ingress is None or egress is None:
        raise MissingData(f"the rules of the default security group of {vpc_id} were not in the answer")
    if ingress or egress:
        open_paths.append(
            f"default group {group.get('group_id')} has {len(ingress)} inbound and {len(egress)} outbound rules"
        )
    if open_paths:
        gateways = field(slot, "internet_gateways")
        attached = f"attached to {listed(gateways)}" if gateways else "no internet gateway"
        in_use = f"{field(slot, 'network_interfaces')} network interfaces"
        return Result.failed(f"default VPC {vpc_id} is not isolated: {listed(open_paths, 4)}; {attached}, {in_use}")
    return Result.passed(
        f"default VPC {vpc_id} is isolated: its network ACLs ({listed(acl.get('network_acl_id') for acl in acls)})"
        " deny all traffic and its default security group has no rules"
    )


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


def admin_services(permission: dict) -> list[str]:
    protocol = str(permission.get("IpProtocol"))
    if protocol == "-1":
        return ["all ports"]
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None or protocol not in {"tcp", "udp", "6", "17"}:
        return []
    if low <= 0 and high >= 65535:
        return [f"all {PROTOCOL_NAMES.get(protocol, protocol)} ports"]
    return [f"{name} ({port})" for port, name in ADMIN_PORTS.items() if low <= port <= high]


@check(
    id="vpc_security_group_no_open_admin_ports",
    title="No security group opens SSH, RDP or all ports to the internet or a very large range",
    resource="aws.ec2.security_group",
    severity="high",
    controls=NETWORK + ("iso27001-2022:A.8.18", "soc2-2017:CC6.1"),
    remediation="""Remove inbound rules from 0.0.0.0/0, ::/0 and other very large public ranges on SSH, RDP and
    port ranges; reach instances through Session Manager, a bastion reachable only from known addresses, or a
    VPN.""",
    settings=WIDEST_RANGES,
)
def security_group_no_open_admin_ports(group: dict, settings: dict) -> Result:
    findings = []
    for permission in field(group, "ingress"):
        sources = too_wide(permission, settings)
        if sources:
            findings += [f"{service} from {' and '.join(sources)}" for service in admin_services(permission)]
    if findings:
        return Result.failed(f"open to the internet: {listed(findings)}")
    return Result.passed("no administrative or all-port access from the internet or a very large public range")


def ports_not_for_the_public(permission: dict, public_ports: set[int]) -> str | None:
    """What the rule opens beyond the public ports, or None when it opens only those (or only ICMP)."""
    protocol = str(permission.get("IpProtocol"))
    name = PROTOCOL_NAMES.get(protocol, protocol)
    if name in ICMP:
        return None  # no ports: ping and path MTU discovery are not judged here
    if name == "all traffic":
        return name
    if name not in {"tcp", "udp"}:
        return f"protocol {protocol}"
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None:
        raise MissingData(f"a {name} rule without its port range")
    if high - low < len(public_ports) and all(port in public_ports for port in range(low, high + 1)):
        return None
    return f"{name} {low}" if low == high else f"{name} {low}-{high}"


@check(
    id="vpc_security_group_no_public_ports",
    title="No security group opens a port not meant for the public to the internet or a very large range",
    resource="aws.ec2.security_group",
    severity="high",
    controls=NETWORK,
    remediation="""Keep only the public ports (by default 80 and 443) open to everyone; admit every other port
    from the security groups of the resources that use it, from your own address ranges, or through a VPN or
    Session Manager. A database, cache or admin interface never needs 0.0.0.0/0 or ::/0.""",
    settings={
        "public_ports": Setting(
            [80, 443],
            "Ports any address may reach (TCP or UDP); every other port open to the"
            " internet or a very large public range is a failure",
        ),
        **WIDEST_RANGES,
    },
)
def security_group_no_public_ports(group: dict, settings: dict) -> Result:
    public_ports = set(settings["public_ports"])  # whole numbers: the registry refuses any other item
    findings = []
    for permission in field(group, "ingress"):
        sources = too_wide(permission, settings)
        opened = ports_not_for_the_public(permission, public_ports) if sources else None
        if opened:
            findings.append(f"{opened} from {' and '.join(sources)}")
    allowed = listed(sorted(public_ports)) or "none"
    if findings:
        return Result.failed(f"open beyond the public ports ({allowed}): {listed(findings)}")
    return Result.passed(f"only the public ports ({allowed}) are open to the internet or a very large range")


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


def same_server(one: str, other: str) -> bool:
    try:
        return ip_address(one) == ip_address(other)
    except ValueError:
        return one.strip().lower().rstrip(".") == other.strip().lower().rstrip(".")


def described_option_set(ident: str | None) -> str:
    # AWS shows a VPC associated with "no DHCP options" as the option set "default".
    if not ident or ident == "default":
        return "no DHCP option set"
    return f"DHCP option set {ident}"


@check(
    id="vpc_time_sync_approved_ntp",
    title="Instances in the VPC take their time from approved NTP servers (the Amazon Time Sync Service)",
    resource="aws.ec2.vpc",
    severity="low",
    controls=("iso27001-2022:A.8.17", "iso27001-2013:A.12.4.4", "soc2-2017:CC7.2"),
    remediation="""Associate the VPC with a DHCP option set without `ntp-servers`, or with only the Amazon Time
    Sync Service addresses (169.254.169.123 and fd00:ec2::123); point chrony or the Windows time service at
    169.254.169.123 in your images, so that every log line carries the same clock.""",
    settings={
        "approved_ntp_servers": Setting(
            AMAZON_TIME_SYNC,
            "NTP servers a DHCP option set may hand to instances; by default the Amazon Time Sync Service addresses",
        )
    },
)
def time_sync_approved_ntp(vpc: dict, settings: dict) -> Result:
    option_set = described_option_set(field(vpc, "dhcp_options_id", allow_none=True))
    servers = field(vpc, "ntp_servers")
    approved = [str(server) for server in settings["approved_ntp_servers"]]
    if not servers:
        return Result.passed(
            f"{option_set} names no NTP server: instances use the Amazon Time Sync Service (169.254.169.123),"
            " which Amazon's images and Nitro instances use by default"
        )
    unapproved = [server for server in servers if not any(same_server(server, item) for item in approved)]
    if unapproved:
        return Result.failed(f"{option_set} hands instances unapproved NTP servers: {listed(unapproved)}")
    return Result.passed(f"{option_set} names only approved NTP servers: {listed(servers)}")
