"""EC2 Auto Scaling groups collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

HEADROOM = "autoscaling_group_has_headroom"
POLICY = "autoscaling_group_has_scaling_policy"


@pytest.fixture
def groups(aws):
    """'web' may grow from 2 to 6 and tracks CPU; 'batch' is pinned at 3 with a policy no alarm triggers."""
    autoscaling = boto3.client("autoscaling", region_name="eu-west-1")
    subnet = boto3.client("ec2", region_name="eu-west-1").describe_subnets()["Subnets"][0]["SubnetId"]
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="app", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    common = {"LaunchConfigurationName": "app", "VPCZoneIdentifier": subnet}
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        MinSize=1,
        MaxSize=6,
        DesiredCapacity=2,
        Tags=[{"Key": "team", "Value": "storefront", "PropagateAtLaunch": True}],
        **common,
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="batch", MinSize=3, MaxSize=3, DesiredCapacity=3, **common
    )
    autoscaling.put_scaling_policy(
        AutoScalingGroupName="web",
        PolicyName="cpu-50",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50,
        },
    )
    autoscaling.put_scaling_policy(
        AutoScalingGroupName="batch",
        PolicyName="add-one",
        PolicyType="SimpleScaling",
        AdjustmentType="ChangeInCapacity",
        ScalingAdjustment=1,
    )
    return aws


def test_groups_are_judged_end_to_end(groups):
    result = scan("autoscaling")

    assert not result.errors
    assert result.status(HEADROOM, "web") == Status.PASS
    assert result.status(POLICY, "web") == Status.PASS
    pinned = result.result(HEADROOM, "batch")
    assert pinned.status == Status.FAIL and "0 spare instances (desired 3, maximum 3)" in pinned.reason
    idle = result.result(POLICY, "batch")
    assert idle.status == Status.FAIL and "add-one (no alarm triggers it)" in idle.reason
    assert result.named("web").tags == {"team": "storefront"}


def test_policies_that_cannot_be_read_make_only_the_policy_check_an_error(groups, monkeypatch):
    with faulty_endpoint(groups) as endpoint:
        endpoint.fail(action("DescribePolicies"), status=403, code="AccessDenied", protocol="query")
        monkeypatch.setenv("AWS_ENDPOINT_URL_AUTO_SCALING", endpoint.url)
        result = scan("autoscaling", factory=ClientFactory(max_attempts=1))

    denied = result.result(POLICY, "web")
    assert denied.status == Status.ERROR and "DescribePolicies" in denied.reason
    assert result.status(HEADROOM, "web") == Status.PASS


def test_groups_that_cannot_be_listed_are_an_error_never_a_pass(groups, monkeypatch):
    with faulty_endpoint(groups) as endpoint:
        endpoint.fail(action("DescribeAutoScalingGroups"), status=403, code="AccessDenied", protocol="query")
        monkeypatch.setenv("AWS_ENDPOINT_URL_AUTO_SCALING", endpoint.url)
        result = scan("autoscaling", factory=ClientFactory(max_attempts=1))

    assert not result.documents
    assert "DescribeAutoScalingGroups" in result.error_for("aws.autoscaling.group").reason
