"""IAM, once per account: users (console access, MFA, access keys), roles, customer managed policies and
the account summary (root access keys and MFA)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    GLOBAL_REGION,
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

USER = "aws.iam.user"
ROLE = "aws.iam.role"
POLICY = "aws.iam.policy"
ACCOUNT = "aws.iam.account"


@service_group(name="iam", is_global=True, resource_types=(USER, ROLE, POLICY, ACCOUNT))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    iam = factory.client("iam", region)
    yield from collected((USER, ROLE, POLICY), GLOBAL_REGION, lambda: principals_and_policies(iam))
    yield from collected((ACCOUNT,), GLOBAL_REGION, lambda: [account_summary(factory, iam)])


def authorization_details(iam) -> dict[str, list[dict]]:
    """One paginated call returns every user, role and customer policy with their policy documents."""
    details: dict[str, list[dict]] = {"UserDetailList": [], "RoleDetailList": [], "Policies": []}
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=["User", "Role", "LocalManagedPolicy"]):
        for key, items in details.items():
            items.extend(page.get(key) or [])
    return details


def principals_and_policies(iam) -> Iterator[ResourceDoc]:
    details = authorization_details(iam)
    collected_at = datetime.now(UTC)
    for user in details["UserDetailList"]:
        yield user_document(iam, user, collected_at)
    for role in details["RoleDetailList"]:
        yield role_document(role)
    for policy in details["Policies"]:
        yield policy_document(policy)


def inline_policies(items: list[dict] | None) -> dict[str, dict]:
    return {item["PolicyName"]: item.get("PolicyDocument") or {} for item in items or []}


def attached_policies(items: list[dict] | None) -> list[dict]:
    return [{"arn": item["PolicyArn"], "name": item["PolicyName"]} for item in items or []]


def user_document(iam, user: dict, collected_at: datetime) -> ResourceDoc:
    name = user["UserName"]
    reads = SubReads()
    login_profile = reads(
        "password_enabled", lambda: iam.get_login_profile(UserName=name)["LoginProfile"], absent={"NoSuchEntity"}
    )
    mfa_devices = reads(
        "mfa_devices",
        lambda: [item["SerialNumber"] for item in listing(iam, "list_mfa_devices", "MFADevices", UserName=name)],
    )
    access_keys = reads("access_keys", lambda: keys_of(iam, name))
    return document(
        uid=user["Arn"],
        type=USER,
        region=GLOBAL_REGION,
        name=name,
        tags=tag_dict(user.get("Tags")),
        config={
            "user_name": name,
            "created": user.get("CreateDate"),
            "password_enabled": login_profile is not None if "password_enabled" not in reads.errors else None,
            "mfa_devices": mfa_devices,
            "access_keys": access_keys,
            "attached_policies": attached_policies(user.get("AttachedManagedPolicies")),
            "inline_policies": inline_policies(user.get("UserPolicyList")),
            "collected_at": collected_at,
            "errors": reads.errors,
        },
    )


def keys_of(iam, user_name: str) -> list[dict]:
    keys = []
    for key in listing(iam, "list_access_keys", "AccessKeyMetadata", UserName=user_name):
        last_used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed") or {}
        keys.append(
            {
                "access_key_id": key["AccessKeyId"],
                "status": key.get("Status"),
                "created": key.get("CreateDate"),
                "last_used": last_used.get("LastUsedDate"),
                "last_used_service": last_used.get("ServiceName"),
            }
        )
    return keys


def role_document(role: dict) -> ResourceDoc:
    return document(
        uid=role["Arn"],
        type=ROLE,
        region=GLOBAL_REGION,
        name=role["RoleName"],
        tags=tag_dict(role.get("Tags")),
        config={
            "role_name": role["RoleName"],
            "path": role.get("Path", "/"),
            "trust_policy": role.get("AssumeRolePolicyDocument") or {},
            "attached_policies": attached_policies(role.get("AttachedManagedPolicies")),
            "inline_policies": inline_policies(role.get("RolePolicyList")),
            "last_used": (role.get("RoleLastUsed") or {}).get("LastUsedDate"),
            "errors": {},
        },
    )


def policy_document(policy: dict) -> ResourceDoc:
    default_version = policy.get("DefaultVersionId")
    versions = policy.get("PolicyVersionList") or []
    current = next((item for item in versions if item.get("IsDefaultVersion")), None)
    # The policy's name is the last part of its ARN (after any path); moto leaves PolicyName out here.
    name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]
    config = {
        "policy_name": name,
        "default_version_id": default_version,
        "attachment_count": policy.get("AttachmentCount", 0),
        "document": (current or {}).get("Document"),
        "errors": {},
    }
    if current is None:
        config["errors"]["document"] = f"the default version {default_version} was not returned by IAM"
    return document(uid=policy["Arn"], type=POLICY, region=GLOBAL_REGION, name=name, config=config)


def account_summary(factory: ClientFactory, iam) -> ResourceDoc:
    summary = iam.get_account_summary()["SummaryMap"]
    account_id = factory.account_id()
    return document(
        uid=settings_uid(account_id, GLOBAL_REGION, "iam-account"),
        type=ACCOUNT,
        region=GLOBAL_REGION,
        name=f"root user of account {account_id}",
        config={
            "root_access_keys_present": summary.get("AccountAccessKeysPresent"),
            "root_mfa_enabled": summary.get("AccountMFAEnabled"),
            "errors": {},
        },
    )
