"""CloudWatch Logs in one region: every log group with its retention."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    collected,
    document,
    listing,
    service_group,
)

LOG_GROUP = "aws.logs.log_group"


@service_group(name="logs", resource_types=(LOG_GROUP,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((LOG_GROUP,), region, lambda: log_groups(factory.client("logs", region), region))


def log_groups(logs, region: str) -> Iterator[ResourceDoc]:
    for group in listing(logs, "describe_log_groups", "logGroups"):
        yield document(
            uid=group["arn"].removesuffix(":*"),
            type=LOG_GROUP,
            region=region,
            name=group["logGroupName"],
            config={
                # AWS leaves retentionInDays out when events never expire.
                "retention_in_days": group.get("retentionInDays"),
                "stored_bytes": group.get("storedBytes"),
                "kms_key_id": group.get("kmsKeyId"),
                "errors": {},
            },
        )
