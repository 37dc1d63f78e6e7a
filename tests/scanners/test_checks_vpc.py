"""VPC checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

NO_DEFAULT = doc("aws.ec2.default_vpc", present=False, vpc_id=None, internet_gateways=[], network_interfaces=0)
ISOLATED = doc("aws.ec2.default_vpc", present=True, vpc_id="vpc-d", internet_gateways=[], network_interfaces=0)
EXPOSED = doc("aws.ec2.default_vpc", present=True, vpc_id="vpc-d", internet_gateways=["igw-1"], network_interfaces=3)
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

CASES = [
    Case("vpc_default_vpc_removed_or_isolated", Status.PASS, NO_DEFAULT, "deleted", reason="no default VPC"),
    Case("vpc_default_vpc_removed_or_isolated", Status.PASS, ISOLATED, "no internet gateway"),
    Case("vpc_default_vpc_removed_or_isolated", Status.FAIL, EXPOSED, "internet gateway attached", reason="igw-1"),
    Case(
        "vpc_default_vpc_removed_or_isolated",
        Status.ERROR,
        failed_read(EXPOSED, "internet_gateways"),
        "gateways unreadable",
        reason="access denied",
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
    Case("vpc_security_group_no_open_admin_ports", Status.ERROR, without(group(), "ingress"), "not collected"),
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
