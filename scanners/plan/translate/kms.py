"""KMS customer managed keys with their aliases, key policy and rotation."""

from __future__ import annotations

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, json_value, translates

# The key policy AWS gives a key created without one: the account may use IAM policies for everything.
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Id": "key-default-1",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::ACCOUNT:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


@translates("aws_kms_key", "aws.kms.key", reads=("aws_kms_alias",))
def key(plan: Plan, resource: PlanResource) -> dict:
    spec = resource.get("customer_master_key_spec", unset="SYMMETRIC_DEFAULT")
    enabled = resource.get("is_enabled", unset=True)
    aliases = [alias.get("name") for alias in plan.pointing_at(resource, "target_key_id", "aws_kms_alias")]
    rotatable = spec == "SYMMETRIC_DEFAULT"
    return doc(
        resource=resource,
        type="aws.kms.key",
        region=plan.region(),
        name=aliases[0] if aliases and isinstance(aliases[0], str) else resource.address,
        config={
            "key_id": resource.get("key_id"),
            "key_manager": "CUSTOMER",
            "key_state": enabled if not isinstance(enabled, bool) else "Enabled" if enabled else "Disabled",
            "key_spec": spec,
            "key_usage": resource.get("key_usage", unset="ENCRYPT_DECRYPT"),
            "origin": "AWS_KMS",
            "multi_region": resource.get("multi_region", unset=False),
            "deletion_date": None,
            "pending_deletion_window_days": None,
            "key_policy": json_value(resource.get("policy", unset=DEFAULT_KEY_POLICY)),
            "rotation_enabled": resource.get("enable_key_rotation", unset=False) if rotatable else None,
            "aliases": aliases,
        },
    )
