"""IAM: MFA, access key age and use, full administrator policies, automation roles and the root user."""

from __future__ import annotations

from datetime import timedelta

from scanners.checks.base import Result, check, field, listed, timestamp
from scanners.checks.policies import grants_full_admin, trusted_principals

USER = "aws.iam.user"
ROLE = "aws.iam.role"
KEY_MAX_AGE = timedelta(days=90)
KEY_MAX_IDLE = timedelta(days=90)
ADMINISTRATOR_ACCESS = ":iam::aws:policy/AdministratorAccess"
SERVICE_LINKED_PATH = "/aws-service-role/"
AUTHENTICATION = ("iso27001-2022:A.8.5", "iso27001-2013:A.9.4.2", "soc2-2017:CC6.1")
PRIVILEGED = (
    "iso27001-2022:A.8.2",
    "iso27001-2022:A.5.15",
    "iso27001-2013:A.9.2.3",
    "iso27001-2013:A.9.1.1",
    "soc2-2017:CC6.1",
    "soc2-2017:CC6.3",
)


def active_keys(user: dict) -> list[dict]:
    return [key for key in field(user, "access_keys") if key.get("status") == "Active"]


@check(
    id="iam_user_console_mfa",
    title="IAM users who can sign in to the console have MFA",
    resource=USER,
    severity="high",
    controls=AUTHENTICATION,
    remediation="""Require the user to register an MFA device (a passkey or security key preferably), and
    attach a policy that denies everything but MFA set-up until MFA is present; better still, move people
    to IAM Identity Center.""",
)
def console_user_has_mfa(user: dict) -> Result:
    if not field(user, "password_enabled"):
        return Result.not_applicable("no console password")
    devices = field(user, "mfa_devices")
    if not devices:
        return Result.failed("console password without MFA")
    return Result.passed(f"MFA devices: {listed(devices)}")


@check(
    id="iam_access_key_rotated",
    title="Active IAM access keys are younger than 90 days",
    resource=USER,
    severity="medium",
    controls=("iso27001-2022:A.8.5", "iso27001-2022:A.5.18", "iso27001-2013:A.9.4.2", "soc2-2017:CC6.1"),
    remediation="""Create a new key, move its users to it, deactivate and then delete the old one; prefer
    roles (instance profiles, OIDC federation for CI) so that no long-lived key is needed.""",
)
def access_key_rotated(user: dict) -> Result:
    keys = active_keys(user)
    if not keys:
        return Result.not_applicable("no active access key")
    now = timestamp(field(user, "collected_at"), "collection time")
    old = []
    for key in keys:
        age = now - timestamp(key.get("created"), f"creation date of key {key.get('access_key_id')}")
        if age > KEY_MAX_AGE:
            old.append(f"{key.get('access_key_id')} ({age.days} days)")
    if old:
        return Result.failed(f"keys older than {KEY_MAX_AGE.days} days: {listed(old)}")
    return Result.passed(f"{len(keys)} active keys, all younger than {KEY_MAX_AGE.days} days")


@check(
    id="iam_access_key_recently_used",
    title="Active IAM access keys were used in the last 90 days",
    resource=USER,
    severity="medium",
    controls=(
        "iso27001-2022:A.5.18",
        "iso27001-2013:A.9.2.5",
        "iso27001-2013:A.9.2.6",
        "soc2-2017:CC6.2",
        "soc2-2017:CC6.3",
    ),
    remediation="""Deactivate access keys nobody has used for 90 days, and delete them after a short
    waiting period if nothing breaks.""",
)
def access_key_recently_used(user: dict) -> Result:
    keys = active_keys(user)
    if not keys:
        return Result.not_applicable("no active access key")
    now = timestamp(field(user, "collected_at"), "collection time")
    idle = []
    for key in keys:
        ident = key.get("access_key_id")
        if key.get("last_used"):
            quiet = now - timestamp(key["last_used"], f"last use of key {ident}")
            if quiet > KEY_MAX_IDLE:
                idle.append(f"{ident} (last used {quiet.days} days ago)")
        else:
            age = now - timestamp(key.get("created"), f"creation date of key {ident}")
            if age > KEY_MAX_IDLE:
                idle.append(f"{ident} (never used in {age.days} days)")
    if idle:
        return Result.failed(f"active keys unused for {KEY_MAX_IDLE.days} days: {listed(idle)}")
    return Result.passed(f"{len(keys)} active keys, all used or created within {KEY_MAX_IDLE.days} days")


