"""S3 checks on plain documents: what an auditor would call compliant, non-compliant, and unknown."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
TLS_ONLY = {
    "Statement": [
        {
            "Sid": "DenyPlainHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::evidence", "arn:aws:s3:::evidence/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
}
PUBLIC_READ = {
    "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]
}
VPC_ONLY_READ = {
    "Statement": [
        {
            "Sid": "FromOurEndpoint",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}},
        }
    ]
}
KMS_RULE = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/data"}}
SSE_S3_RULE = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
ALL_USERS = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}


def bucket(tags=None, name="evidence", **overrides) -> dict:
    config = {
        "public_access_block": ALL_ON,
        "acl_grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "owner"}, "Permission": "FULL_CONTROL"}],
        "policy": TLS_ONLY,
        "encryption_rules": [KMS_RULE],
        "versioning": {"status": "Enabled", "mfa_delete": "Disabled"},
        "object_lock": None,
        "lifecycle_rules": [],
    }
    return doc("aws.s3.bucket", name=name, tags=tags, **{**config, **overrides})


PRIVATE = bucket()
LOCKED = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 7}}}
EXPIRE = {"ID": "keep-400-days", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 400}}
EXPIRE_NONCURRENT = {"ID": "old-versions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
PLAIN = {"status": "Never enabled", "mfa_delete": "Disabled"}

CASES = [
    Case("s3_account_block_public_access", Status.PASS, doc("aws.s3.account", public_access_block=ALL_ON), "all on"),
    Case(
        "s3_account_block_public_access",
        Status.FAIL,
        doc("aws.s3.account", public_access_block={**ALL_ON, "RestrictPublicBuckets": False}),
        "one setting off",
        reason="RestrictPublicBuckets",
    ),
    Case(
        "s3_account_block_public_access",
        Status.FAIL,
        doc("aws.s3.account", public_access_block={}),
        "never configured",
        reason="BlockPublicAcls",
    ),
    Case(
        "s3_account_block_public_access",
        Status.ERROR,
        failed_read(doc("aws.s3.account", public_access_block=ALL_ON), "public_access_block", "endpoint unreachable"),
        "S3 Control unreachable",
        reason="endpoint unreachable",
    ),
    Case("s3_bucket_block_public_access", Status.PASS, PRIVATE, "all four on"),
    Case(
        "s3_bucket_block_public_access",
        Status.FAIL,
        bucket(public_access_block={}),
        "not configured",
        reason="IgnorePublicAcls",
    ),
    Case(
        "s3_bucket_block_public_access",
        Status.ERROR,
        failed_read(PRIVATE, "public_access_block"),
        "read denied",
        reason="access denied",
    ),
    Case("s3_bucket_acl_not_public", Status.PASS, PRIVATE, "owner only"),
    Case(
        "s3_bucket_acl_not_public",
        Status.FAIL,
        bucket(acl_grants=[{"Grantee": ALL_USERS, "Permission": "READ"}]),
        "AllUsers can read",
        reason="READ to everyone",
    ),
    Case("s3_bucket_acl_not_public", Status.ERROR, without(PRIVATE, "acl_grants"), "ACL not collected"),
    Case("s3_bucket_policy_not_public", Status.PASS, PRIVATE, "TLS-only deny policy"),
    Case("s3_bucket_policy_not_public", Status.PASS, bucket(policy=None), "no policy", reason="no bucket policy"),
    Case("s3_bucket_policy_not_public", Status.PASS, bucket(policy=VPC_ONLY_READ), "anyone, but only via our VPCE"),
    Case(
        "s3_bucket_policy_not_public",
        Status.FAIL,
        bucket(policy=PUBLIC_READ),
        "Principal * read",
        reason="PublicRead",
    ),
    Case(
        "s3_bucket_policy_not_public",
        Status.ERROR,
        failed_read(PRIVATE, "policy"),
        "GetBucketPolicy denied on this bucket",
        reason="policy could not be read: access denied",
    ),
    Case("s3_bucket_default_encryption", Status.PASS, bucket(encryption_rules=[SSE_S3_RULE]), "SSE-S3"),
    Case("s3_bucket_default_encryption", Status.FAIL, bucket(encryption_rules=[]), "none", reason="no default"),
    Case("s3_bucket_default_encryption", Status.ERROR, without(PRIVATE, "encryption_rules"), "not collected"),
    Case("s3_bucket_encryption_uses_kms", Status.PASS, PRIVATE, "SSE-KMS", reason="aws:kms"),
    Case(
        "s3_bucket_encryption_uses_kms",
        Status.FAIL,
        bucket(encryption_rules=[SSE_S3_RULE]),
        "SSE-S3 only",
        reason="not KMS",
    ),
    Case("s3_bucket_encryption_uses_kms", Status.ERROR, failed_read(PRIVATE, "encryption_rules"), "read denied"),
    Case("s3_bucket_policy_denies_insecure_transport", Status.PASS, PRIVATE, "deny when not TLS"),
    Case(
        "s3_bucket_policy_denies_insecure_transport",
        Status.FAIL,
        bucket(policy=PUBLIC_READ),
        "policy without the TLS deny",
        reason="does not deny",
    ),
    Case(
        "s3_bucket_policy_denies_insecure_transport",
        Status.FAIL,
        bucket(policy=None),
        "no policy",
        reason="no bucket policy",
    ),
    Case(
        "s3_bucket_policy_denies_insecure_transport",
        Status.ERROR,
        failed_read(PRIVATE, "policy", "throttled: GetBucketPolicy: SlowDown"),
        "throttled",
        reason="throttled",
    ),
    Case("s3_bucket_versioning_enabled", Status.PASS, PRIVATE, "versioned", reason="enabled"),
    Case(
        "s3_bucket_versioning_enabled",
        Status.FAIL,
        bucket(versioning={"status": "Suspended", "mfa_delete": "Disabled"}),
        "versioning suspended",
        reason="Suspended",
    ),
    Case("s3_bucket_versioning_enabled", Status.FAIL, bucket(versioning=PLAIN), "never versioned"),
    Case("s3_bucket_versioning_enabled", Status.ERROR, failed_read(PRIVATE, "versioning"), "read denied"),
    Case("s3_bucket_object_lock", Status.PASS, bucket(object_lock=LOCKED), "seven years", reason="COMPLIANCE mode"),
    Case("s3_bucket_object_lock", Status.FAIL, PRIVATE, "every bucket by default", reason="Object Lock is off"),
    Case(
        "s3_bucket_object_lock",
        Status.FAIL,
        bucket(object_lock={"ObjectLockEnabled": "Enabled"}),
        "lock on but no default retention",
        reason="without a default retention",
    ),
    Case(
        "s3_bucket_object_lock",
        Status.NOT_APPLICABLE,
        bucket(name="web-assets"),
        "a bucket the account does not count as records",
        settings={"buckets": ["audit-*", "evidence"]},
    ),
    Case(
        "s3_bucket_object_lock",
        Status.FAIL,
        bucket(name="audit-2026"),
        "a bucket the account counts as records",
        settings={"buckets": ["audit-*"]},
    ),
    Case(
        "s3_bucket_object_lock",
        Status.ERROR,
        failed_read(PRIVATE, "object_lock", "throttled: GetObjectLockConfiguration: SlowDown"),
        "lock unreadable",
        reason="throttled",
    ),
    Case(
        "s3_bucket_lifecycle_expiration",
        Status.PASS,
        bucket(name="app-logs", lifecycle_rules=[EXPIRE, EXPIRE_NONCURRENT]),
        "versioned log bucket expiring objects and old versions",
        reason="noncurrent versions by old-versions",
    ),
    Case(
        "s3_bucket_lifecycle_expiration",
        Status.PASS,
        bucket(name="app-logs", versioning=PLAIN, lifecycle_rules=[{**EXPIRE, "Filter": {"Prefix": "AWSLogs/"}}]),
        "unversioned log bucket, rule on the log prefix",
        reason="keep-400-days on AWSLogs/",
    ),
    Case(
        "s3_bucket_lifecycle_expiration",
        Status.FAIL,
        bucket(name="app-logs", lifecycle_rules=[EXPIRE]),
        "versioned: expired objects live on as noncurrent versions",
        reason="kept forever",
    ),
    Case(
        "s3_bucket_lifecycle_expiration",
        Status.FAIL,
        bucket(
            name="contract-records",
            lifecycle_rules=[
                {**EXPIRE, "Status": "Disabled"},
                {"ID": "markers", "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True}},
            ],
        ),
        "a disabled rule and one that only clears delete markers",
        reason="no enabled lifecycle rule expires objects",
    ),
    Case("s3_bucket_lifecycle_expiration", Status.NOT_APPLICABLE, PRIVATE, "not a log or records bucket by name"),
    Case(
        "s3_bucket_lifecycle_expiration",
        Status.NOT_APPLICABLE,
        bucket(name="product-catalog"),
        "'log' inside a word is not a log bucket",
    ),
    Case("s3_bucket_lifecycle_expiration", Status.FAIL, bucket(name="vpc-flowlogs.eu"), "a part ends in logs"),
    Case("s3_bucket_lifecycle_expiration", Status.FAIL, bucket(name="acme_audit"), "an audit bucket"),
    Case(
        "s3_bucket_lifecycle_expiration",
        Status.FAIL,
        PRIVATE,
        "every bucket must expire its contents when the account says so",
        settings={"buckets": ["*"]},
    ),
    Case(
        "s3_bucket_lifecycle_expiration",
        Status.ERROR,
        failed_read(bucket(name="app-logs"), "lifecycle_rules"),
        "lifecycle unreadable",
        reason="lifecycle rules could not be read",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_s3_check(case):
    assert_case(case)
