"""Load balancers collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint
from tests.scanners.web_acls import BLOCKING, COUNTING, web_acl

pytestmark = pytest.mark.integration

ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]
DROP_INVALID_HEADERS = "routing.http.drop_invalid_header_fields.enabled"
WAF = "elbv2_alb_waf_blocks_common_attacks"
HEADERS = "elbv2_alb_drops_invalid_headers"


PUBLIC = {"Scheme": "internet-facing"}


def open_on(ec2, vpc_id: str, name: str, *ports: int) -> str:
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)["GroupId"]
    rules = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": ANYWHERE} for port in ports]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
    return group


@pytest.fixture
def balancers(aws):
    """'storefront' serves HTTPS with a TLS 1.2+ policy and redirects HTTP (its group open on 80 and 443), drops
    invalid headers and sits behind a blocking web ACL; 'legacy-portal' serves plain HTTP and HTTPS with the
    2016 policy, behind a group open on 80 and 443, keeps invalid headers and only counts in its web ACL;
    'intranet' is internal."""
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
        Name="storefront", Subnets=subnets, SecurityGroups=[open_on(ec2, vpc, "alb-web", 80, 443)], **PUBLIC
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=storefront, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", DefaultActions=forward, **tls
    )
    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    elbv2.create_listener(LoadBalancerArn=storefront, Protocol="HTTP", Port=80, DefaultActions=[redirect])

    legacy = elbv2.create_load_balancer(
        Name="legacy-portal", Subnets=subnets, SecurityGroups=[open_on(ec2, vpc, "alb-wide", 80, 443)], **PUBLIC
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=legacy, SslPolicy="ELBSecurityPolicy-2016-08", DefaultActions=forward, **tls)
    elbv2.create_listener(LoadBalancerArn=legacy, Protocol="HTTP", Port=80, DefaultActions=forward)
    elbv2.add_tags(ResourceArns=[legacy], Tags=[{"Key": "owner", "Value": "web-team"}])
    elbv2.create_load_balancer(Name="intranet", Subnets=subnets, Scheme="internal")

    for arn, drops in ((storefront, "true"), (legacy, "false")):
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": DROP_INVALID_HEADERS, "Value": drops}]
        )
    wafv2 = boto3.client("wafv2", region_name="eu-west-1")
    wafv2.associate_web_acl(WebACLArn=web_acl("eu-west-1", "edge", BLOCKING), ResourceArn=storefront)
    wafv2.associate_web_acl(WebACLArn=web_acl("eu-west-1", "trial", COUNTING), ResourceArn=legacy)
    return {"storefront": storefront, "legacy-portal": legacy}


def test_load_balancers_are_judged_end_to_end(balancers):
    result = scan("elbv2")

    assert not result.errors
    for check_id in (
        "elbv2_listeners_use_tls",
        "elbv2_tls_policy_modern",
        "elbv2_security_groups_https_only",
        HEADERS,
        WAF,
    ):
        assert result.status(check_id, "storefront") == Status.PASS, check_id
        assert result.status(check_id, "legacy-portal") == Status.FAIL, check_id
    assert "HTTP:80" in result.result("elbv2_listeners_use_tls", "legacy-portal").reason
    assert "80 only to redirect" in result.result("elbv2_security_groups_https_only", "storefront").reason
    assert result.named("legacy-portal").tags == {"owner": "web-team"}
    counting = result.result(WAF, "legacy-portal").reason
    assert "SizeRestrictions_BODY (Count)" in counting and "KnownBadInputsRuleSet in count mode" in counting
    assert result.status(WAF, "intranet") == Status.NOT_APPLICABLE


def test_a_rule_forwarding_plain_http_on_port_80_is_not_a_redirect(balancers):
    elbv2 = boto3.client("elbv2", region_name="eu-west-1")
    http = next(
        item
        for item in elbv2.describe_listeners(LoadBalancerArn=balancers["storefront"])["Listeners"]
        if item["Port"] == 80
    )
    target_group = elbv2.describe_target_groups(Names=["app"])["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_rule(
        ListenerArn=http["ListenerArn"],
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/health"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )

    result = scan("elbv2")

    assert result.status("elbv2_security_groups_https_only", "storefront") == Status.FAIL
    assert result.status("elbv2_listeners_use_tls", "storefront") == Status.FAIL


def test_a_balancer_without_a_web_acl_fails(balancers):
    boto3.client("wafv2", region_name="eu-west-1").disassociate_web_acl(ResourceArn=balancers["storefront"])

    verdict = scan("elbv2").result(WAF, "storefront")

    assert verdict.status == Status.FAIL and "has no WAF web ACL" in verdict.reason


def test_unreadable_attributes_and_web_acls_are_errors_never_passes(aws, balancers, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeLoadBalancerAttributes"), status=400, code="AccessDenied", protocol="query")
        endpoint.fail(action("GetWebACLForResource"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", endpoint.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_WAFV2", endpoint.url)
        result = scan("elbv2", factory=ClientFactory(max_attempts=1))

    for name in ("storefront", "legacy-portal"):
        assert result.status(HEADERS, name) == Status.ERROR
        assert "access denied" in result.result(WAF, name).reason
    assert result.status("elbv2_tls_policy_modern", "storefront") == Status.PASS


def test_a_region_without_load_balancers_yields_nothing(aws):
    result = scan("elbv2", regions=("us-east-1",))
    assert result.documents == [] and result.errors == []
