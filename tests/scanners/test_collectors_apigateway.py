"""API Gateway REST APIs collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint
from tests.scanners.web_acls import BLOCKING, web_acl

pytestmark = pytest.mark.integration

AUTHORIZED = "apigateway_methods_require_authorization"
WAF = "apigateway_stage_waf_blocks_common_attacks"
REGION = "eu-west-1"


def rest_api(name: str, methods: dict[str, str], *, endpoint: str = "REGIONAL") -> str:
    """An API with one resource /orders carrying `methods` (verb -> authorization type), deployed to 'prod'.
    OPTIONS gets a MOCK integration, as the console's "Enable CORS" makes it."""
    apigateway = boto3.client("apigateway", region_name=REGION)
    api_id = apigateway.create_rest_api(name=name, endpointConfiguration={"types": [endpoint]})["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    orders = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
    for verb, authorization in methods.items():
        apigateway.put_method(restApiId=api_id, resourceId=orders, httpMethod=verb, authorizationType=authorization)
        integration = (
            {"type": "MOCK"} if verb == "OPTIONS" else {"type": "HTTP_PROXY", "uri": "https://backend.example.com"}
        )
        if verb != "OPTIONS":
            integration["integrationHttpMethod"] = verb
        apigateway.put_integration(restApiId=api_id, resourceId=orders, httpMethod=verb, **integration)
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


@pytest.fixture
def apis(aws):
    """'orders' asks IAM for every call and sits behind a blocking web ACL; 'legacy' lets anyone GET and has no
    web ACL; 'internal' is a private API."""
    guarded = rest_api("orders", {"GET": "AWS_IAM", "POST": "AWS_IAM", "OPTIONS": "NONE"})
    rest_api("legacy", {"GET": "NONE", "POST": "AWS_IAM"})
    rest_api("internal", {"GET": "AWS_IAM"}, endpoint="PRIVATE")
    boto3.client("wafv2", region_name=REGION).associate_web_acl(
        WebACLArn=web_acl(REGION, "api-edge", BLOCKING),
        ResourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{guarded}/stages/prod",
    )
    return aws


def test_methods_and_stages_are_judged_end_to_end(apis):
    result = scan("apigateway")

    assert not result.errors
    assert result.status(AUTHORIZED, "orders") == Status.PASS
    assert "1 CORS preflight" in result.result(AUTHORIZED, "orders").reason
    open_get = result.result(AUTHORIZED, "legacy")
    assert open_get.status == Status.FAIL and "GET /orders" in open_get.reason and "POST" not in open_get.reason
    assert result.status(WAF, "orders/prod") == Status.PASS
    assert "has no WAF web ACL" in result.result(WAF, "legacy/prod").reason
    assert result.status(WAF, "internal/prod") == Status.NOT_APPLICABLE


def test_unreadable_methods_and_web_acls_are_errors_never_passes(apis, monkeypatch):
    with faulty_endpoint(apis) as endpoint:
        endpoint.fail(
            lambda request: request.method == "GET" and request.path.split("?")[0].endswith("/resources"),
            status=403,
            code="AccessDeniedException",
            protocol="json",
        )
        endpoint.fail(action("GetWebACL"), status=400, code="AccessDeniedException", protocol="json")
        monkeypatch.setenv("AWS_ENDPOINT_URL_API_GATEWAY", endpoint.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_WAFV2", endpoint.url)
        result = scan("apigateway", factory=ClientFactory(max_attempts=1))

    assert {request.action for request in endpoint.faulted} >= {"GetWebACL"} and len(endpoint.faulted) >= 4
    assert result.status(AUTHORIZED, "orders") == Status.ERROR
    assert result.status(WAF, "orders/prod") == Status.ERROR
    assert result.status(WAF, "legacy/prod") == Status.FAIL, "a stage naming no web ACL needs no read"


def test_stages_that_cannot_be_listed_are_an_error_for_stages_only(apis, monkeypatch):
    with faulty_endpoint(apis) as endpoint:
        endpoint.fail(
            lambda request: request.path.split("?")[0].endswith("/stages"),
            status=403,
            code="AccessDeniedException",
            protocol="json",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_API_GATEWAY", endpoint.url)
        result = scan("apigateway", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    assert result.error_for("aws.apigateway.stage") is not None
    assert result.error_for("aws.apigateway.rest_api") is None
    assert result.status(AUTHORIZED, "legacy") == Status.FAIL
