"""AWS Organizations collected from the moto server over HTTP, then judged by the checks."""

import json

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

SEPARATED = "organizations_environments_separated"
SCP = "organizations_production_ou_scp"
ACCOUNT = "123456789012"  # moto's
GUARDRAIL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}],
}


def tags(**pairs) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


@pytest.fixture
def organization(aws_emptied_after):
    """Workloads/Prod holds the scanned account, tagged production; Workloads/Dev is empty; SCPs are on.

    The scanned (management) account is moved rather than new accounts created: moto gives every new account
    its own IAM with the managed policies loaded, which makes the reset before the next test slow."""
    organizations = boto3.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    workloads = organizations.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    prod = organizations.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
    dev = organizations.create_organizational_unit(ParentId=workloads, Name="Dev")["OrganizationalUnit"]["Id"]
    organizations.move_account(AccountId=ACCOUNT, SourceParentId=root, DestinationParentId=prod)
    organizations.tag_resource(ResourceId=ACCOUNT, Tags=tags(environment="production"))
    return {"moto": aws_emptied_after, "client": organizations, "prod": prod, "dev": dev}


def attach_guardrail(organization) -> None:
    client = organization["client"]
    policy = client.create_policy(
        Name="deny-leaving",
        Description="production guardrail",
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(GUARDRAIL),
    )["Policy"]["PolicySummary"]["Id"]
    client.attach_policy(PolicyId=policy, TargetId=organization["prod"])


def test_production_in_its_own_guarded_ou_passes(organization):
    attach_guardrail(organization)

    result = scan("organizations")

    assert not result.errors
    (document,) = result.documents
    separated = result.result(SEPARATED, document.name)
    assert separated.status == Status.PASS and "1 accounts in production OUs (Workloads/Prod)" in separated.reason
    guarded = result.result(SCP, document.name)
    assert guarded.status == Status.PASS and "Workloads/Prod (deny-leaving)" in guarded.reason


def test_an_account_tagged_for_another_environment_and_an_unguarded_production_ou_fail(organization):
    client = organization["client"]
    client.tag_resource(ResourceId=ACCOUNT, Tags=tags(environment="Staging"))
    client.tag_resource(ResourceId=organization["dev"], Tags=tags(Environment="Production"))
    attach_guardrail(organization)

    result = scan("organizations")

    (document,) = result.documents
    misplaced = result.result(SEPARATED, document.name)
    assert misplaced.status == Status.FAIL
    assert f"master ({ACCOUNT}) tagged environment=staging sits in production OU Workloads/Prod" in misplaced.reason
    unguarded = result.result(SCP, document.name)
    assert unguarded.status == Status.FAIL and "no SCP beyond FullAWSAccess: Workloads/Dev" in unguarded.reason


def test_an_account_outside_any_organization_is_not_applicable(aws):
    result = scan("organizations")

    (document,) = result.documents
    assert document.name == "AWS Organizations of account 123456789012"
    for check_id in (SEPARATED, SCP):
        outcome = result.result(check_id, document.name)
        assert outcome.status == Status.NOT_APPLICABLE and "AWSOrganizationsNotInUseException" in outcome.reason


def test_policies_that_cannot_be_read_are_an_error_never_a_pass(organization, monkeypatch):
    attach_guardrail(organization)
    with faulty_endpoint(organization["moto"]) as endpoint:
        endpoint.fail(action("ListPoliciesForTarget"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", endpoint.url)
        result = scan("organizations", factory=ClientFactory(max_attempts=1))

    (document,) = result.documents
    denied = result.result(SCP, document.name)
    assert denied.status == Status.ERROR and "policies could not be read: access denied" in denied.reason
    assert result.status(SEPARATED, document.name) == Status.PASS


def test_a_member_account_that_may_not_read_the_tree_reports_errors(organization, monkeypatch):
    with faulty_endpoint(organization["moto"]) as endpoint:
        endpoint.fail(action("ListRoots"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", endpoint.url)
        result = scan("organizations", factory=ClientFactory(max_attempts=1))

    (document,) = result.documents
    for check_id in (SEPARATED, SCP):
        assert result.status(check_id, document.name) == Status.ERROR


def test_an_organization_that_cannot_be_described_is_an_error(aws, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeOrganization"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", endpoint.url)
        result = scan("organizations", factory=ClientFactory(max_attempts=1))

    assert not result.documents
    assert "access denied: DescribeOrganization" in result.error_for("aws.organizations.organization").reason
