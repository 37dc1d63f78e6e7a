"""API Gateway REST APIs in one region: each API's methods with their authorization, and each stage with the
AWS WAF web ACL in front of it."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.aws.web_acls import web_acl_named
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
)

REST_API = "aws.apigateway.rest_api"
STAGE = "aws.apigateway.stage"


@service_group(name="apigateway", resource_types=(REST_API, STAGE))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    apigateway = factory.client("apigateway", region)
    yield from collected((REST_API,), region, lambda: rest_apis(apigateway, region))
    yield from collected((STAGE,), region, lambda: stages(apigateway, factory.client("wafv2", region), region))


def rest_apis(apigateway, region: str) -> Iterator[ResourceDoc]:
    for api in listing(apigateway, "get_rest_apis", "items"):
        reads = SubReads()
        methods = reads(
            "methods",
            lambda api_id=api["id"]: [
                method_summary(resource.get("path"), verb, method)
                for resource in listing(apigateway, "get_resources", "items", restApiId=api_id, embed=["methods"])
                for verb, method in (resource.get("resourceMethods") or {}).items()
            ],
        )
        yield document(
            uid=f"arn:aws:apigateway:{region}::/restapis/{api['id']}",
            type=REST_API,
            region=region,
            name=api.get("name") or api["id"],
            tags=api.get("tags") or {},
            config={
                "id": api["id"],
                "endpoint_types": (api.get("endpointConfiguration") or {}).get("types"),
                "methods": methods,
                "errors": reads.errors,
            },
        )


def method_summary(path: str | None, verb: str, method: dict) -> dict:
    return {
        "path": path,
        "method": verb,
        "authorization": method.get("authorizationType"),
        "api_key_required": bool(method.get("apiKeyRequired")),
        "integration": (method.get("methodIntegration") or {}).get("type"),
    }


def stages(apigateway, wafv2, region: str) -> Iterator[ResourceDoc]:
    for api in listing(apigateway, "get_rest_apis", "items"):
        for stage in apigateway.get_stages(restApiId=api["id"]).get("item") or []:
            reads = SubReads()
            web_acl_arn = stage.get("webAclArn")
            yield document(
                uid=f"arn:aws:apigateway:{region}::/restapis/{api['id']}/stages/{stage['stageName']}",
                type=STAGE,
                region=region,
                name=f"{api.get('name') or api['id']}/{stage['stageName']}",
                tags=stage.get("tags") or {},
                config={
                    "api_id": api["id"],
                    "endpoint_types": (api.get("endpointConfiguration") or {}).get("types"),
                    "web_acl": reads("web_acl", lambda arn=web_acl_arn: web_acl_named(wafv2, arn, "REGIONAL")),
                    "errors": reads.errors,
                },
            )
