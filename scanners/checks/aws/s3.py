"""S3: public exposure, encryption at rest and in transit, versioning and Object Lock against loss and
tampering, and lifecycle expiration so that records are deleted once no longer required."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from scanners.checks.base import Result, Setting, check, field, listed
from scanners.checks.policies import denies_insecure_transport, public_statements

BUCKET = "aws.s3.bucket"
ACCOUNT = "aws.s3.account"
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "everyone",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "any AWS user",
}
KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}
# Buckets whose names say they keep logs, records, audit trails, archives or backups, matched against the
# parts of the name as well ("acme-logs-eu", "vpc-flowlogs", but not "product-catalog").
RECORD_BUCKETS = ["log", "*logs", "record", "*records", "audit", "*archive", "*archives", "*backup", "*backups"]
NAME_PARTS = re.compile(r"[-._]")

DATA_EXPOSURE = (
    "iso27001-2022:A.8.12",
    "iso27001-2022:A.5.14",
    "iso27001-2013:A.13.2.1",
    "iso27001-2013:A.9.4.1",
    "soc2-2017:CC6.1",
    "soc2-2017:CC6.6",
)
ENCRYPTION_AT_REST = ("iso27001-2022:A.8.24", "iso27001-2013:A.10.1.1", "soc2-2017:CC6.1")
BACKUP = ("iso27001-2022:A.8.13", "iso27001-2013:A.12.3.1", "soc2-2017:A1.2")
RECORDS = (
    "iso27001-2022:A.8.13",
    "iso27001-2022:A.5.33",
    "iso27001-2013:A.12.3.1",
    "iso27001-2013:A.18.1.3",
    "soc2-2017:A1.2",
)
DELETION = ("iso27001-2022:A.8.10", "iso27001-2013:A.8.3.2", "soc2-2017:C1.2")
ENCRYPTION_IN_TRANSIT = (
    "iso27001-2022:A.8.24",
    "iso27001-2022:A.5.14",
    "iso27001-2013:A.10.1.1",
    "iso27001-2013:A.13.2.1",
    "soc2-2017:CC6.7",
)


def missing_flags(block: dict) -> list[str]:
    return [flag for flag in PUBLIC_ACCESS_FLAGS if not block.get(flag)]


@check(
    id="s3_account_block_public_access",
    title="S3 Block Public Access is on for the whole account",
    resource=ACCOUNT,
    severity="high",
    controls=DATA_EXPOSURE,
    remediation="""Turn on all four Block Public Access settings at account level (S3 console > Block Public
    Access settings for this account, or `aws s3control put-public-access-block`). Buckets that must serve
    public content belong behind CloudFront with an origin access control instead.""",
)
def account_blocks_public_access(account: dict) -> Result:
    missing = missing_flags(field(account, "public_access_block"))
    if missing:
        return Result.failed(f"account-level Block Public Access off: {', '.join(missing)}")
    return Result.passed("all four account-level Block Public Access settings are on")


@check(
    id="s3_bucket_block_public_access",
    title="S3 bucket blocks public access",
    resource=BUCKET,
    severity="high",
    controls=DATA_EXPOSURE,
    remediation="""Turn on the four Block Public Access settings on the bucket (Permissions tab, or
    `aws s3api put-public-access-block`). If the bucket must be public, record an exemption with the reason
    and the owner.""",
)
def bucket_blocks_public_access(bucket: dict) -> Result:
    missing = missing_flags(field(bucket, "public_access_block"))
    if missing:
        return Result.failed(f"Block Public Access off: {', '.join(missing)}")
    return Result.passed("all four Block Public Access settings are on")


@check(
    id="s3_bucket_acl_not_public",
    title="S3 bucket ACL grants nothing to everyone or to all AWS users",
    resource=BUCKET,
    severity="critical",
    controls=DATA_EXPOSURE,
    remediation="""Remove the AllUsers and AuthenticatedUsers grants from the bucket ACL, and prefer
    'Bucket owner enforced' object ownership so that ACLs no longer apply at all.""",
)
def bucket_acl_not_public(bucket: dict) -> Result:
    public = [
        f"{grant.get('Permission')} to {PUBLIC_GRANTEES[grant['Grantee']['URI']]}"
        for grant in field(bucket, "acl_grants")
        if (grant.get("Grantee") or {}).get("URI") in PUBLIC_GRANTEES
    ]
    if public:
        return Result.failed(f"the ACL grants {listed(public)}")
    return Result.passed("no public grant in the ACL")


@check(
    id="s3_bucket_policy_not_public",
    title="S3 bucket policy does not allow anonymous access",
    resource=BUCKET,
    severity="critical",
    controls=DATA_EXPOSURE,
    remediation="""Replace `"Principal": "*"` statements with the accounts or roles that need access, or
    restrict them with a condition such as aws:SourceVpce or aws:PrincipalOrgID.""",
)
def bucket_policy_not_public(bucket: dict) -> Result:
    policy = field(bucket, "policy", allow_none=True)
    if policy is None:
        return Result.passed("no bucket policy")
    public = public_statements(policy)
    if public:
        sids = [statement.get("Sid") or "(no Sid)" for statement in public]
        return Result.failed(f"the policy allows anyone: statements {listed(sids)}")
    return Result.passed("no policy statement allows anyone")


@check(
    id="s3_bucket_default_encryption",
    title="S3 bucket encrypts new objects by default",
    resource=BUCKET,
    severity="medium",
    controls=ENCRYPTION_AT_REST,
    remediation="""Set default encryption on the bucket (Properties > Default encryption), preferably SSE-KMS
    with a customer managed key and S3 Bucket Keys enabled.""",
)
def bucket_default_encryption(bucket: dict) -> Result:
    algorithms = encryption_algorithms(bucket)
    if not algorithms:
        return Result.failed("no default encryption configured")
    return Result.passed(f"default encryption: {', '.join(algorithms)}")


def encryption_algorithms(bucket: dict) -> list[str]:
    rules = field(bucket, "encryption_rules")
    return [
        rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        for rule in rules
        if (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")
    ]


@check(
    id="s3_bucket_encryption_uses_kms",
    title="S3 bucket default encryption uses KMS keys",
    resource=BUCKET,
    severity="low",
    controls=("iso27001-2022:A.8.24", "iso27001-2013:A.10.1.1", "iso27001-2013:A.10.1.2", "soc2-2017:CC6.1"),
    remediation="""Switch default encryption to SSE-KMS with a customer managed key: key use is then logged in
    CloudTrail and access to the data also needs kms:Decrypt, which SSE-S3 does not give you.""",
)
def bucket_encryption_uses_kms(bucket: dict) -> Result:
    algorithms = encryption_algorithms(bucket)
    if not algorithms:
        return Result.failed("no default encryption configured")
    if set(algorithms) & KMS_ALGORITHMS:
        return Result.passed(f"default encryption: {', '.join(algorithms)}")
    return Result.failed(f"default encryption {', '.join(algorithms)} uses keys managed by S3, not KMS")


@check(
    id="s3_bucket_policy_denies_insecure_transport",
    title="S3 bucket policy refuses requests that are not over TLS",
    resource=BUCKET,
    severity="medium",
    controls=ENCRYPTION_IN_TRANSIT,
    remediation="""Add a Deny statement for Principal "*" on the bucket and its objects with the condition
    `"Bool": {"aws:SecureTransport": "false"}`.""",
)
def bucket_denies_insecure_transport(bucket: dict) -> Result:
    policy = field(bucket, "policy", allow_none=True)
    if policy is None:
        return Result.failed("no bucket policy, so plain HTTP requests are accepted")
    if denies_insecure_transport(policy):
        return Result.passed("the policy denies requests where aws:SecureTransport is false")
    return Result.failed("the policy does not deny plain HTTP requests")


def matches(name: str, patterns: list) -> bool:
    """A pattern matches the whole bucket name, or one of its parts between '-', '.' and '_'."""
    candidates = [name, *NAME_PARTS.split(name)]
    return any(fnmatchcase(candidate, str(pattern)) for pattern in patterns for candidate in candidates)


def versioned(bucket: dict) -> bool:
    return field(bucket, "versioning").get("status") == "Enabled"


@check(
    id="s3_bucket_versioning_enabled",
    title="S3 bucket keeps previous versions of its objects",
    resource=BUCKET,
    severity="medium",
    controls=BACKUP,
    remediation="""Enable versioning on the bucket (Properties > Bucket Versioning, or `aws s3api
    put-bucket-versioning --versioning-configuration Status=Enabled`), with a lifecycle rule that expires
    noncurrent versions after the period your backup policy sets, so that an overwrite or a deletion can
    be undone without keeping every version forever.""",
)
def bucket_versioning_enabled(bucket: dict) -> Result:
    if versioned(bucket):
        return Result.passed("versioning is enabled")
    return Result.failed(f"versioning is {field(bucket, 'versioning').get('status', 'off')}")


@check(
    id="s3_bucket_object_lock",
    title="S3 bucket that keeps records locks its objects for a default retention period",
    resource=BUCKET,
    severity="medium",
    controls=RECORDS,
    remediation="""Turn on Object Lock (`aws s3api put-object-lock-configuration`, which needs versioning)
    with a default retention: COMPLIANCE mode for records nobody may delete early, GOVERNANCE mode where
    a few administrators may. Without a default retention, objects are locked only when the writer asks.
    Name the buckets that keep records in this check's settings if not every bucket does.""",
    settings={
        "buckets": Setting(
            ["*"], "Patterns (shell-style, e.g. audit-*) of the names, or parts of names, of buckets that keep records"
        ),
    },
)
def bucket_object_lock(bucket: dict, settings: dict) -> Result:
    if not matches(bucket["name"], settings["buckets"]):
        return Result.not_applicable(f"the bucket matches none of {listed(settings['buckets'])}")
    lock = field(bucket, "object_lock", allow_none=True) or {}
    if lock.get("ObjectLockEnabled") != "Enabled":
        return Result.failed("Object Lock is off")
    retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
    period = next((f"{retention[unit]} {unit.lower()}" for unit in ("Days", "Years") if retention.get(unit)), None)
    if not period:
        return Result.failed("Object Lock is on without a default retention, so objects are locked only on request")
    return Result.passed(f"Object Lock in {retention.get('Mode', 'unknown')} mode for {period} by default")


