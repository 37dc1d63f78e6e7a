"""CloudFormation stacks in one region, with the drift status CloudFormation last recorded for each.

Drift is read, never detected: DetectStackDrift starts work in the account, and a scan only reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    collected,
    document,
    listing,
    service_group,
    tag_dict,
)

STACK = "aws.cloudformation.stack"


@service_group(name="cloudformation", resource_types=(STACK,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((STACK,), region, lambda: stacks(factory, region))


def stacks(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    cloudformation = factory.client("cloudformation", region)
    collected_at = datetime.now(UTC)
    for stack in listing(cloudformation, "describe_stacks", "Stacks"):
        drift = stack.get("DriftInformation") or {}
        yield document(
            uid=stack["StackId"],
            type=STACK,
            region=region,
            name=stack["StackName"],
            tags=tag_dict(stack.get("Tags")),
            config={
                "status": stack.get("StackStatus"),
                "parent_id": stack.get("ParentId"),
                "drift_status": drift.get("StackDriftStatus"),
                "drift_checked_at": drift.get("LastCheckTimestamp"),
                "collected_at": collected_at,
                "errors": {},
            },
        )
