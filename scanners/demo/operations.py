"""Capacity, data discovery and change: Auto Scaling, RDS storage, Macie, CodePipeline, CloudFormation."""

from __future__ import annotations

import json

from scanners.demo.common import ACCOUNT, IMAGE_ID, MARKER_BUCKET, trust


def seed_auto_scaling(session, region: str) -> list[str]:
    """'ct-demo-web' may grow from 1 to 4 and tracks CPU; 'ct-demo-batch' is pinned at 1 with no policy."""
    ec2 = session.client("ec2", region_name=region)
    autoscaling = session.client("autoscaling", region_name=region)
    ec2.create_launch_template(
        LaunchTemplateName="ct-demo-app",
        LaunchTemplateData={
            "ImageId": IMAGE_ID,
            "InstanceType": "t3.micro",
            "MetadataOptions": {"HttpTokens": "required"},
        },
    )
    common = {
        "LaunchTemplate": {"LaunchTemplateName": "ct-demo-app", "Version": "$Latest"},
        "VPCZoneIdentifier": ec2.describe_subnets()["Subnets"][0]["SubnetId"],
    }
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ct-demo-web", MinSize=1, MaxSize=4, DesiredCapacity=1, **common
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ct-demo-batch", MinSize=1, MaxSize=1, DesiredCapacity=1, **common
    )
    autoscaling.put_scaling_policy(
        AutoScalingGroupName="ct-demo-web",
        PolicyName="cpu-50",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50,
        },
    )
    return ["ct-demo-web", "ct-demo-batch"]


def seed_storage_alarm(session, region: str) -> list[str]:
    """The 'orders' database pages the on-call team before its disk fills; 'reports' has no alarm (nor autoscaling)."""
    session.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName="ct-demo-orders-free-storage",
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "orders"}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=2_000_000_000,
        ComparisonOperator="LessThanThreshold",
        AlarmActions=[f"arn:aws:sns:{region}:{ACCOUNT}:ct-demo-oncall"],
    )
    return ["ct-demo-orders-free-storage"]


def seed_macie(session, regions: tuple[str, ...]) -> list[str]:
    """Macie stays on in the home region only (moto starts with it on everywhere; AWS with it off)."""
    for region in regions[1:]:
        session.client("macie2", region_name=region).disable_macie()
    return [f"macie2 {regions[0]}"]


def seed_pipelines(session, region: str) -> list[str]:
    """'ct-demo-storefront' waits for a release manager before Prod; 'ct-demo-reports' deploys straight to Prod."""
    role = session.client("iam", region_name=region).create_role(
        RoleName="ct-demo-pipelines", AssumeRolePolicyDocument=trust({"Service": "codepipeline.amazonaws.com"})
    )["Role"]["Arn"]

    def step(name: str, category: str, provider: str, **fields) -> dict:
        return {
            "name": name,
            "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
            **fields,
        }

    source = {
        "name": "Source",
        "actions": [
            step(
                "Checkout",
                "Source",
                "S3",
                configuration={"S3Bucket": MARKER_BUCKET, "S3ObjectKey": "app.zip"},
                outputArtifacts=[{"name": "app"}],
            )
        ],
    }
    approve = {"name": "Approve", "actions": [step("ReleaseManager", "Approval", "Manual")]}
    prod = {
        "name": "Prod",
        "actions": [
            step(
                "Deploy",
                "Deploy",
                "S3",
                configuration={"BucketName": MARKER_BUCKET, "Extract": "true"},
                inputArtifacts=[{"name": "app"}],
            )
        ],
    }
    codepipeline = session.client("codepipeline", region_name=region)
    store = {"type": "S3", "location": MARKER_BUCKET}
    for name, stages in {"ct-demo-storefront": [source, approve, prod], "ct-demo-reports": [source, prod]}.items():
        codepipeline.create_pipeline(pipeline={"name": name, "roleArn": role, "artifactStore": store, "stages": stages})
    return ["ct-demo-storefront", "ct-demo-reports"]


def seed_stacks(session, region: str) -> list[str]:
    """One stack; moto records no drift for it, so its drift check is an error in the demo."""
    template = {"Resources": {"Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "ct-demo-alerts"}}}}
    session.client("cloudformation", region_name=region).create_stack(
        StackName="ct-demo-alerts", TemplateBody=json.dumps(template)
    )
    return ["ct-demo-alerts"]
