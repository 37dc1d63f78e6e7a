"""VPC checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

LOGGED = doc(
    "aws.ec2.vpc",
    flow_logs=[{"flow_log_id": "fl-1", "status": "ACTIVE", "traffic_type": "ALL", "destination_type": "s3"}],
)
SSH_FROM_ANYWHERE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
RDP_FROM_ANYWHERE_V6 = {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 4000, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
ALL_FROM_ANYWHERE = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
HTTPS_FROM_ANYWHERE = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
SSH_FROM_OFFICE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}
ALLOW_ALL_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def group(*, default=False, ingress=(), egress=()) -> dict:
    return doc("aws.ec2.security_group", is_default=default, ingress=list(ingress), egress=list(egress))


def entry(number, action, *, egress=False, protocol="-1", cidr="0.0.0.0/0") -> dict:
    return {"RuleNumber": number, "RuleAction": action, "Egress": egress, "Protocol": protocol, "CidrBlock": cidr}


AWS_DEFAULT_ACL = [entry(100, "allow"), entry(32767, "deny"), entry(100, "allow", egress=True)]
WEB_ACL = [entry(100, "allow", protocol="6", cidr="0.0.0.0/0"), entry(32767, "deny")]
DENY_ALL = [entry(32767, "deny"), entry(32767, "deny", egress=True)]
DENY_ALL_V6 = [{**entry(32768, "deny"), "CidrBlock": None, "Ipv6CidrBlock": "::/0"}]
CLOSED_GROUP = {"group_id": "sg-d", "ingress": [], "egress": []}


def default_vpc(*, acls=None, group=CLOSED_GROUP, gateways=()) -> dict:
    acls = acls if acls is not None else [acl("acl-d", DENY_ALL, subnets=["subnet-a"], default=True)]
    return doc(
        "aws.ec2.default_vpc",
        present=True,
        vpc_id="vpc-d",
        internet_gateways=list(gateways),
        network_interfaces=0,
        network_acls=acls,
        default_security_group=group,
    )


def acl(ident, entries, *, subnets=(), default=False) -> dict:
    return {"network_acl_id": ident, "is_default": default, "subnets": list(subnets), "entries": entries}


NO_DEFAULT = doc("aws.ec2.default_vpc", present=False, vpc_id=None, internet_gateways=[], network_interfaces=0)
ISOLATED = default_vpc()
# AWS's default VPC as created: allow-all ACL entries and a default group allowing all outbound traffic.
AS_CREATED = default_vpc(
    acls=[acl("acl-d", AWS_DEFAULT_ACL, subnets=["subnet-a", "subnet-b"], default=True)],
    group={"group_id": "sg-d", "ingress": [], "egress": [ALLOW_ALL_EGRESS]},
    gateways=["igw-1"],
)
# A detached internet gateway is not isolation: the ACLs still let everything through.
NO_GATEWAY_OPEN_ACL = default_vpc(acls=[acl("acl-d", AWS_DEFAULT_ACL, subnets=["subnet-a"], default=True)])


def sg(*ingress) -> dict:
    return doc("aws.ec2.security_group", is_default=False, ingress=list(ingress), egress=[])


def rule(protocol, low, high, *, v4=(), v6=()) -> dict:
    return {
        "IpProtocol": protocol,
        "FromPort": low,
        "ToPort": high,
        "IpRanges": [{"CidrIp": cidr} for cidr in v4],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in v6],
    }


def vpc_with_ntp(servers, option_set="dopt-1") -> dict:
    return doc("aws.ec2.vpc", dhcp_options_id=option_set, ntp_servers=servers, flow_logs=[])


CASES = [
    Case("vpc_default_vpc_removed_or_isolated", Status.PASS, NO_DEFAULT, "deleted", reason="no default VPC"),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.PASS,
        ISOLATED,
        "deny-all ACLs, empty default group",
        reason="is isolated",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.PASS,
        default_vpc(
            acls=[
                acl("acl-d", [entry(50, "deny"), entry(100, "allow"), *DENY_ALL], subnets=["subnet-a"], default=True),
                acl("acl-spare", AWS_DEFAULT_ACL),
            ],
        ),
        "an allow-all shadowed by an earlier deny-all; an ACL of no subnet is not judged",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.FAIL,
        AS_CREATED,
        "as AWS creates it",
        reason="acl-d rule 100 allows all traffic inbound from 0.0.0.0/0",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.FAIL,
        NO_GATEWAY_OPEN_ACL,
        "no internet gateway but open ACLs",
        reason="not isolated",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.FAIL,
        default_vpc(group={"group_id": "sg-d", "ingress": [], "egress": [ALLOW_ALL_EGRESS]}),
        "closed ACLs, but the default group allows outbound",
        reason="sg-d has 0 inbound and 1 outbound",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.FAIL,
        default_vpc(
            acls=[
                acl("acl-d", DENY_ALL + DENY_ALL_V6, default=True),
                acl(
                    "acl-web",
                    [*DENY_ALL_V6, entry(100, "allow", protocol="6") | {"PortRange": {"From": 443, "To": 443}}],
                    subnets=["subnet-a"],
                ),
            ]
        ),
        "IPv6 denied, but IPv4 HTTPS allowed on a subnet's ACL",
        reason="acl-web rule 100 allows tcp 443 inbound from 0.0.0.0/0",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.ERROR,
        failed_read(ISOLATED, "network_acls"),
        "ACLs unreadable",
        reason="access denied",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.ERROR,
        failed_read(ISOLATED, "default_security_group"),
        "default group unreadable",
    ),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.ERROR,
        default_vpc(acls=[acl("acl-spare", DENY_ALL)]),
        "no ACL of a subnet nor the default ACL in the answer",
        reason="no network ACL",
    ),
    Case("vpc_flow_logs_enabled", Status.PASS, LOGGED, "active flow log", reason="fl-1"),
    Case("vpc_flow_logs_enabled", Status.FAIL, doc("aws.ec2.vpc", flow_logs=[]), "none", reason="no active"),
    Case(
        "vpc_flow_logs_enabled",
        Status.FAIL,
        doc("aws.ec2.vpc", flow_logs=[{"flow_log_id": "fl-2", "status": "FAILED"}]),
        "only a failed flow log",
    ),
    Case("vpc_flow_logs_enabled", Status.ERROR, failed_read(LOGGED, "flow_logs"), "flow logs unreadable"),
    Case("vpc_default_security_group_closed", Status.PASS, group(default=True), "no rules"),
    Case(
        "vpc_default_security_group_closed",
        Status.FAIL,
        group(default=True, egress=[ALLOW_ALL_EGRESS]),
        "AWS's allow-all egress left in place",
        reason="1 outbound",
    ),
    Case(
        "vpc_default_security_group_closed",
        Status.NOT_APPLICABLE,
        group(ingress=[HTTPS_FROM_ANYWHERE]),
        "not a default group",
    ),
    Case("vpc_default_security_group_closed", Status.ERROR, without(group(default=True), "egress"), "no egress"),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.PASS,
        group(ingress=[HTTPS_FROM_ANYWHERE, SSH_FROM_OFFICE]),
        "HTTPS from anywhere, SSH from the office",
    ),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.FAIL,
        group(ingress=[SSH_FROM_ANYWHERE]),
        "SSH from anywhere",
        reason="SSH (22) from 0.0.0.0/0",
    ),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.FAIL,
        group(ingress=[RDP_FROM_ANYWHERE_V6]),
        "a port range covering RDP from any IPv6 address",
        reason="RDP (3389) from ::/0",
    ),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.FAIL,
        group(ingress=[ALL_FROM_ANYWHERE]),
        "all traffic from anywhere",
        reason="all ports",
    ),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.FAIL,
        sg(rule("tcp", 22, 22, v4=["52.0.0.0/8"])),
        "SSH from a /8 of public addresses",
        reason="SSH (22) from 52.0.0.0/8",
    ),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.PASS,
        sg(rule("tcp", 22, 22, v4=["10.0.0.0/8", "198.51.100.0/22"], v6=["2001:db8:1::/48"])),
        "SSH from a private range, an office /22 and an IPv6 /48",
    ),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.FAIL,
        sg(rule("tcp", 22, 22, v4=["198.51.100.0/22"])),
        "a CISO who tolerates only /24 or narrower",
        reason="SSH (22) from 198.51.100.0/22",
        settings={"widest_ipv4_prefix": 24},
    ),
    Case("vpc_security_group_no_open_admin_ports", Status.ERROR, without(group(), "ingress"), "not collected"),
    Case(
        "vpc_security_group_no_open_admin_ports",
        Status.ERROR,
        sg(rule("tcp", 22, 22, v4=["not-a-range"])),
        "an address range that cannot be read",
        reason="not an address range",
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.PASS,
        sg(rule("tcp", 443, 443, v4=["0.0.0.0/0"], v6=["::/0"]), rule("tcp", 80, 80, v4=["0.0.0.0/0"])),
        "web ports from everyone",
        reason="80, 443",
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.PASS,
        sg(
            rule("tcp", 5432, 5432, v4=["10.0.0.0/8"], v6=["fd00::/8"]),
            rule("tcp", 8080, 8080, v4=["203.0.113.0/24"]),
            rule("icmp", -1, -1, v4=["0.0.0.0/0"]),
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-app"}]},
        ),
        "private ranges, a partner /24, ping from anywhere, all from a group",
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.FAIL,
        sg(rule("tcp", 5432, 5432, v4=["0.0.0.0/0"])),
        "a database from anywhere",
        reason="tcp 5432 from 0.0.0.0/0",
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.FAIL,
        sg(rule("tcp", 80, 443, v6=["::/0"])),
        "a range spanning the web ports from any IPv6 address",
        reason="tcp 80-443 from ::/0",
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.FAIL,
        sg(rule("tcp", 8443, 8443, v6=["2600::/16"])),
        "a /16 of IPv6 is no one's site",
        reason="tcp 8443 from 2600::/16",
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.FAIL,
        sg(ALL_FROM_ANYWHERE),
        "all traffic from anywhere",
        reason="all traffic from 0.0.0.0/0",
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.FAIL,
        sg(rule("tcp", 80, 80, v4=["0.0.0.0/0"])),
        "an account that serves only HTTPS",
        reason="tcp 80 from 0.0.0.0/0",
        settings={"public_ports": [443]},
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.PASS,
        sg(rule("udp", 443, 443, v4=["0.0.0.0/0"]), rule("tcp", 25, 25, v4=["0.0.0.0/0"])),
        "HTTP/3 and a mail server the account declared public",
        settings={"public_ports": [25, 443]},
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.FAIL,
        sg({"IpProtocol": "50", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        "IPsec ESP from anywhere",
        reason="protocol 50 from 0.0.0.0/0",
    ),
    Case("vpc_security_group_no_public_ports", Status.ERROR, without(group(), "ingress"), "not collected"),
    Case(
        "vpc_security_group_no_public_ports",
        Status.ERROR,
        sg(rule("tcp", 22, 22, v4=["0.0.0.0/0"])),
        "public ports that are not port numbers",
        reason="public_ports must be a list of whole numbers",
        settings={"public_ports": ["https"]},
    ),
    Case(
        "vpc_security_group_no_public_ports",
        Status.ERROR,
        sg({"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        "a tcp rule without ports",
        reason="without its port range",
    ),
    Case(
        "vpc_time_sync_approved_ntp",
        Status.PASS,
        vpc_with_ntp([], option_set="default"),
        "no DHCP options (AWS shows them as default)",
        reason="Amazon Time Sync Service",
    ),
    Case(
        "vpc_time_sync_approved_ntp",
        Status.PASS,
        vpc_with_ntp(["169.254.169.123", "fd00:ec2:0::123"]),
        "the Time Sync addresses, IPv6 written long",
        reason="only approved",
    ),
    Case(
        "vpc_time_sync_approved_ntp",
        Status.FAIL,
        vpc_with_ntp(["169.254.169.123", "pool.ntp.org"]),
        "a public pool besides Time Sync",
        reason="unapproved NTP servers: pool.ntp.org",
    ),
    Case(
        "vpc_time_sync_approved_ntp",
        Status.PASS,
        vpc_with_ntp(["10.0.0.5"]),
        "the company's own time servers, approved",
        settings={"approved_ntp_servers": ["10.0.0.5", "10.0.1.5"]},
    ),
    Case(
        "vpc_time_sync_approved_ntp",
        Status.ERROR,
        failed_read(vpc_with_ntp([]), "ntp_servers"),
        "DHCP options unreadable",
        reason="access denied",
    ),
    Case("vpc_network_acl_no_open_inbound", Status.PASS, doc("aws.ec2.network_acl", entries=WEB_ACL), "tcp only"),
    Case(
        "vpc_network_acl_no_open_inbound",
        Status.PASS,
        doc("aws.ec2.network_acl", entries=[entry(90, "deny"), entry(100, "allow")]),
        "a deny-all before the allow-all",
    ),
    Case(
        "vpc_network_acl_no_open_inbound",
        Status.FAIL,
        doc("aws.ec2.network_acl", entries=AWS_DEFAULT_ACL),
        "AWS default ACL",
        reason="rule 100",
    ),
    Case(
        "vpc_network_acl_no_open_inbound",
        Status.ERROR,
        without(doc("aws.ec2.network_acl", entries=WEB_ACL), "entries"),
        "not collected",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_vpc_check(case):
    assert_case(case)
