"""Web filtering collected over HTTP, then judged: EC2 (VPCs, route tables) from the moto server; Route 53
Resolver DNS Firewall, which moto does not implement, and Network Firewall, whose policies moto does not
describe, from local servers answering the real APIs' shapes."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.local_network_firewall import local_network_firewall
from tests.scanners.local_route53resolver import local_route53resolver

pytestmark = pytest.mark.integration

BLOCKS = "dnsfirewall_blocks_threat_domains"
MALWARE = "AWSManagedDomainsMalwareDomainList"
BOTNET = "AWSManagedDomainsBotnetCommandandControl"


def vpc(ec2, name: str, cidr: str) -> str:
    tags = [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}]
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=tags)["Vpc"]["VpcId"]


def main_route_table(ec2, vpc_id: str) -> str:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    return ec2.describe_route_tables(Filters=filters)["RouteTables"][0]["RouteTableId"]


@pytest.fixture
def networks(aws):
    """shop routes to an internet gateway, backend to a NAT gateway (over IPv4) and private nowhere."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    shop = vpc(ec2, "shop", "10.0.0.0/16")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=shop)
    ec2.create_route(RouteTableId=main_route_table(ec2, shop), DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    backend = vpc(ec2, "backend", "10.1.0.0/16")
    subnet = ec2.create_subnet(VpcId=backend, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=address)["NatGateway"]["NatGatewayId"]
    ec2.create_route(RouteTableId=main_route_table(ec2, backend), DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    private = vpc(ec2, "private", "10.2.0.0/16")
    return {"shop": shop, "backend": backend, "private": private, "gateway": gateway}


@pytest.fixture
def resolver(networks, monkeypatch):
    with local_route53resolver() as local:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ROUTE53RESOLVER", local.url)
        yield local


def test_vpcs_that_reach_the_internet_must_block_the_managed_threat_lists(networks, resolver):
    own = resolver.own_domain_list("partner-domains")
    blocking = resolver.rule_group(
        "rslvr-frg-threats",
        (resolver.list_id(MALWARE), "BLOCK"),
        (resolver.list_id(BOTNET), "BLOCK"),
        (own, "ALLOW"),
    )
    trying_out = resolver.rule_group(
        "rslvr-frg-trial", (resolver.list_id(MALWARE), "BLOCK"), (resolver.list_id(BOTNET), "ALERT")
    )
    resolver.associate(blocking, networks["shop"])
    resolver.associate(trying_out, networks["backend"])

    result = scan("dnsfirewall")

    assert not result.errors
    shop = result.result(BLOCKS, "shop")
    assert shop.status == Status.PASS
    assert shop.reason == f"DNS Firewall rule group rslvr-frg-threats-on-{networks['shop']} blocks {MALWARE}, {BOTNET}"
    backend = result.result(BLOCKS, "backend")
    assert backend.status == Status.FAIL
    assert "0.0.0.0/0 via nat-" in backend.reason and f"Network Firewall blocks {BOTNET}; " in backend.reason
    assert f"{BOTNET} (ALERT)" in backend.reason
    private = result.result(BLOCKS, "private")
    assert private.status == Status.NOT_APPLICABLE and "no route to an internet or NAT gateway" in private.reason
    # Every list came in pages of two: the collector followed NextToken to the end.
    assert resolver.operations.count("ListFirewallDomainLists") == 3
    assert resolver.operations.count("ListFirewallRules") == 3


def test_a_vpc_with_no_rule_group_fails(networks, resolver):
    result = scan("dnsfirewall")

    shop = result.result(BLOCKS, "shop")
    assert shop.status == Status.FAIL
    assert f"0.0.0.0/0 via {networks['gateway']}" in shop.reason and f"Network Firewall blocks {MALWARE}" in shop.reason


def test_rules_that_cannot_be_listed_are_an_error_never_a_pass(networks, resolver):
    group = resolver.rule_group("rslvr-frg-threats", (resolver.list_id(MALWARE), "BLOCK"))
    resolver.associate(group, networks["shop"])
    resolver.fail("ListFirewallRules")

    result = scan("dnsfirewall", factory=ClientFactory(max_attempts=1))

    denied = result.result(BLOCKS, "shop")
    assert denied.status == Status.ERROR
    assert "dns firewall rule groups could not be read: access denied: ListFirewallRules" in denied.reason
    assert result.status(BLOCKS, "private") == Status.NOT_APPLICABLE


def test_moto_answers_no_dns_firewall_call_so_the_demo_shows_errors(networks):
    result = scan("dnsfirewall", factory=ClientFactory(max_attempts=1))

    unread = result.result(BLOCKS, "shop")
    assert unread.status == Status.ERROR and "not implemented by the endpoint: ListFirewallDomainLists" in unread.reason
    assert result.status(BLOCKS, "private") == Status.NOT_APPLICABLE


@pytest.fixture
def network_firewall(networks, monkeypatch):
    with local_network_firewall() as local:
        monkeypatch.setenv("AWS_ENDPOINT_URL_NETWORK_FIREWALL", local.url)
        yield local


def test_a_network_firewall_enforcing_the_managed_domain_rule_groups_filters_the_vpc(
    networks, resolver, network_firewall
):
    enforcing = network_firewall.policy(
        "egress",
        {"ResourceArn": network_firewall.managed_group("MalwareDomainsStrictOrder"), "Priority": 10},
        {"ResourceArn": network_firewall.managed_group("BotNetCommandAndControlDomainsStrictOrder"), "Priority": 20},
    )
    alerting = network_firewall.policy(
        "trial",
        {
            "ResourceArn": network_firewall.managed_group("MalwareDomainsStrictOrder"),
            "Priority": 10,
            "Override": {"Action": "DROP_TO_ALERT"},
        },
    )
    network_firewall.firewall("backend-egress", networks["backend"], enforcing)
    network_firewall.firewall("shop-trial", networks["shop"], alerting)

    result = scan("dnsfirewall")

    backend = result.result(BLOCKS, "backend")
    assert backend.status == Status.PASS
    assert backend.reason == f"Network Firewall backend-egress blocks {MALWARE}, {BOTNET}"
    shop = result.result(BLOCKS, "shop")
    assert shop.status == Status.FAIL and f"neither DNS nor Network Firewall blocks {MALWARE}" in shop.reason
    assert network_firewall.operations.count("ListFirewalls") == 2  # pages of one, followed to the end


def test_firewall_policies_that_cannot_be_read_are_an_error_never_a_pass(networks, resolver, network_firewall):
    policy = network_firewall.policy(
        "egress", {"ResourceArn": network_firewall.managed_group("MalwareDomainsStrictOrder"), "Priority": 10}
    )
    network_firewall.firewall("backend-egress", networks["backend"], policy)
    network_firewall.fail("DescribeFirewallPolicy")

    result = scan("dnsfirewall", factory=ClientFactory(max_attempts=1))

    denied = result.result(BLOCKS, "backend")
    assert denied.status == Status.ERROR
    assert "network firewalls could not be read: access denied: DescribeFirewallPolicy" in denied.reason
