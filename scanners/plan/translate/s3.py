"""S3 buckets, merged with the resources that configure them since AWS provider 4 (`aws_s3_bucket_*`), and the
account's Block Public Access. A setting no resource of the plan declares is what AWS gives a new bucket
without it, as the collector would then read it: no Block Public Access configuration, no policy, no default
encryption configuration, versioning never enabled, no Object Lock, no lifecycle rule."""

from __future__ import annotations

from typing import Any

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, json_value, translates
from scanners.plan.unknown import Unknown

FLAGS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}
GROUPS = "http://acs.amazonaws.com/groups/"
OWNER = {"Grantee": {"Type": "CanonicalUser", "ID": "owner"}, "Permission": "FULL_CONTROL"}
CANNED_ACLS = {
    "private": [],
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
    "aws-exec-read": [],
    "public-read": [("global/AllUsers", "READ")],
    "public-read-write": [("global/AllUsers", "READ"), ("global/AllUsers", "WRITE")],
    "authenticated-read": [("global/AuthenticatedUsers", "READ")],
    "log-delivery-write": [("s3/LogDelivery", "WRITE"), ("s3/LogDelivery", "READ_ACP")],
}
NEVER_VERSIONED = {"status": "Never enabled", "mfa_delete": "Disabled"}


@translates(
    "aws_s3_bucket",
    "aws.s3.bucket",
    reads=(
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_object_lock_configuration",
        "aws_s3_bucket_lifecycle_configuration",
    ),
)
def bucket(plan: Plan, resource: PlanResource) -> dict:
    name = resource.get("bucket")

    def configured_by(kind: str) -> PlanResource | None:
        found = plan.pointing_at(resource, "bucket", kind)
        return found[-1] if found else None

    config = {
        "created": None,
        "public_access_block": public_access_block(configured_by("aws_s3_bucket_public_access_block")),
        "acl_grants": acl_grants(resource, configured_by("aws_s3_bucket_acl")),
        "policy": policy(resource, configured_by("aws_s3_bucket_policy")),
        "encryption_rules": encryption_rules(
            resource, configured_by("aws_s3_bucket_server_side_encryption_configuration")
        ),
        "versioning": versioning(resource, configured_by("aws_s3_bucket_versioning")),
        "object_lock": object_lock(resource, configured_by("aws_s3_bucket_object_lock_configuration")),
        "lifecycle_rules": lifecycle_rules(configured_by("aws_s3_bucket_lifecycle_configuration")),
    }
    uid = f"arn:aws:s3:::{name}" if isinstance(name, str) else None
    return doc(resource=resource, type="aws.s3.bucket", region=plan.region(), name=name, config=config, uid=uid)


def public_access_block(block: PlanResource | None) -> dict:
    if block is None:
        return {}
    return {flag: block.get(attribute, unset=False) for attribute, flag in FLAGS.items()}


def grants_of_canned(acl: Any) -> Any:
    if isinstance(acl, Unknown):
        return acl
    extra = CANNED_ACLS.get(str(acl))
    if extra is None:
        return Unknown(f"the grants of the canned ACL {acl!r}")
    return [OWNER] + [{"Grantee": {"Type": "Group", "URI": GROUPS + group}, "Permission": p} for group, p in extra]


def acl_grants(bucket_resource: PlanResource, acl: PlanResource | None) -> Any:
    if acl is None:
        if bucket_resource.sets("acl"):
            return grants_of_canned(bucket_resource.get("acl"))
        return [OWNER]
    if acl.sets("acl") or not acl.block("access_control_policy"):
        return grants_of_canned(acl.get("acl", unset="private"))
    grants = acl.get("access_control_policy.0.grant", unset=[])
    if isinstance(grants, Unknown):
        return grants
    return [
        {
            "Grantee": {
                key: value
                for key, value in {
                    "Type": (grant.get("grantee") or [{}])[0].get("type"),
                    "URI": (grant.get("grantee") or [{}])[0].get("uri"),
                    "ID": (grant.get("grantee") or [{}])[0].get("id"),
                }.items()
                if value
            },
            "Permission": grant.get("permission"),
        }
        for grant in grants
    ]


