"""The client factory: how ControlTrace reaches an AWS account, and how it words a read that failed."""

from urllib.parse import parse_qs

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from scanners.aws import ClientFactory, describe_error
from tests.scanners.documents import scan
from tests.scanners.fault_injection import Reply, action, faulty_endpoint

ROLE_IN_ANOTHER_ACCOUNT = "arn:aws:iam::210987654321:role/ControlTraceAudit"


def client_error(code: str, message: str = "", status: int = 400, operation: str = "DescribeVpcs") -> ClientError:
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


@pytest.mark.integration
def test_default_credential_chain_reaches_the_endpoint_boto3_is_configured_with(aws):
    factory = ClientFactory()
    s3 = factory.client("s3", "eu-west-1")
    assert s3.meta.endpoint_url == aws
    assert factory.account_id() == "123456789012"
    assert factory.client("s3", "eu-west-1") is s3, "clients are reused per service and region"
    assert factory.client("s3", "us-east-1") is not s3


def test_clients_retry_adaptively_with_bounded_timeouts(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    config = ClientFactory(connect_timeout=2, read_timeout=7).client("ec2", "eu-west-1").meta.config
    # botocore stores max_attempts=8 (retries) as 9 attempts in all.
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 9}
    assert (config.connect_timeout, config.read_timeout) == (2, 7)


@pytest.mark.integration
def test_assumes_the_role_with_the_external_id_and_uses_the_returned_credentials(aws, monkeypatch):
    with faulty_endpoint(aws) as sts:  # nothing injected: it only records what reaches STS
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        factory = ClientFactory(role_arn=ROLE_IN_ANOTHER_ACCOUNT, external_id="ct-7f3a9", session_name="audit-scan")

        identity = factory.client("sts", "eu-west-1").get_caller_identity()
        account_id = factory.account_id()

        assume_calls = [parse_qs(seen.body.decode()) for seen in sts.seen if seen.action == "AssumeRole"]
    assert len(assume_calls) == 1
    assert assume_calls[0]["RoleArn"] == [ROLE_IN_ANOTHER_ACCOUNT]
    assert assume_calls[0]["ExternalId"] == ["ct-7f3a9"]
    assert assume_calls[0]["RoleSessionName"] == ["audit-scan"]
    # moto answers as the assumed role only when the request is signed with the keys AssumeRole returned.
    assert identity["Arn"] == "arn:aws:sts::210987654321:assumed-role/ControlTraceAudit/audit-scan"
    assert account_id == "210987654321"


@pytest.mark.integration
def test_assumed_credentials_are_reused_until_they_near_expiry(aws, monkeypatch):
    with faulty_endpoint(aws) as sts:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        lasting = ClientFactory(role_arn=ROLE_IN_ANOTHER_ACCOUNT, external_id="ct-refresh", duration_seconds=3600)
        for _ in range(3):
            lasting.client("iam", "us-east-1").list_users()
        calls_for_an_hour_long_session = sum(seen.action == "AssumeRole" for seen in sts.seen)

        # Credentials that last 15 minutes are already inside botocore's refresh window: each use renews them.
        short = ClientFactory(role_arn=ROLE_IN_ANOTHER_ACCOUNT, external_id="ct-refresh", duration_seconds=900)
        for _ in range(3):
            short.client("iam", "us-east-1").list_users()
        all_calls = sum(seen.action == "AssumeRole" for seen in sts.seen)
    calls_for_a_short_session = all_calls - calls_for_an_hour_long_session
    assert calls_for_an_hour_long_session == 1
    assert calls_for_a_short_session >= 3


@pytest.mark.integration
def test_a_refused_assume_role_turns_every_read_into_an_access_denied_error(aws, monkeypatch):
    with faulty_endpoint(aws) as sts:
        sts.fail(action("AssumeRole"), status=403, code="AccessDenied", protocol="query", message="not trusted")
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        factory = ClientFactory(role_arn=ROLE_IN_ANOTHER_ACCOUNT, external_id="wrong-id")
        result = scan("kms", factory=factory)
        with pytest.raises(ClientError) as raised:
            factory.client("ec2", "eu-west-1").describe_vpcs()

    assert result.documents == []
    assert [error.reason.split(":")[:2] for error in result.errors] == [["access denied", " AssumeRole"]]
    assert describe_error(raised.value).startswith("access denied: AssumeRole")