@check(
    id="iam_customer_policy_not_full_admin",
    title="No customer managed policy allows every action on every resource",
    resource="aws.iam.policy",
    severity="high",
    controls=PRIVILEGED,
    remediation="""Replace "Action": "*" on "Resource": "*" with the actions and resources the holders need
    (IAM Access Analyzer can generate a policy from CloudTrail activity); keep full administrator rights to
    a few break-glass roles.""",
)
def customer_policy_not_full_admin(policy: dict) -> Result:
    if grants_full_admin(field(policy, "document")):
        attached = field(policy, "attachment_count")
        return Result.failed(f"allows * on * (attached to {attached} users, groups or roles)")
    return Result.passed("no statement allows * on *")


@check(
    id="iam_role_inline_policy_not_full_admin",
    title="No role has an inline policy allowing every action on every resource",
    resource=ROLE,
    severity="high",
    controls=PRIVILEGED,
    remediation="""Replace the inline policy with a managed policy limited to the actions and resources the
    role needs, so that it is reviewed and versioned with the rest.""",
)
def role_inline_policy_not_full_admin(role: dict) -> Result:
    inline = field(role, "inline_policies")
    broad = [name for name, document in inline.items() if grants_full_admin(document)]
    if broad:
        return Result.failed(f"inline policies allowing * on *: {listed(broad)}")
    return Result.passed(f"{len(inline)} inline policies, none allows * on *")


@check(
    id="iam_automation_role_not_administrator",
    title="Roles used by automation do not hold AdministratorAccess",
    resource=ROLE,
    severity="high",
    controls=PRIVILEGED,
    remediation="""Give the service or pipeline role a policy scoped to what it deploys or reads; if a
    pipeline truly must administer the account, restrict who can run it and log each run.""",
)
def automation_role_not_administrator(role: dict) -> Result:
    if str(field(role, "path")).startswith(SERVICE_LINKED_PATH):
        return Result.not_applicable("service-linked role managed by AWS")
    trusted = trusted_principals(field(role, "trust_policy"))
    web_identity = any(action.endswith("AssumeRoleWithWebIdentity") for action in trusted.get("actions", []))
    if not trusted.get("Service") and not web_identity:
        return Result.not_applicable("assumed by people or accounts, not by a service or pipeline")
    admin = [item["name"] for item in field(role, "attached_policies") if item["arn"].endswith(ADMINISTRATOR_ACCESS)]
    who = listed(trusted.get("Service", []) + trusted.get("Federated", []))
    if admin:
        return Result.failed(f"assumed by {who} and holds AdministratorAccess")
    return Result.passed(f"assumed by {who} without AdministratorAccess")


@check(
    id="iam_root_no_access_keys",
    title="The root user has no access keys",
    resource="aws.iam.account",
    severity="critical",
    controls=PRIVILEGED,
    remediation="""Sign in as root, delete its access keys (Security credentials page) and use IAM roles for
    every programmatic task.""",
)
def root_has_no_access_keys(account: dict) -> Result:
    if int(field(account, "root_access_keys_present")):
        return Result.failed("the root user has access keys")
    return Result.passed("no root access keys")


@check(
    id="iam_root_mfa_enabled",
    title="The root user has MFA",
    resource="aws.iam.account",
    severity="critical",
    controls=AUTHENTICATION + ("iso27001-2022:A.8.2", "iso27001-2013:A.9.2.3"),
    remediation="""Register MFA on the root user (a hardware security key kept in a safe is usual), or
    centralise root access through AWS Organizations and remove root credentials from member accounts.""",
)
def root_mfa_enabled(account: dict) -> Result:
    if int(field(account, "root_mfa_enabled")):
        return Result.passed("root MFA is on")
    return Result.failed("the root user has no MFA")