def expiring_rules(bucket: dict, action: str) -> list[str]:
    """Enabled lifecycle rules that delete objects through `action`, with the part of the bucket they cover."""
    found = []
    for rule in field(bucket, "lifecycle_rules"):
        if rule.get("Status") != "Enabled" or not rule.get(action):
            continue
        limits = rule[action]
        if action == "Expiration" and not (limits.get("Days") or limits.get("Date")):
            continue  # ExpiredObjectDeleteMarker alone removes markers, not data
        scope = (rule.get("Filter") or {}).get("Prefix") or rule.get("Prefix")
        found.append(f"{rule.get('ID') or '(no ID)'}{f' on {scope}' if scope else ''}")
    return found


@check(
    id="s3_bucket_lifecycle_expiration",
    title="S3 bucket that keeps logs or records deletes them after a retention period",
    resource=BUCKET,
    severity="low",
    controls=DELETION,
    remediation="""Add a lifecycle rule that expires objects once your retention schedule no longer requires
    them and, on a versioned bucket, one that expires noncurrent versions too: expiring the current version
    only hides it behind a delete marker. Name the buckets that keep records in this check's settings.""",
    settings={
        "buckets": Setting(
            RECORD_BUCKETS,
            "Patterns (shell-style) of the names, or parts of names, of buckets whose contents must expire",
        ),
    },
)
def bucket_lifecycle_expiration(bucket: dict, settings: dict) -> Result:
    if not matches(bucket["name"], settings["buckets"]):
        return Result.not_applicable(f"the bucket matches none of {listed(settings['buckets'])}")
    current = expiring_rules(bucket, "Expiration")
    if not current:
        return Result.failed("no enabled lifecycle rule expires objects")
    if field(bucket, "versioning").get("status") == "Never enabled":
        return Result.passed(f"objects expire by rules {listed(current)}")
    noncurrent = expiring_rules(bucket, "NoncurrentVersionExpiration")
    if not noncurrent:
        return Result.failed("objects expire but their noncurrent versions are kept forever")
    return Result.passed(f"objects expire by rules {listed(current)}, noncurrent versions by {listed(noncurrent)}")
