"""EC2 compute and storage in one region: instances, EBS volumes and snapshots (with their locks), AMIs,
and the region's EBS settings (encryption by default)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
    tag_dict,
)

INSTANCE = "aws.ec2.instance"
VOLUME = "aws.ec2.volume"
SNAPSHOT = "aws.ec2.snapshot"
IMAGE = "aws.ec2.image"
REGION = "aws.ec2.region"
GONE_INSTANCE_STATES = {"terminated", "shutting-down"}


@service_group(name="ec2", resource_types=(INSTANCE, VOLUME, SNAPSHOT, IMAGE, REGION))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    ec2 = factory.client("ec2", region)
    yield from collected((INSTANCE,), region, lambda: instances(ec2, region))
    yield from collected((VOLUME,), region, lambda: volumes(ec2, region, factory.account_id()))
    yield from collected((SNAPSHOT,), region, lambda: snapshots(ec2, region))
    yield from collected((IMAGE,), region, lambda: images(ec2, region))
    yield from collected((REGION,), region, lambda: [region_settings(factory, ec2, region)])


def arn(region: str, owner: str, kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{region}:{owner}:{kind}/{ident}"


def instances(ec2, region: str) -> Iterator[ResourceDoc]:
    for reservation in listing(ec2, "describe_instances", "Reservations"):
        for instance in reservation.get("Instances", []):
            if instance.get("State", {}).get("Name") in GONE_INSTANCE_STATES:
                continue
            tags = tag_dict(instance.get("Tags"))
            ident = instance["InstanceId"]
            yield document(
                uid=arn(region, reservation.get("OwnerId", ""), "instance", ident),
                type=INSTANCE,
                region=region,
                name=tags.get("Name") or ident,
                tags=tags,
                config={
                    "instance_id": ident,
                    "state": instance.get("State", {}).get("Name"),
                    "vpc_id": instance.get("VpcId"),
                    "subnet_id": instance.get("SubnetId"),
                    "public_ip": instance.get("PublicIpAddress"),
                    "security_groups": [group["GroupId"] for group in instance.get("SecurityGroups", [])],
                    "instance_profile": (instance.get("IamInstanceProfile") or {}).get("Arn"),
                    "metadata_options": instance.get("MetadataOptions") or {},
                    "errors": {},
                },
            )


def volumes(ec2, region: str, account_id: str) -> Iterator[ResourceDoc]:
    for volume in listing(ec2, "describe_volumes", "Volumes"):
        tags = tag_dict(volume.get("Tags"))
        ident = volume["VolumeId"]
        yield document(
            uid=arn(region, account_id, "volume", ident),
            type=VOLUME,
            region=region,
            name=tags.get("Name") or ident,
            tags=tags,
            config={
                "volume_id": ident,
                "encrypted": bool(volume.get("Encrypted")),
                "kms_key_id": volume.get("KmsKeyId"),
                "state": volume.get("State"),
                "size_gib": volume.get("Size"),
                "attached_to": [item.get("InstanceId") for item in volume.get("Attachments", [])],
                "errors": {},
            },
        )


def snapshots(ec2, region: str) -> Iterator[ResourceDoc]:
    # OwnerIds=["self"] matters on AWS: without it the call lists every public snapshot in the region.
    found = listing(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"])
    collected_at = datetime.now(UTC)
    region_reads = SubReads()
    locks = region_reads("lock", lambda: snapshot_locks(ec2)) if found else {}
    for snapshot in found:
        tags = tag_dict(snapshot.get("Tags"))
        ident = snapshot["SnapshotId"]
        reads = SubReads()
        permissions = reads(
            "create_volume_permissions",
            lambda ident=ident: ec2.describe_snapshot_attribute(SnapshotId=ident, Attribute="createVolumePermission")[
                "CreateVolumePermissions"
            ],
        )
        yield document(
            uid=arn(region, snapshot.get("OwnerId", ""), "snapshot", ident),
            type=SNAPSHOT,
            region=region,
            name=tags.get("Name") or ident,
            tags=tags,
            config={
                "snapshot_id": ident,
                "volume_id": snapshot.get("VolumeId"),
                "encrypted": bool(snapshot.get("Encrypted")),
                "kms_key_id": snapshot.get("KmsKeyId"),
                "started": snapshot.get("StartTime"),
                "create_volume_permissions": permissions,
                "lock": locks.get(ident, {}) if locks is not None else None,
                "collected_at": collected_at,
                "errors": {**region_reads.errors, **reads.errors},
            },
        )


def snapshot_locks(ec2) -> dict[str, dict]:
    """The lock of every locked snapshot of the account in the region, by snapshot id (no paginator exists)."""
    locks: dict[str, dict] = {}
    params: dict = {}
    while True:
        page = ec2.describe_locked_snapshots(**params)
        for item in page.get("Snapshots") or []:
            locks[item["SnapshotId"]] = {
                "state": item.get("LockState"),
                "duration_days": item.get("LockDuration"),
                "created_on": item.get("LockCreatedOn"),
                "expires_on": item.get("LockExpiresOn"),
            }
        if not page.get("NextToken"):
            return locks
        params = {"NextToken": page["NextToken"]}


def images(ec2, region: str) -> Iterator[ResourceDoc]:
    for image in listing(ec2, "describe_images", "Images", Owners=["self"]):
        tags = tag_dict(image.get("Tags"))
        ident = image["ImageId"]
        yield document(
            uid=arn(region, image.get("OwnerId", ""), "image", ident),
            type=IMAGE,
            region=region,
            name=image.get("Name") or ident,
            tags=tags,
            config={
                "image_id": ident,
                "public": bool(image.get("Public")),
                "state": image.get("State"),
                "created": image.get("CreationDate"),
                "errors": {},
            },
        )


def region_settings(factory: ClientFactory, ec2, region: str) -> ResourceDoc:
    account_id = factory.account_id()
    reads = SubReads()
    by_default = reads(
        "ebs_encryption_by_default", lambda: ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]
    )
    return document(
        uid=settings_uid(account_id, region, "ec2-settings"),
        type=REGION,
        region=region,
        name=f"EC2 settings in {region}",
        config={"ebs_encryption_by_default": by_default, "errors": reads.errors},
    )