@pytest.mark.integration
def test_an_operation_the_endpoint_does_not_implement_is_an_error_at_once_not_after_every_retry(aws, monkeypatch):
    with faulty_endpoint(aws) as resolver:
        # What moto answers for an operation it lacks (DNS Firewall): HTTP 500, a web page, no AWS error document.
        page = b"<!doctype html><title>500 Internal Server Error</title>"
        resolver.faults.append((action("ListFirewallRuleGroups"), Reply(500, page, "text/html")))
        monkeypatch.setenv("AWS_ENDPOINT_URL_ROUTE53RESOLVER", resolver.url)
        with pytest.raises(ClientError) as raised:
            ClientFactory(max_attempts=4).client("route53resolver", "eu-west-1").list_firewall_rule_groups()
    assert [seen.action for seen in resolver.seen] == ["ListFirewallRuleGroups"]
    expected = "not implemented by the endpoint: ListFirewallRuleGroups answered HTTP 500"
    assert describe_error(raised.value) == expected


@pytest.mark.integration
def test_a_real_service_error_is_still_retried_before_it_becomes_an_error(aws, monkeypatch):
    with faulty_endpoint(aws) as resolver:
        resolver.fail(
            action("ListFirewallRuleGroups"), status=500, code="InternalServiceErrorException", protocol="json"
        )
        resolver.fail(action("ListFirewallDomainLists"), status=503, code="ServiceUnavailable", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_ROUTE53RESOLVER", resolver.url)
        client = ClientFactory(max_attempts=2).client("route53resolver", "eu-west-1")
        with pytest.raises(ClientError) as internal:
            client.list_firewall_rule_groups()
        with pytest.raises(ClientError):
            client.list_firewall_domain_lists()
    assert [seen.action for seen in resolver.seen] == ["ListFirewallRuleGroups"] * 3 + ["ListFirewallDomainLists"] * 3
    assert describe_error(internal.value).startswith("service error: ListFirewallRuleGroups: HTTP 500")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("AccessDenied", "User: moto is not authorized"), "access denied: DescribeVpcs: AccessDenied"),
        (client_error("UnauthorizedOperation", status=403), "access denied: DescribeVpcs"),
        (client_error("403", "<html>Forbidden</html>", status=403), "access denied"),
        (client_error("Throttling", "Rate exceeded (reached max retries: 7)"), "throttled: DescribeVpcs: Throttling"),
        (client_error("SlowDown", status=503, operation="GetBucketPolicy"), "throttled: GetBucketPolicy"),
        (client_error("500", "<!doctype html>...", status=500), "not implemented by the endpoint: DescribeVpcs"),
        (client_error("404", "<!doctype html>...", status=404), "not implemented by the endpoint"),
        (client_error("InvalidAction", status=400), "not implemented by the endpoint"),
        (client_error("InternalError", "We hit a snag", status=500), "service error: DescribeVpcs: HTTP 500"),
        (client_error("InvalidParameterValue", "bad filter"), "request refused: DescribeVpcs"),
        (ConnectTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/"), "timed out:"),
        (ReadTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/"), "timed out:"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "endpoint unreachable:"),
        (NoCredentialsError(), "no usable credentials:"),
        (KeyError("Buckets"), "unexpected error: KeyError"),
    ],
)
def test_every_failed_read_is_described_in_one_line_an_auditor_can_read(error, expected):
    description = describe_error(error)
    assert description.startswith(expected)
    assert "\n" not in description


def test_long_error_messages_are_cut_to_one_short_line():
    description = describe_error(client_error("AccessDenied", "policy text\n" * 200))
    assert len(description) <= 300 and "\n" not in description
