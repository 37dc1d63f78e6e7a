"""EC2 instances and Session Manager preferences collected from the moto server over HTTP, then judged."""

import json

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
ROLE = "ssm_instance_session_manager_role"
NO_KEY = "ssm_instance_no_ssh_key_pair"
LOGGING = "ssm_session_manager_logs_sessions"
IRELAND = f"Session Manager in {REGION}"
EC2_TRUST = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)
SESSION_CHANNELS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ssm:UpdateInstanceInformation", "ssmmessages:*"], "Resource": "*"},
    ],
}


def instance_profile(name: str, *, managed: str | None = None, inline: dict | None = None) -> str:
    iam = boto3.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{managed}")
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName=f"{name}-inline", PolicyDocument=json.dumps(inline))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def launch(name: str, *, profile: str | None = None, key: str | None = None) -> None:
    extra = {"IamInstanceProfile": {"Name": profile}} if profile else {}
    if key:
        extra["KeyName"] = key
    boto3.client("ec2", region_name=REGION).run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        **extra,
    )


def save_preferences(region: str, **inputs) -> None:
    content = {"schemaVersion": "1.0", "description": "Session Manager preferences", "sessionType": "Standard_Stream"}
    boto3.client("ssm", region_name=region).create_document(
        Name="SSM-SessionManagerRunShell",
        DocumentType="Session",
        DocumentFormat="JSON",
        Content=json.dumps({**content, "inputs": {"s3BucketName": "", "cloudWatchLogGroupName": "", **inputs}}),
    )


@pytest.fixture
def fleet(aws):
    """'web' reached through Session Manager (AmazonSSMManagedInstanceCore, no key); 'batch' through an inline
    policy with the same actions; 'bastion' with an S3-only role and an SSH key; 'legacy' with no profile."""
    boto3.client("ec2", region_name=REGION).create_key_pair(KeyName="ops")
    launch("web", profile=instance_profile("web-role", managed="AmazonSSMManagedInstanceCore"))
    launch("batch", profile=instance_profile("batch-role", inline=SESSION_CHANNELS))
    launch("bastion", profile=instance_profile("bastion-role", managed="AmazonS3ReadOnlyAccess"), key="ops")
    launch("legacy")
    save_preferences(REGION, s3BucketName="ct-session-logs", s3EncryptionEnabled=True)
    return aws


def test_instances_and_preferences_are_judged_end_to_end(fleet):
    result = scan("ssm", regions=(REGION, "us-east-1"))

    assert not result.errors
    for name in ("web", "batch"):
        assert result.status(ROLE, name) == Status.PASS, name
        assert result.status(NO_KEY, name) == Status.PASS, name
    assert "AmazonSSMManagedInstanceCore" in result.result(ROLE, "web").reason
    bastion = result.result(ROLE, "bastion")
    assert (
        bastion.status == Status.FAIL and "bastion-role does not grant ssm:UpdateInstanceInformation" in bastion.reason
    )
    assert "ops" in result.result(NO_KEY, "bastion").reason
    assert "no instance profile" in result.result(ROLE, "legacy").reason
    assert "S3 bucket ct-session-logs" in result.result(LOGGING, IRELAND).reason
    assert "never saved" in result.result(LOGGING, "Session Manager in us-east-1").reason


def test_preferences_without_a_destination_fail(aws):
    save_preferences(REGION)

    verdict = scan("ssm").result(LOGGING, IRELAND)

    assert verdict.status == Status.FAIL and "neither an S3 bucket nor a CloudWatch log group" in verdict.reason


def test_unreadable_roles_and_preferences_are_errors_never_passes(fleet, monkeypatch):
    with faulty_endpoint(fleet) as endpoint:
        endpoint.fail(action("GetInstanceProfile"), status=403, code="AccessDenied", protocol="query")
        endpoint.fail(action("GetDocument"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", endpoint.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", endpoint.url)
        result = scan("ssm", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    for name in ("web", "batch", "bastion"):
        assert result.status(ROLE, name) == Status.ERROR, name
    assert result.status(ROLE, "legacy") == Status.FAIL, "no profile, nothing to read"
    assert result.status(NO_KEY, "web") == Status.PASS
    assert "access denied: GetDocument" in result.result(LOGGING, IRELAND).reason


def test_instances_that_cannot_be_listed_are_an_error(aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeInstances"), status=403, code="UnauthorizedOperation", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("ssm", factory=ClientFactory(max_attempts=1))

    assert result.error_for("aws.ssm.instance") is not None
    assert result.status(LOGGING, IRELAND) == Status.FAIL
