"""API Gateway: every method asks for authorization, and public stages are behind a WAF web ACL."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, check, field, listed
from scanners.checks.waf import WAF_REMEDIATION, WAF_SETTINGS, WEB_FILTERING, web_acl_verdict

REST_API = "aws.apigateway.rest_api"
STAGE = "aws.apigateway.stage"


def is_cors_preflight(method: dict) -> bool:
    """Browsers send the CORS preflight (OPTIONS) without credentials, so it cannot be authorized; a MOCK
    integration answers it in API Gateway itself, reaching no backend. An OPTIONS method proxied to a
    backend is judged like any other."""
    return method.get("method") == "OPTIONS" and method.get("integration") == "MOCK"


@check(
    id="apigateway_methods_require_authorization",
    title="API Gateway REST API methods require authorization",
    resource=REST_API,
    severity="high",
    controls=(
        "iso27001-2022:A.8.26",
        "iso27001-2022:A.8.5",
        "iso27001-2013:A.14.1.2",
        "iso27001-2013:A.9.4.2",
        "soc2-2017:CC6.1",
    ),
    remediation="""Give every method an authorizer (IAM, a Cognito user pool or a Lambda authorizer), or at
    least require an API key with a usage plan, then redeploy the stages. A CORS preflight (OPTIONS with a
    MOCK integration) may stay open.""",
)
def methods_require_authorization(api: dict) -> Result:
    methods = field(api, "methods")
    if not methods:
        return Result.not_applicable("the API has no methods")
    unknown = [f"{item.get('method')} {item.get('path')}" for item in methods if item.get("authorization") is None]
    if unknown:
        raise MissingData(f"the authorization of {listed(unknown)} was not in the answer")
    open_methods = [
        f"{item['method']} {item.get('path')}"
        for item in methods
        if item["authorization"] == "NONE" and not item.get("api_key_required") and not is_cors_preflight(item)
    ]
    if open_methods:
        return Result.failed(f"methods anyone can call: {listed(open_methods)}")
    preflights = sum(1 for item in methods if item["authorization"] == "NONE" and is_cors_preflight(item))
    exempt = f" ({preflights} CORS preflight left open)" if preflights else ""
    return Result.passed(f"{len(methods) - preflights} methods require authorization or an API key{exempt}")


@check(
    id="apigateway_stage_waf_blocks_common_attacks",
    title="Public API Gateway stage is behind a WAF web ACL blocking common attacks",
    resource=STAGE,
    severity="high",
    controls=WEB_FILTERING,
    remediation=WAF_REMEDIATION,
    settings=WAF_SETTINGS,
)
def stage_waf_blocks_common_attacks(stage: dict, settings: dict) -> Result:
    if "PRIVATE" in field(stage, "endpoint_types"):
        return Result.not_applicable("private API, reachable only through VPC endpoints")
    web_acl = field(stage, "web_acl", allow_none=True)
    return web_acl_verdict(web_acl, settings["required_rule_groups"], "the stage")
