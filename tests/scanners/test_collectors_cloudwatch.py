"""CloudWatch alarms on CloudTrail events, collected from the moto server over HTTP and judged."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint
from tests.scanners.test_checks_cloudwatch import IAM_NAMES, ROOT_PATTERN, SIGNIN_PATTERN, TRAIL_NAMES, any_of
from tests.scanners.test_collectors_cloudtrail import log_bucket

pytestmark = pytest.mark.integration

ACCOUNT = "CloudWatch alarms on CloudTrail events"
LOG_GROUP = "org-trail"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:oncall"


def trail_to_cloudwatch(*, multi_region: bool = True) -> None:
    log_bucket("audit-trail-logs", "eu-west-1")
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName=LOG_GROUP)
    boto3.client("cloudtrail", region_name="eu-west-1").create_trail(
        Name="org-audit",
        S3BucketName="audit-trail-logs",
        IsMultiRegionTrail=multi_region,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:eu-west-1:123456789012:log-group:{LOG_GROUP}:*",
        CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/trail-to-logs",
    )


def watch(name: str, pattern: str, *, actions=(TOPIC,)) -> None:
    boto3.client("logs", region_name="eu-west-1").put_metric_filter(
        logGroupName=LOG_GROUP,
        filterName=name,
        filterPattern=pattern,
        metricTransformations=[{"metricName": name, "metricNamespace": "CISBenchmark", "metricValue": "1"}],
    )
    if actions is not None:
        boto3.client("cloudwatch", region_name="eu-west-1").put_metric_alarm(
            AlarmName=f"{name}-alarm",
            MetricName=name,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=list(actions),
        )


def test_without_a_multi_region_trail_to_cloudwatch_every_watched_event_fails(aws):
    trail_to_cloudwatch(multi_region=False)
    watch("root-use", ROOT_PATTERN)

    result = scan("cloudwatch", regions=("us-east-1", "eu-west-1"))

    assert not result.errors
    verdicts = [verdict for _, _, verdict in result.all_results()]
    assert len(verdicts) == 4
    assert all(v.status == Status.FAIL and "no multi-region trail delivers" in v.reason for v in verdicts)


def test_each_watched_event_needs_a_matching_filter_and_an_alarm_that_notifies(aws):
    trail_to_cloudwatch()
    watch("root-use", ROOT_PATTERN)
    watch("trail-changes", any_of(TRAIL_NAMES), actions=())
    watch("signin-failures", SIGNIN_PATTERN, actions=None)

    # Scanned from Virginia: the trail's home and its log group are in Ireland.
    result = scan("cloudwatch", regions=("us-east-1", "eu-west-1"))

    assert not result.errors
    root = result.result("cloudwatch_alarm_root_account_use", ACCOUNT)
    assert root.status == Status.PASS and "alarm root-use-alarm on filter root-use" in root.reason
    trail = result.result("cloudwatch_alarm_cloudtrail_changes", ACCOUNT)
    assert trail.status == Status.FAIL and "trail-changes-alarm" in trail.reason and "notifies no one" in trail.reason
    signin = result.result("cloudwatch_alarm_console_signin_failures", ACCOUNT)
    assert signin.status == Status.FAIL and "no alarm on the metric of filter signin-failures" in signin.reason
    iam = result.result("cloudwatch_alarm_iam_policy_changes", ACCOUNT)
    assert iam.status == Status.FAIL and "no metric filter on org-trail" in iam.reason


def test_metric_filters_that_cannot_be_read_make_every_alarm_check_an_error(aws, monkeypatch):
    trail_to_cloudwatch()
    watch("root-use", ROOT_PATTERN)
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeMetricFilters"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", endpoint.url)
        result = scan("cloudwatch", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted and not result.documents
    statuses = {check: verdict.status for check, _, verdict in result.all_results()}
    assert len(statuses) == 4 and set(statuses.values()) == {Status.ERROR}


def test_an_alarm_on_metric_math_over_the_filters_metric_counts(aws):
    trail_to_cloudwatch()
    watch("iam-changes", any_of(IAM_NAMES), actions=None)
    metric = {"Namespace": "CISBenchmark", "MetricName": "iam-changes"}
    boto3.client("cloudwatch", region_name="eu-west-1").put_metric_alarm(
        AlarmName="iam-changes-hourly",
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[TOPIC],
        Metrics=[
            {"Id": "changes", "MetricStat": {"Metric": metric, "Period": 300, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "total", "Expression": "changes * 1", "ReturnData": True},
        ],
    )

    result = scan("cloudwatch")

    verdict = result.result("cloudwatch_alarm_iam_policy_changes", ACCOUNT)
    assert verdict.status == Status.PASS and "iam-changes-hourly" in verdict.reason
