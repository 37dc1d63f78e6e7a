"""Networks collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.checks.base import Status
from tests.scanners.documents import scan

pytestmark = pytest.mark.integration

ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]


def named(name: str, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def default_group_of(ec2, vpc_id: str) -> dict:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    return ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]


@pytest.fixture
def networks(aws):
    """Ireland: a logged VPC with a closed default group and a web-only ACL, an unlogged VPC with an open SSH
    group, and a default VPC reachable from the internet. Virginia: an untouched, isolated default VPC."""
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
    return {
        "web": f"web ({web})",
        "ssh": f"ssh-open ({ssh})",
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


def test_default_network_acls_allow_everything_and_fail(networks):
    result = scan("vpc")
    defaults = [item for item in result.documents if item.type == "aws.ec2.network_acl" and item.config["is_default"]]
    assert defaults
    assert {result.status("vpc_network_acl_no_open_inbound", item.name) for item in defaults} == {Status.FAIL}


def test_default_vpc_is_judged_in_each_region(networks):
    result = scan("vpc", regions=("eu-west-1", "us-east-1"))

    exposed = result.result("vpc_default_vpc_removed_or_isolated", "default VPC in eu-west-1")
    assert exposed.status == Status.FAIL and "igw-" in exposed.reason
    assert result.status("vpc_default_vpc_removed_or_isolated", "default VPC in us-east-1") == Status.PASS
    assert result.named("default VPC in us-east-1").uid == "123456789012/us-east-1/default-vpc"
