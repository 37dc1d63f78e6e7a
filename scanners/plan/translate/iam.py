"""IAM roles, users and customer managed policies, with the policies attached to them in the plan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, json_value, translates
from scanners.plan.unknown import Unknown

ATTACHMENTS = {
    "role": ("aws_iam_role_policy_attachment", "aws_iam_role_policy", "role"),
    "user": ("aws_iam_user_policy_attachment", "aws_iam_user_policy", "user"),
}


def policy_reference(plan: Plan, attachment: PlanResource, attribute: str = "policy_arn") -> dict:
    """An attached managed policy as the collector gives it: its document when the plan creates it (a customer
    policy), None for a policy managed by AWS or one outside the plan."""
    arn = attachment.get(attribute)
    planned = plan.referred(attachment, attribute, "aws_iam_policy")
    if planned:
        policy = planned[0]
        name = policy.get("name")
        known_arn = policy.get("arn")
        return {
            "arn": known_arn if isinstance(known_arn, str) else f"arn:aws:iam::ACCOUNT:policy/{name}",
            "name": name,
            "document": json_value(policy.get("policy")),
        }
    if isinstance(arn, Unknown):
        return {"arn": arn, "name": arn, "document": arn}
    return {"arn": arn, "name": str(arn).rsplit("/", 1)[-1], "document": None}


def attached(plan: Plan, principal: PlanResource, kind: str) -> list[dict]:
    attachment_type, _, attribute = ATTACHMENTS[kind]
    found = [policy_reference(plan, item) for item in plan.pointing_at(principal, attribute, attachment_type)]
    if kind == "role":
        arns = principal.get("managed_policy_arns", unset=[]) or []
        if isinstance(arns, Unknown):
            found.append({"arn": arns, "name": arns, "document": arns})
        else:
            found += [{"arn": arn, "name": str(arn).rsplit("/", 1)[-1], "document": None} for arn in arns]
    return found


def inline(plan: Plan, principal: PlanResource, kind: str) -> dict[str, Any]:
    _, inline_type, attribute = ATTACHMENTS[kind]
    policies: dict[str, Any] = {}
    blocks = principal.get("inline_policy", unset=[]) if kind == "role" else []
    for block in [] if isinstance(blocks, Unknown) else blocks:
        if block.get("name"):
            policies[block["name"]] = json_value(block.get("policy"))
    for item in plan.pointing_at(principal, attribute, inline_type):
        name = item.get("name", unset=None)
        policies[name if isinstance(name, str) else item.address] = json_value(item.get("policy"))
    return policies


def boundary(principal: PlanResource) -> Any:
    arn = principal.get("permissions_boundary", unset=None)
    if not arn:
        return None
    if isinstance(arn, Unknown):
        return arn
    return {"arn": arn, "name": arn.rsplit("/", 1)[-1], "document": None}


@translates("aws_iam_role", "aws.iam.role", reads=("aws_iam_role_policy_attachment", "aws_iam_role_policy"))
def role(plan: Plan, resource: PlanResource) -> dict:
    name = resource.get("name")
    return doc(
        resource=resource,
        type="aws.iam.role",
        region="global",
        name=name,
        config={
            "role_name": name,
            "path": resource.get("path", unset="/"),
            "trust_policy": json_value(resource.get("assume_role_policy")) or {},
            "attached_policies": attached(plan, resource, "role"),
            "inline_policies": inline(plan, resource, "role"),
            "permissions_boundary": boundary(resource),
            "last_used": None,
        },
    )


@translates(
    "aws_iam_user",
    "aws.iam.user",
    reads=("aws_iam_user_policy_attachment", "aws_iam_user_policy", "aws_iam_user_login_profile", "aws_iam_access_key"),
)
def user(plan: Plan, resource: PlanResource) -> dict:
    name = resource.get("name")
    now = datetime.now(UTC).isoformat()
    keys = [
        {
            "access_key_id": key.get("id") if isinstance(key.get("id"), str) else key.address,
            "status": key.get("status", unset="Active"),
            "created": now,  # a key the plan creates is new when applied
            "last_used": None,
            "last_used_service": None,
        }
        for key in plan.pointing_at(resource, "user", "aws_iam_access_key")
    ]
    return doc(
        resource=resource,
        type="aws.iam.user",
        region="global",
        name=name,
        config={
            "user_name": name,
            "created": now,
            "password_enabled": bool(plan.pointing_at(resource, "user", "aws_iam_user_login_profile")),
            "mfa_devices": [],  # Terraform cannot enable an MFA device for a user
            "access_keys": keys,
            "attached_policies": attached(plan, resource, "user"),
            "inline_policies": inline(plan, resource, "user"),
            "groups": [],
            "permissions_boundary": boundary(resource),
            "collected_at": now,
        },
    )


@translates("aws_iam_policy", "aws.iam.policy")
def policy(plan: Plan, resource: PlanResource) -> dict:
    name = resource.get("name")
    attachments = [
        item
        for kind in (
            "aws_iam_role_policy_attachment",
            "aws_iam_user_policy_attachment",
            "aws_iam_group_policy_attachment",
        )
        for item in plan.pointing_at(resource, "policy_arn", kind)
    ]
    return doc(
        resource=resource,
        type="aws.iam.policy",
        region="global",
        name=name,
        config={
            "policy_name": name,
            "default_version_id": "v1",
            "attachment_count": len(attachments),
            "document": json_value(resource.get("policy")),
        },
    )