def policy(bucket_resource: PlanResource, bucket_policy: PlanResource | None) -> Any:
    if bucket_policy is not None:
        return json_value(bucket_policy.get("policy"))
    return json_value(bucket_resource.get("policy", unset=None))


def encryption_rules(bucket_resource: PlanResource, configuration: PlanResource | None) -> Any:
    if configuration is None:
        if not bucket_resource.sets("server_side_encryption_configuration"):
            return []
        rules = bucket_resource.get("server_side_encryption_configuration.0.rule", unset=[])
    else:
        rules = configuration.get("rule", unset=[])
    if isinstance(rules, Unknown):
        return rules
    found = []
    for rule in rules:
        default = (rule.get("apply_server_side_encryption_by_default") or [{}])[0]
        by_default = {"SSEAlgorithm": default.get("sse_algorithm")}
        if default.get("kms_master_key_id") is not None:
            by_default["KMSMasterKeyID"] = default.get("kms_master_key_id")
        found.append({"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bool_or_unknown(rule)})
    return found


def bool_or_unknown(rule: dict) -> Any:
    value = rule.get("bucket_key_enabled")
    return value if isinstance(value, Unknown) else bool(value)


def versioning(bucket_resource: PlanResource, configuration: PlanResource | None) -> Any:
    if configuration is None:
        if not bucket_resource.sets("versioning"):
            return NEVER_VERSIONED
        enabled = bucket_resource.get("versioning.0.enabled", unset=False)
        if isinstance(enabled, Unknown):
            return enabled
        return {"status": "Enabled", "mfa_delete": "Disabled"} if enabled else NEVER_VERSIONED
    status = configuration.get("versioning_configuration.0.status")
    mfa_delete = configuration.get("versioning_configuration.0.mfa_delete", unset="Disabled")
    if isinstance(status, Unknown):
        return status
    # "Disabled" is Terraform's word for a bucket whose versioning was never enabled.
    return {"status": "Never enabled" if status == "Disabled" else status, "mfa_delete": mfa_delete}


def object_lock(bucket_resource: PlanResource, configuration: PlanResource | None) -> Any:
    enabled = bucket_resource.get("object_lock_enabled", unset=False)
    if isinstance(enabled, Unknown):
        return enabled
    if not enabled:
        return None
    lock: dict = {"ObjectLockEnabled": "Enabled"}
    retention = configuration.get("rule.0.default_retention.0", unset={}) if configuration else {}
    if isinstance(retention, Unknown):
        return retention
    if retention:
        lock["Rule"] = {
            "DefaultRetention": {
                key: value
                for key, value in {
                    "Mode": retention.get("mode"),
                    "Days": retention.get("days"),
                    "Years": retention.get("years"),
                }.items()
                if value
            }
        }
    return lock


def lifecycle_rules(configuration: PlanResource | None) -> Any:
    if configuration is None:
        return []
    rules = configuration.get("rule", unset=[])
    if isinstance(rules, Unknown):
        return rules
    found = []
    for rule in rules:
        item: dict = {"ID": rule.get("id"), "Status": rule.get("status")}
        prefix = ((rule.get("filter") or [{}])[0] or {}).get("prefix")
        item["Filter"] = {"Prefix": prefix} if prefix else {}
        expiration = (rule.get("expiration") or [None])[0]
        if expiration:
            item["Expiration"] = {key: expiration.get(attr) for key, attr in (("Days", "days"), ("Date", "date"))}
        noncurrent = (rule.get("noncurrent_version_expiration") or [None])[0]
        if noncurrent:
            item["NoncurrentVersionExpiration"] = {"NoncurrentDays": noncurrent.get("noncurrent_days")}
        found.append(item)
    return found


@translates("aws_s3_account_public_access_block", "aws.s3.account")
def account(plan: Plan, resource: PlanResource) -> dict:
    return doc(
        resource=resource,
        type="aws.s3.account",
        region="global",
        name="S3 settings of the account",
        config={"public_access_block": public_access_block(resource)},
    )
