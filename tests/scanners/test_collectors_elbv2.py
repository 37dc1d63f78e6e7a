"""Load balancers collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.checks.base import Status
from tests.scanners.documents import scan

pytestmark = pytest.mark.integration

ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]


def open_on(ec2, vpc_id: str, name: str, *ports: int) -> str:
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)["GroupId"]
    rules = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": ANYWHERE} for port in ports]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
    return group


@pytest.fixture
def balancers(aws):
    """'storefront' serves HTTPS with a TLS 1.2+ policy and redirects HTTP; 'legacy-portal' serves plain HTTP
    and HTTPS with the 2016 policy, behind a group open on 80 and 443."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    elbv2 = boto3.client("elbv2", region_name="eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{index}.0/24", AvailabilityZone=f"eu-west-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab")
    ]
    certificate = boto3.client("acm", region_name="eu-west-1").request_certificate(DomainName="shop.example.com")
    target_group = elbv2.create_target_group(Name="app", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": target_group["TargetGroupArn"]}]
    tls = {"Protocol": "HTTPS", "Port": 443, "Certificates": [{"CertificateArn": certificate["CertificateArn"]}]}

    storefront = elbv2.create_load_balancer(
        Name="storefront", Subnets=subnets, SecurityGroups=[open_on(ec2, vpc, "alb-https", 443)]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=storefront, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", DefaultActions=forward, **tls
    )
    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    elbv2.create_listener(LoadBalancerArn=storefront, Protocol="HTTP", Port=80, DefaultActions=[redirect])

    legacy = elbv2.create_load_balancer(
        Name="legacy-portal", Subnets=subnets, SecurityGroups=[open_on(ec2, vpc, "alb-wide", 80, 443)]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=legacy, SslPolicy="ELBSecurityPolicy-2016-08", DefaultActions=forward, **tls)
    elbv2.create_listener(LoadBalancerArn=legacy, Protocol="HTTP", Port=80, DefaultActions=forward)
    elbv2.add_tags(ResourceArns=[legacy], Tags=[{"Key": "owner", "Value": "web-team"}])


def test_load_balancers_are_judged_end_to_end(balancers):
    result = scan("elbv2")

    assert not result.errors
    for check_id in ("elbv2_listeners_use_tls", "elbv2_tls_policy_modern", "elbv2_security_groups_https_only"):
        assert result.status(check_id, "storefront") == Status.PASS, check_id
        assert result.status(check_id, "legacy-portal") == Status.FAIL, check_id
    assert "HTTP:80" in result.result("elbv2_listeners_use_tls", "legacy-portal").reason
    assert result.named("legacy-portal").tags == {"owner": "web-team"}


def test_a_region_without_load_balancers_yields_nothing(aws):
    result = scan("elbv2", regions=("us-east-1",))
    assert result.documents == [] and result.errors == []
