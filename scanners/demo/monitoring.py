"""Configuration, images, vulnerabilities, monitoring: AWS Config, ECR, Inspector, GuardDuty, Security Hub, alarms."""

from __future__ import annotations

from scanners.demo.common import ACCOUNT, TRAIL_CALLS, TRAIL_LOG_GROUP, make_bucket


def seed_config_recorder(session, region: str) -> list[str]:
    """AWS Config records everything in the first region only: the other regions have no recorder."""
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    bucket = "ct-demo-config-records"
    make_bucket(session, bucket, region)
    config = session.client("config", region_name=region)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    return ["default"]


def seed_repositories(ecr) -> list[str]:
    """'ct-demo/api' scanned on push with immutable tags; 'ct-demo/sandbox' neither."""
    ecr.create_repository(
        repositoryName="ct-demo/api", imageScanningConfiguration={"scanOnPush": True}, imageTagMutability="IMMUTABLE"
    )
    ecr.create_repository(repositoryName="ct-demo/sandbox")
    return ["ct-demo/api", "ct-demo/sandbox"]


def seed_inspector(session, region: str, *, everything: bool) -> list[str]:
    """Inspector scans EC2, ECR and Lambda in the first region, and only EC2 elsewhere."""
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    kinds = ["EC2", "ECR", "LAMBDA"] if everything else ["EC2"]
    session.client("inspector2", region_name=region).enable(accountIds=[account], resourceTypes=kinds)
    return [f"inspector2 {region}"]


def seed_monitoring(session, regions: tuple[str, ...]) -> list[str]:
    """GuardDuty and Security Hub on in the home region only; the trail's log group kept a year, a debug
    group kept forever; an alarm that pages on root use and one on trail changes that tells no one."""
    home = regions[0]
    session.client("guardduty", region_name=home).create_detector(
        Enable=True, Features=[{"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"}]
    )
    session.client("securityhub", region_name=home).enable_security_hub()
    logs = session.client("logs", region_name=home)
    logs.create_log_group(logGroupName=TRAIL_LOG_GROUP)
    logs.put_retention_policy(logGroupName=TRAIL_LOG_GROUP, retentionInDays=365)
    logs.create_log_group(logGroupName="/ct-demo/debug")
    cloudwatch = session.client("cloudwatch", region_name=home)
    watched = {
        "root-use": ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }', True),
        "trail-changes": (" || ".join(f"($.eventName = {call})" for call in TRAIL_CALLS), False),
    }
    for name, (pattern, pages) in watched.items():
        metric = {"metricName": name, "metricNamespace": "CTDemo", "metricValue": "1"}
        logs.put_metric_filter(
            logGroupName=TRAIL_LOG_GROUP, filterName=name, filterPattern=pattern, metricTransformations=[metric]
        )
        cloudwatch.put_metric_alarm(
            AlarmName=f"ct-demo-{name}",
            MetricName=name,
            Namespace="CTDemo",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[f"arn:aws:sns:{home}:{ACCOUNT}:ct-demo-oncall"] if pages else [],
        )
    return ["guardduty", "securityhub", TRAIL_LOG_GROUP, "/ct-demo/debug", "ct-demo-root-use", "ct-demo-trail-changes"]
