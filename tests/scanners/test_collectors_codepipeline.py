"""CodePipeline pipelines collected from the moto server over HTTP, then judged by the checks."""

import json

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

APPROVED = "codepipeline_production_deploy_approved"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def step(name: str, category: str, provider: str, **fields) -> dict:
    return {
        "name": name,
        "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
        **fields,
    }


SOURCE = {
    "name": "Source",
    "actions": [
        step(
            "Checkout",
            "Source",
            "S3",
            configuration={"S3Bucket": "src", "S3ObjectKey": "app.zip"},
            outputArtifacts=[{"name": "app"}],
        )
    ],
}
DEPLOY_WEB = step(
    "DeployWeb",
    "Deploy",
    "S3",
    configuration={"BucketName": "web", "Extract": "true"},
    inputArtifacts=[{"name": "app"}],
)
APPROVED_PROD = {
    "name": "Prod",
    "actions": [step("ReleaseManager", "Approval", "Manual", runOrder=1), {**DEPLOY_WEB, "runOrder": 2}],
}
UNAPPROVED_PROD = {"name": "Prod", "actions": [DEPLOY_WEB]}


@pytest.fixture
def pipelines(aws):
    """'storefront' waits for a release manager at the start of Prod; 'reporting' goes straight to Prod."""
    role = boto3.client("iam").create_role(RoleName="pipelines", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    codepipeline = boto3.client("codepipeline", region_name="eu-west-1")
    store = {"type": "S3", "location": "ct-artifacts"}
    for name, stages in {"storefront": [SOURCE, APPROVED_PROD], "reporting": [SOURCE, UNAPPROVED_PROD]}.items():
        codepipeline.create_pipeline(pipeline={"name": name, "roleArn": role, "artifactStore": store, "stages": stages})
    return aws


def test_pipelines_are_judged_end_to_end(pipelines):
    result = scan("codepipeline")

    assert not result.errors
    approved = result.result(APPROVED, "storefront")
    assert approved.status == Status.PASS and "Prod/DeployWeb (after Prod/ReleaseManager)" in approved.reason
    assert result.status(APPROVED, "reporting") == Status.FAIL
    assert result.named("storefront").uid == "arn:aws:codepipeline:eu-west-1:123456789012:storefront"


def test_a_pipeline_that_cannot_be_read_is_an_error_never_a_pass(pipelines, monkeypatch):
    with faulty_endpoint(pipelines) as endpoint:
        endpoint.fail(action("GetPipeline"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_CODEPIPELINE", endpoint.url)
        result = scan("codepipeline", factory=ClientFactory(max_attempts=1))

    denied = result.result(APPROVED, "storefront")
    assert denied.status == Status.ERROR and "GetPipeline" in denied.reason


def test_pipelines_that_cannot_be_listed_are_an_error(pipelines, monkeypatch):
    with faulty_endpoint(pipelines) as endpoint:
        endpoint.fail(action("ListPipelines"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_CODEPIPELINE", endpoint.url)
        result = scan("codepipeline", factory=ClientFactory(max_attempts=1))

    assert not result.documents
    assert "ListPipelines" in result.error_for("aws.codepipeline.pipeline").reason
