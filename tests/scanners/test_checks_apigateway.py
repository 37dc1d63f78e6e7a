"""API Gateway checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without
from tests.scanners.web_acls import described_acl

AUTHORIZED = "apigateway_methods_require_authorization"
WAF = "apigateway_stage_waf_blocks_common_attacks"


def method(verb: str, path: str, authorization: str = "COGNITO_USER_POOLS", *, key=False, integration="AWS_PROXY"):
    return {
        "path": path,
        "method": verb,
        "authorization": authorization,
        "api_key_required": key,
        "integration": integration,
    }


PREFLIGHT = method("OPTIONS", "/orders", "NONE", integration="MOCK")
GUARDED = [method("GET", "/orders"), method("POST", "/orders", "AWS_IAM"), PREFLIGHT]


def api(methods=GUARDED) -> dict:
    return doc("aws.apigateway.rest_api", name="orders", id="a1b2c3", endpoint_types=["REGIONAL"], methods=methods)


BLOCKING_ACL = described_acl("api")


def stage(web_acl=BLOCKING_ACL, endpoint_types=("REGIONAL",)) -> dict:
    return doc(
        "aws.apigateway.stage",
        name="orders/prod",
        api_id="a1b2c3",
        endpoint_types=list(endpoint_types),
        web_acl=web_acl,
    )


CASES = [
    Case(AUTHORIZED, Status.PASS, api(), "authorizers and a CORS preflight", reason="1 CORS preflight"),
    Case(
        AUTHORIZED,
        Status.PASS,
        api([method("GET", "/status", "NONE", key=True)]),
        "no authorizer but an API key is required",
    ),
    Case(
        AUTHORIZED,
        Status.FAIL,
        api(GUARDED + [method("DELETE", "/orders/{id}", "NONE")]),
        "a method open to anyone",
        reason="DELETE /orders/{id}",
    ),
    Case(
        AUTHORIZED,
        Status.FAIL,
        api([method("OPTIONS", "/orders", "NONE", integration="AWS_PROXY")]),
        "an OPTIONS method that reaches a backend is not a preflight",
        reason="OPTIONS /orders",
    ),
    Case(AUTHORIZED, Status.NOT_APPLICABLE, api([]), "no methods"),
    Case(AUTHORIZED, Status.ERROR, failed_read(api(), "methods"), "methods unreadable", reason="could not be read"),
    Case(
        AUTHORIZED,
        Status.ERROR,
        api([method("GET", "/orders", None)]),
        "authorization missing from the answer",
        reason="GET /orders",
    ),
    Case(WAF, Status.PASS, stage(), "blocking web ACL", reason="web ACL api blocks"),
    Case(WAF, Status.FAIL, stage(None), "no web ACL", reason="the stage has no WAF web ACL"),
    Case(
        WAF,
        Status.FAIL,
        stage(
            {"arn": "arn:aws:waf-regional:eu-west-1:123456789012:webacl/1", "classic": True, "managed_rule_groups": []}
        ),
        "WAF Classic",
        reason="WAF Classic",
    ),
    Case(WAF, Status.NOT_APPLICABLE, stage(None, endpoint_types=("PRIVATE",)), "private API"),
    Case(WAF, Status.ERROR, failed_read(stage(), "web_acl"), "web ACL unreadable", reason="web acl could not be read"),
    Case(WAF, Status.ERROR, without(stage(), "endpoint_types"), "endpoint type not collected"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_apigateway_check(case):
    assert_case(case)
