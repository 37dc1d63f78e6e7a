"""IAM, once per account: users (console access, MFA, access keys, groups), roles, customer managed policies
and the account summary (root access keys and MFA).

Managed policies attached to a user, group or role carry their document when it is a customer managed
policy of the account, so that a check can tell full administrator rights without another read.
"""

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
    each_at_once,
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
    details: dict[str, list[dict]] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=["User", "Group", "Role", "LocalManagedPolicy"]):
        for key, items in details.items():
            items.extend(page.get(key) or [])
    return details


def principals_and_policies(iam) -> Iterator[ResourceDoc]:
    details = authorization_details(iam)
    collected_at = datetime.now(UTC)
    documents = {policy["Arn"]: default_document(policy) for policy in details["Policies"]}
    groups = {group["GroupName"]: group_summary(group, documents) for group in details["GroupDetailList"]}
    # A user takes three or more reads of its own (login profile, MFA, keys): several users at once.
    yield from each_at_once(
        lambda user: user_document(iam, user, collected_at, groups, documents), details["UserDetailList"]
    )
    for role in details["RoleDetailList"]:
        yield role_document(role, documents)
    for policy in details["Policies"]:
        yield policy_document(policy)


def default_document(policy: dict) -> dict | None:
    versions = policy.get("PolicyVersionList") or []
    return next((item.get("Document") for item in versions if item.get("IsDefaultVersion")), None)


def inline_policies(items: list[dict] | None) -> dict[str, dict]:
    return {item["PolicyName"]: item.get("PolicyDocument") or {} for item in items or []}


def attached_policies(items: list[dict] | None, documents: dict[str, dict | None]) -> list[dict]:
    """Attached managed policies; `document` is the default version of a customer managed policy, and
    None for a policy managed by AWS (which the checks know by name)."""
    return [
        {"arn": item["PolicyArn"], "name": item["PolicyName"], "document": documents.get(item["PolicyArn"])}
        for item in items or []
    ]


def permissions_boundary(principal: dict, documents: dict[str, dict | None]) -> dict | None:
    item = principal.get("PermissionsBoundary") or {}
    arn = item.get("PermissionsBoundaryArn")
    if not arn:
        return None
    return {"arn": arn, "name": arn.rsplit("/", 1)[-1], "document": documents.get(arn)}


def group_summary(group: dict, documents: dict[str, dict | None]) -> dict:
    return {
        "name": group["GroupName"],
        "attached_policies": attached_policies(group.get("AttachedManagedPolicies"), documents),
        "inline_policies": inline_policies(group.get("GroupPolicyList")),
    }


def user_document(
    iam, user: dict, collected_at: datetime, groups: dict[str, dict], documents: dict[str, dict | None]
) -> ResourceDoc:
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
    member_of = user.get("GroupList") or []
    unknown = [group for group in member_of if group not in groups]
    if unknown:
        reads.failed("groups", reason=f"groups not returned by IAM: {', '.join(unknown)}")
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
            "attached_policies": attached_policies(user.get("AttachedManagedPolicies"), documents),
            "inline_policies": inline_policies(user.get("UserPolicyList")),
            "groups": None if unknown else [groups[group] for group in member_of],
            "permissions_boundary": permissions_boundary(user, documents),
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


def role_document(role: dict, documents: dict[str, dict | None]) -> ResourceDoc:
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
            "attached_policies": attached_policies(role.get("AttachedManagedPolicies"), documents),
            "inline_policies": inline_policies(role.get("RolePolicyList")),
            "permissions_boundary": permissions_boundary(role, documents),
            "last_used": (role.get("RoleLastUsed") or {}).get("LastUsedDate"),
            "errors": {},
        },
    )


def policy_document(policy: dict) -> ResourceDoc:
    default_version = policy.get("DefaultVersionId")
    current = default_document(policy)
    # The policy's name is the last part of its ARN (after any path); moto leaves PolicyName out here.
    name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]
    config = {
        "policy_name": name,
        "default_version_id": default_version,
        "attachment_count": policy.get("AttachmentCount", 0),
        "document": current,
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
