"""VPC peering collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

SEPARATED = "vpcpeering_environments_separated"


def tagged_vpc(ec2, cidr: str, **tags) -> str:
    tag_list = [{"Key": key, "Value": value} for key, value in tags.items()]
    specification = [{"ResourceType": "vpc", "Tags": tag_list}] if tag_list else []
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=specification)["Vpc"]["VpcId"]


def peer(ec2, requester: str, accepter: str, name: str, **params) -> str:
    tags = [{"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "Name", "Value": name}]}]
    connection = ec2.create_vpc_peering_connection(
        VpcId=requester, PeerVpcId=accepter, TagSpecifications=tags, **params
    )["VpcPeeringConnection"]
    return connection["VpcPeeringConnectionId"]


@pytest.fixture
def peerings(aws):
    """In Ireland: payments peers with reporting (both production) and with a sandbox (dev)."""
    ireland = boto3.client("ec2", region_name="eu-west-1")
    payments = tagged_vpc(ireland, "10.0.0.0/16", Name="payments", Environment="production")
    reporting = tagged_vpc(ireland, "10.1.0.0/16", Name="reporting", environment="Production")
    sandbox = tagged_vpc(ireland, "10.2.0.0/16", Name="sandbox", environment="dev")
    ireland.accept_vpc_peering_connection(VpcPeeringConnectionId=peer(ireland, payments, reporting, "prod-to-prod"))
    peer(ireland, payments, sandbox, "prod-to-dev")
    return {"moto": aws, "ireland": ireland, "payments": payments, "sandbox": sandbox}


def test_peering_within_an_environment_passes_and_across_environments_fails(peerings):
    result = scan("vpcpeering")

    assert not result.errors
    assert result.status(SEPARATED, "prod-to-prod") == Status.PASS
    crossing = result.result(SEPARATED, "prod-to-dev")
    assert crossing.status == Status.FAIL
    assert f"{peerings['payments']} (environment=production) with {peerings['sandbox']} (environment=dev)" in (
        crossing.reason
    )


def test_a_peering_across_regions_is_judged_once_with_the_tags_read_in_each_region(peerings):
    virginia = boto3.client("ec2", region_name="us-east-1")
    untagged = tagged_vpc(virginia, "10.3.0.0/16", Name="legacy")
    peer(peerings["ireland"], peerings["payments"], untagged, "prod-to-legacy", PeerRegion="us-east-1")

    result = scan("vpcpeering", regions=("eu-west-1", "us-east-1"))

    assert [item.region for item in result.documents if item.name == "prod-to-legacy"] == ["eu-west-1"]
    legacy = result.result(SEPARATED, "prod-to-legacy")
    assert legacy.status == Status.FAIL and f"{untagged} has no environment tag" in legacy.reason


def test_vpc_tags_that_cannot_be_read_are_an_error_never_a_pass(peerings, monkeypatch):
    with faulty_endpoint(peerings["moto"]) as endpoint:
        endpoint.fail(action("DescribeVpcs"), status=403, code="UnauthorizedOperation", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("vpcpeering", factory=ClientFactory(max_attempts=1))

    denied = result.result(SEPARATED, "prod-to-prod")
    assert denied.status == Status.ERROR and "vpc tags could not be read" in denied.reason


def test_peering_connections_that_cannot_be_listed_are_an_error(peerings, monkeypatch):
    with faulty_endpoint(peerings["moto"]) as endpoint:
        endpoint.fail(action("DescribeVpcPeeringConnections"), status=503, code="Unavailable", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("vpcpeering", factory=ClientFactory(max_attempts=1))

    assert not result.documents
    assert result.error_for("aws.vpcpeering.connection") is not None
