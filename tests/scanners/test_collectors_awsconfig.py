"""AWS Config collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

CHECK = "awsconfig_recorder_records_all_resources"


def record(region: str, *, all_types: bool = True, start: bool = True) -> None:
    config = boto3.client("config", region_name=region)
    group = {"allSupported": True, "includeGlobalResourceTypes": True}
    if not all_types:
        group = {"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]}
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": group,
        }
    )
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=f"config-records-{region}")
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": f"config-records-{region}"})
    if start:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


@pytest.fixture
def recorders(aws):
    """Ireland records everything; Frankfurt records only buckets; Paris has a recorder never started;
    Virginia has no recorder at all."""
    record("eu-west-1")
    record("eu-central-1", all_types=False)
    record("eu-west-3", start=False)


def test_each_region_is_judged_on_its_own_recorder(recorders):
    result = scan("awsconfig", regions=("eu-west-1", "eu-central-1", "eu-west-3", "us-east-1"))

    assert not result.errors
    assert result.status(CHECK, "AWS Config in eu-west-1") == Status.PASS
    assert "does not record every type" in result.result(CHECK, "AWS Config in eu-central-1").reason
    assert "is stopped" in result.result(CHECK, "AWS Config in eu-west-3").reason
    assert "no configuration recorder" in result.result(CHECK, "AWS Config in us-east-1").reason
    recorder = result.named("AWS Config in eu-west-1").config["recorders"][0]
    assert recorder["all_supported"] is True and recorder["recording"] is True


def test_a_recorder_that_cannot_be_read_is_an_error_never_a_verdict(aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(
            action("DescribeConfigurationRecorders"), status=400, code="AccessDeniedException", protocol="json"
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", endpoint.url)
        result = scan("awsconfig", factory=ClientFactory(max_attempts=2))

    denied = result.result(CHECK, "AWS Config in eu-west-1")
    assert denied.status == Status.ERROR
    assert "access denied: DescribeConfigurationRecorders" in denied.reason
