"""CloudFront distributions (a global service) with the AWS WAF web ACL in front of each."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.aws.web_acls import web_acl_named
from scanners.collectors.base import (
    GLOBAL_REGION,
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    service_group,
)

DISTRIBUTION = "aws.cloudfront.distribution"
# CloudFront and the web ACLs it uses (scope CLOUDFRONT) are served from us-east-1 whatever region is scanned.
CLOUDFRONT_REGION = "us-east-1"


@service_group(name="cloudfront", is_global=True, resource_types=(DISTRIBUTION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((DISTRIBUTION,), GLOBAL_REGION, lambda: distributions(factory))


def distributions(factory: ClientFactory) -> Iterator[ResourceDoc]:
    cloudfront = factory.client("cloudfront", CLOUDFRONT_REGION)
    wafv2 = factory.client("wafv2", CLOUDFRONT_REGION)
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for distribution in (page.get("DistributionList") or {}).get("Items") or []:
            reads = SubReads()
            # WebACLId is the web ACL's ARN for AWS WAF, a bare id for WAF Classic, and empty when there is none.
            web_acl_id = distribution.get("WebACLId")
            yield document(
                uid=distribution["ARN"],
                type=DISTRIBUTION,
                region=GLOBAL_REGION,
                name=distribution.get("DomainName") or distribution["Id"],
                config={
                    "id": distribution["Id"],
                    "enabled": distribution.get("Enabled"),
                    "aliases": (distribution.get("Aliases") or {}).get("Items") or [],
                    "web_acl": reads(
                        "web_acl", lambda web_acl_id=web_acl_id: web_acl_named(wafv2, web_acl_id, "CLOUDFRONT")
                    ),
                    "errors": reads.errors,
                },
            )
