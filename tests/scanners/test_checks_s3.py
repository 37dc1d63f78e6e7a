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


def bucket(tags=None, **overrides) -> dict:
    config = {
        "public_access_block": ALL_ON,
        "acl_grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "owner"}, "Permission": "FULL_CONTROL"}],
        "policy": TLS_ONLY,
        "encryption_rules": [KMS_RULE],
        "versioning": {"status": "Enabled", "mfa_delete": "Disabled"},
        "object_lock": None,
    }
    return doc("aws.s3.bucket", name="evidence", tags=tags, **{**config, **overrides})


PRIVATE = bucket()
CRITICAL = {"criticality": "critical"}

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
    Case("s3_critical_bucket_versioning", Status.PASS, bucket(tags=CRITICAL), "critical and versioned"),
    Case(
        "s3_critical_bucket_versioning",
        Status.PASS,
        bucket(
            tags={"Criticality": "High"},
            versioning={"status": "Suspended"},
            object_lock={"ObjectLockEnabled": "Enabled"},
        ),
        "critical with Object Lock",
        reason="Object Lock",
    ),
    Case(
        "s3_critical_bucket_versioning",
        Status.FAIL,
        bucket(tags=CRITICAL, versioning={"status": "Suspended", "mfa_delete": "Disabled"}),
        "critical, versioning suspended",
        reason="Suspended",
    ),
    Case(
        "s3_critical_bucket_versioning",
        Status.NOT_APPLICABLE,
        bucket(versioning={"status": "Never enabled"}),
        "not critical",
    ),
    Case(
        "s3_critical_bucket_versioning",
        Status.ERROR,
        bucket(errors={"tags": "access denied: GetBucketTagging: AccessDenied"}),
        "tags unreadable, so criticality unknown",
        reason="tags could not be read",
    ),
    Case("s3_critical_bucket_versioning", Status.ERROR, without(bucket(tags=CRITICAL), "versioning"), "no versioning"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_s3_check(case):
    assert_case(case)
