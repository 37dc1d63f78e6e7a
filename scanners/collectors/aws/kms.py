"""KMS keys in one region, with their state, aliases, (for keys that rotate) the rotation setting and,
for customer managed keys, the key policy."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    each_at_once,
    listing,
    service_group,
    tag_dict,
)

KEY = "aws.kms.key"
# AWS answers GetKeyRotationStatus only for enabled or disabled symmetric keys with key material it made.
ROTATABLE_STATES = {"Enabled", "Disabled"}
METADATA_FIELDS = (
    "key_manager",
    "key_state",
    "key_spec",
    "key_usage",
    "origin",
    "rotation_enabled",
    "pending_deletion_window_days",
    "key_policy",
)


@service_group(name="kms", resource_types=(KEY,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((KEY,), region, lambda: keys(factory.client("kms", region), region))


def keys(kms, region: str) -> Iterator[ResourceDoc]:
    found = listing(kms, "list_keys", "Keys")
    if not found:
        return
    shared = SubReads()
    aliases = shared("aliases", lambda: aliases_by_key(kms)) or {}
    # Each key takes up to four reads of its own: several keys at once.
    yield from each_at_once(lambda key: key_document(kms, region, key, shared, aliases), found)


def key_document(kms, region: str, key: dict, shared: SubReads, aliases: dict[str, list[str]]) -> ResourceDoc:
    reads = SubReads()
    reads.errors.update(shared.errors)
    key_id = key["KeyId"]
    metadata = reads("metadata", lambda key_id=key_id: kms.describe_key(KeyId=key_id)["KeyMetadata"]) or {}
    if "metadata" in reads.errors:
        reads.failed(*METADATA_FIELDS, reason=reads.errors["metadata"])
    rotation = None
    if rotatable(metadata):
        rotation = reads(
            "rotation_enabled",
            lambda key_id=key_id: kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"],
        )
    tags, policy = {}, None
    if metadata.get("KeyManager") == "CUSTOMER":
        policy = reads(
            "key_policy",
            lambda key_id=key_id: json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]),
        )
        tags = reads(
            "tags",
            lambda key_id=key_id: tag_dict(
                listing(kms, "list_resource_tags", "Tags", KeyId=key_id), key="TagKey", value="TagValue"
            ),
        )
    names = aliases.get(key_id, [])
    return document(
        uid=key.get("KeyArn") or key_id,
        type=KEY,
        region=region,
        name=names[0] if names else key_id,
        tags=tags or {},
        config={
            "key_id": key_id,
            "key_manager": metadata.get("KeyManager"),
            "key_state": metadata.get("KeyState"),
            "key_spec": metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec"),
            "key_usage": metadata.get("KeyUsage"),
            "origin": metadata.get("Origin"),
            "multi_region": bool(metadata.get("MultiRegion")),
            "deletion_date": metadata.get("DeletionDate"),
            "pending_deletion_window_days": metadata.get("PendingDeletionWindowInDays"),
            "key_policy": policy,
            "rotation_enabled": rotation,
            "aliases": names,
            "errors": reads.errors,
        },
    )


def rotatable(metadata: dict) -> bool:
    return (
        metadata.get("KeyManager") == "CUSTOMER"
        and metadata.get("Origin") == "AWS_KMS"
        and (metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec")) == "SYMMETRIC_DEFAULT"
        and metadata.get("KeyState") in ROTATABLE_STATES
    )


def aliases_by_key(kms) -> dict[str, list[str]]:
    names: dict[str, list[str]] = defaultdict(list)
    for alias in listing(kms, "list_aliases", "Aliases"):
        if alias.get("TargetKeyId"):
            names[alias["TargetKeyId"]].append(alias["AliasName"])
    return dict(names)
