"""S3: every bucket of the account with its access, encryption, versioning, Object Lock and lifecycle
settings, and the account-level Block Public Access (S3 Control)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    GLOBAL_REGION,
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    each_at_once,
    listing,
    service_group,
    settings_uid,
    tag_dict,
)

BUCKET = "aws.s3.bucket"
ACCOUNT = "aws.s3.account"
# GetBucketLocation answers null for us-east-1 and "EU" for buckets made in eu-west-1 long ago.
LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


@service_group(name="s3", is_global=True, resource_types=(BUCKET, ACCOUNT))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((BUCKET,), GLOBAL_REGION, lambda: buckets(factory, region))
    yield from collected((ACCOUNT,), GLOBAL_REGION, lambda: [account_settings(factory, region)])


def buckets(factory: ClientFactory, home_region: str) -> list[ResourceDoc]:
    """Several buckets are read at once; each bucket's own reads run one after another."""
    listed = listing(factory.client("s3", home_region), "list_buckets", "Buckets")
    return each_at_once(lambda bucket: bucket_document(factory, home_region, bucket), listed)


def bucket_location(factory: ClientFactory, home_region: str, name: str, reads: SubReads) -> str:
    location = reads("location", lambda: factory.client("s3", home_region).get_bucket_location(Bucket=name))
    if location is None:
        return home_region
    constraint = location.get("LocationConstraint")
    return LEGACY_LOCATIONS.get(constraint, constraint)


def bucket_document(factory: ClientFactory, home_region: str, bucket: dict) -> ResourceDoc:
    name = bucket["Name"]
    reads = SubReads()
    region = bucket.get("BucketRegion") or bucket_location(factory, home_region, name, reads)
    s3 = factory.client("s3", region)
    config = {
        "created": bucket.get("CreationDate"),
        "public_access_block": reads(
            "public_access_block",
            lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
            absent={"NoSuchPublicAccessBlockConfiguration"},
            default={},
        ),
        "acl_grants": reads("acl_grants", lambda: s3.get_bucket_acl(Bucket=name)["Grants"]),
        "policy": reads(
            "policy",
            lambda: json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]),
            absent={"NoSuchBucketPolicy"},
        ),
        "encryption_rules": reads(
            "encryption_rules",
            lambda: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"],
            absent={"ServerSideEncryptionConfigurationNotFoundError"},
            default=[],
        ),
        "versioning": reads("versioning", lambda: versioning(s3, name)),
        "object_lock": reads(
            "object_lock",
            lambda: s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"],
            absent={"ObjectLockConfigurationNotFoundError"},
        ),
        "lifecycle_rules": reads(
            "lifecycle_rules",
            lambda: s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"],
            absent={"NoSuchLifecycleConfiguration"},
            default=[],
        ),
    }
    tags = reads(
        "tags", lambda: tag_dict(s3.get_bucket_tagging(Bucket=name)["TagSet"]), absent={"NoSuchTagSet"}, default={}
    )
    config["errors"] = reads.errors
    return document(uid=f"arn:aws:s3:::{name}", type=BUCKET, region=region, name=name, tags=tags, config=config)


def versioning(s3, name: str) -> dict:
    answer = s3.get_bucket_versioning(Bucket=name)
    return {"status": answer.get("Status") or "Never enabled", "mfa_delete": answer.get("MFADelete") or "Disabled"}


def account_settings(factory: ClientFactory, home_region: str) -> ResourceDoc:
    account_id = factory.account_id()
    reads = SubReads()
    block = reads(
        "public_access_block",
        lambda: factory.client("s3control", home_region).get_public_access_block(AccountId=account_id)[
            "PublicAccessBlockConfiguration"
        ],
        absent={"NoSuchPublicAccessBlockConfiguration"},
        default={},
    )
    return document(
        uid=settings_uid(account_id, GLOBAL_REGION, "s3-account"),
        type=ACCOUNT,
        region=GLOBAL_REGION,
        name=f"S3 settings of account {account_id}",
        config={"public_access_block": block, "errors": reads.errors},
    )
