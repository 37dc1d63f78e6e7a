"""Networks collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]


def named(name: str, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def default_group_of(ec2, vpc_id: str) -> dict:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    return ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]


def isolate_default_vpc(ec2) -> str:
    """Leave only the deny-all entries in the default VPC's ACLs and empty its default security group."""
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    for acl in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]:
        for entry in acl["Entries"]:
            if entry["RuleAction"] == "allow":
                ec2.delete_network_acl_entry(
                    NetworkAclId=acl["NetworkAclId"], RuleNumber=entry["RuleNumber"], Egress=entry["Egress"]
                )
    group = default_group_of(ec2, vpc_id)
    ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    return vpc_id


def ntp_option_set(ec2, vpc_id: str, *servers: str) -> None:
    configurations = [{"Key": "ntp-servers", "Values": list(servers)}, {"Key": "domain-name", "Values": ["corp"]}]
    option_set = ec2.create_dhcp_options(DhcpConfigurations=configurations)["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=option_set, VpcId=vpc_id)


@pytest.fixture
def networks(aws):
    """Ireland: a logged VPC with a closed default group, a web-only ACL and Amazon's time servers, an unlogged
    VPC with an open SSH group and a public NTP pool, and a default VPC reachable from the internet.
    Virginia: a default VPC isolated by deny-all ACLs and an empty default group."""
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="flow-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    logged = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=named("payments", "vpc"))["Vpc"]["VpcId"]
    unlogged = ec2.create_vpc(CidrBlock="10.2.0.0/16", TagSpecifications=named("sandbox", "vpc"))["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[logged],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs",
    )
    closed = default_group_of(ec2, logged)
    ec2.revoke_security_group_egress(GroupId=closed["GroupId"], IpPermissions=closed["IpPermissionsEgress"])

    web = ec2.create_security_group(GroupName="web", Description="HTTPS in", VpcId=logged)["GroupId"]
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": ANYWHERE}
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[https])
    ssh = ec2.create_security_group(GroupName="ssh-open", Description="SSH from anywhere", VpcId=unlogged)["GroupId"]
    ssh_rule = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": ANYWHERE}
    ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[ssh_rule])
    cache = ec2.create_security_group(GroupName="cache", Description="Redis from a /8", VpcId=unlogged)["GroupId"]
    redis = {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "IpRanges": [{"CidrIp": "52.0.0.0/8"}]}
    ec2.authorize_security_group_ingress(GroupId=cache, IpPermissions=[redis])
    ntp_option_set(ec2, logged, "169.254.169.123", "fd00:ec2::123")
    ntp_option_set(ec2, unlogged, "169.254.169.123", "pool.ntp.org")

    acl = ec2.create_network_acl(VpcId=logged, TagSpecifications=named("web-acl", "network-acl"))
    ec2.create_network_acl_entry(
        NetworkAclId=acl["NetworkAcl"]["NetworkAclId"],
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 443, "To": 443},
    )

    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=default_vpc)
    isolate_default_vpc(boto3.client("ec2", region_name="us-east-1"))
    return {
        "web": f"web ({web})",
        "ssh": f"ssh-open ({ssh})",
        "cache": f"cache ({cache})",
        "closed_default": f"default ({closed['GroupId']})",
        "open_default": f"default ({default_group_of(ec2, unlogged)['GroupId']})",
    }


def test_networks_are_judged_end_to_end(networks):
    result = scan("vpc", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status("vpc_flow_logs_enabled", "payments") == Status.PASS
    assert result.status("vpc_flow_logs_enabled", "sandbox") == Status.FAIL
    assert result.status("vpc_security_group_no_open_admin_ports", networks["web"]) == Status.PASS
    open_ssh = result.result("vpc_security_group_no_open_admin_ports", networks["ssh"])
    assert open_ssh.status == Status.FAIL and "SSH (22)" in open_ssh.reason
    assert result.status("vpc_default_security_group_closed", networks["closed_default"]) == Status.PASS
    assert result.status("vpc_default_security_group_closed", networks["open_default"]) == Status.FAIL
    assert result.status("vpc_network_acl_no_open_inbound", "web-acl") == Status.PASS
    assert result.status("vpc_security_group_no_public_ports", networks["web"]) == Status.PASS
    assert result.status("vpc_security_group_no_public_ports", networks["ssh"]) == Status.FAIL
    cache = result.result("vpc_security_group_no_public_ports", networks["cache"])
    assert cache.status == Status.FAIL and "tcp 6379 from 52.0.0.0/8" in cache.reason
    assert result.status("vpc_time_sync_approved_ntp", "payments") == Status.PASS
    public_pool = result.result("vpc_time_sync_approved_ntp", "sandbox")
    assert public_pool.status == Status.FAIL and "pool.ntp.org" in public_pool.reason
    untouched = result.result("vpc_time_sync_approved_ntp", result.named("default VPC in us-east-1").config["vpc_id"])
    assert untouched.status == Status.PASS and "Amazon Time Sync" in untouched.reason


def test_default_network_acls_allow_everything_and_fail(networks):
    result = scan("vpc")
    defaults = [item for item in result.documents if item.type == "aws.ec2.network_acl" and item.config["is_default"]]
    assert defaults
    assert {result.status("vpc_network_acl_no_open_inbound", item.name) for item in defaults} == {Status.FAIL}


def test_default_vpc_is_judged_in_each_region(networks):
    result = scan("vpc", regions=("eu-west-1", "us-east-1"))

    exposed = result.result("vpc_default_vpc_removed_or_isolated", "default VPC in eu-west-1")
    assert exposed.status == Status.FAIL and "igw-" in exposed.reason
    assert "allows all traffic inbound from 0.0.0.0/0" in exposed.reason
    isolated = result.result("vpc_default_vpc_removed_or_isolated", "default VPC in us-east-1")
    assert isolated.status == Status.PASS and "is isolated" in isolated.reason
    assert result.named("default VPC in us-east-1").uid == "123456789012/us-east-1/default-vpc"


def test_a_default_vpc_without_internet_gateway_but_open_acls_is_not_isolated(aws):
    result = scan("vpc", regions=("us-east-1",))

    untouched = result.result("vpc_default_vpc_removed_or_isolated", "default VPC in us-east-1")
    assert untouched.status == Status.FAIL
    assert "not isolated" in untouched.reason and "no internet gateway" in untouched.reason


def test_unreadable_acls_and_dhcp_options_are_errors_never_passes(aws, monkeypatch):
    isolate_default_vpc(boto3.client("ec2", region_name="eu-west-1"))
    with faulty_endpoint(aws) as endpoint:
        for name in ("DescribeNetworkAcls", "DescribeDhcpOptions"):
            endpoint.fail(action(name), status=403, code="UnauthorizedOperation", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("vpc", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    default_vpc = result.result("vpc_default_vpc_removed_or_isolated", "default VPC in eu-west-1")
    assert default_vpc.status == Status.ERROR and "UnauthorizedOperation" in default_vpc.reason
    vpc_id = result.named("default VPC in eu-west-1").config["vpc_id"]
    assert result.status("vpc_time_sync_approved_ntp", vpc_id) == Status.ERROR
    assert result.status("vpc_flow_logs_enabled", vpc_id) == Status.FAIL
    assert result.error_for("aws.ec2.network_acl")
