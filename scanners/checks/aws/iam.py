"""IAM: people sign in through Identity Center and machines use roles, so IAM users hold no access keys;
console MFA, no full administrator rights on any user, role or customer policy, and the root user."""

from __future__ import annotations

from datetime import datetime, timedelta

from scanners.checks.base import MissingData, Result, Setting, check, field, listed, timestamp
from scanners.checks.policies import grants_full_admin

USER = "aws.iam.user"
ROLE = "aws.iam.role"
# The AWS managed policy that grants everything; AWS publishes no other managed policy with * on *.
AWS_MANAGED = ":iam::aws:policy/"
ADMINISTRATOR_ACCESS = AWS_MANAGED + "AdministratorAccess"
SERVICE_LINKED_PATH = "/aws-service-role/"
AUTHENTICATION = ("iso27001-2022:A.8.5", "iso27001-2013:A.9.4.2", "soc2-2017:CC6.1")
LONG_LIVED_KEYS = (
    "iso27001-2022:A.8.5",
    "iso27001-2022:A.5.18",
    "iso27001-2013:A.9.4.2",
    "iso27001-2013:A.9.2.5",
    "soc2-2017:CC6.1",
    "soc2-2017:CC6.2",
)
PRIVILEGED = (
    "iso27001-2022:A.8.2",
    "iso27001-2022:A.5.15",
    "iso27001-2013:A.9.2.3",
    "iso27001-2013:A.9.1.1",
    "soc2-2017:CC6.1",
    "soc2-2017:CC6.3",
)
BREAK_GLASS = """A break-glass role kept for emergencies is the one accepted exception: record it as an
exemption (who may assume it, how its use is alerted and reviewed) rather than leaving the finding open."""


def active_keys(user: dict) -> list[dict]:
    return [key for key in field(user, "access_keys") if key.get("status") == "Active"]


def days_since(value, now: datetime) -> int | None:
    try:
        return (now - timestamp(value, "time")).days
    except MissingData:
        return None


def key_story(key: dict, now: datetime) -> str:
    """'AKIA... (120 days old, last used 3 days ago)': what an engineer needs to find and retire a key.

    A key that is active is a finding whatever its dates, so a date that is missing is said, not an error.
    """
    age = days_since(key.get("created"), now)
    quiet = days_since(key.get("last_used"), now)
    old = "age unknown" if age is None else f"{age} days old"
    if not key.get("last_used"):
        used = "never used"
    else:
        used = "last use unknown" if quiet is None else f"last used {quiet} days ago"
    return f"{key.get('access_key_id')} ({old}, {used})"


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
    id="iam_user_no_active_access_key",
    title="No IAM user holds an active access key",
    resource=USER,
    severity="medium",
    controls=LONG_LIVED_KEYS,
    remediation="""People sign in through IAM Identity Center (`aws sso login` gives short-lived
    credentials) and workloads use roles (instance profiles, ECS task roles, OIDC federation for CI), so
    no long-lived key is needed: move the key's users to one of these, then deactivate and delete the
    key. A third-party integration that can only take a key is an exemption, and its key still rotates.""",
)
def user_has_no_active_access_key(user: dict) -> Result:
    keys = active_keys(user)
    if not keys:
        return Result.passed("no active access key")
    now = timestamp(field(user, "collected_at"), "collection time")
    return Result.failed(f"active access keys: {listed(key_story(key, now) for key in keys)}")


@check(
    id="iam_access_key_rotated",
    title="Active IAM access keys are younger than the rotation period",
    resource=USER,
    severity="medium",
    controls=LONG_LIVED_KEYS,
    remediation="""Create a new key, move its users to it, deactivate and then delete the old one; prefer
    roles (instance profiles, OIDC federation for CI) so that no long-lived key is needed.""",
    settings={"max_age_days": Setting(90, "Days an active access key may live before it must be replaced")},
)
def access_key_rotated(user: dict, settings: dict) -> Result:
    keys = active_keys(user)
    if not keys:
        return Result.not_applicable("no active access key")
    now = timestamp(field(user, "collected_at"), "collection time")
    limit = timedelta(days=settings["max_age_days"])
    old = []
    for key in keys:
        age = now - timestamp(key.get("created"), f"creation date of key {key.get('access_key_id')}")
        if age > limit:
            old.append(f"{key.get('access_key_id')} ({age.days} days)")
    if old:
        return Result.failed(f"keys older than {limit.days} days: {listed(old)}")
    return Result.passed(f"{len(keys)} active keys, all younger than {limit.days} days")


@check(
    id="iam_access_key_recently_used",
    title="Active IAM access keys were used recently",
    resource=USER,
    severity="medium",
    controls=(
        "iso27001-2022:A.5.18",
        "iso27001-2013:A.9.2.5",
        "iso27001-2013:A.9.2.6",
        "soc2-2017:CC6.2",
        "soc2-2017:CC6.3",
    ),
    remediation="""Deactivate access keys nobody has used for the set number of days, and delete them after
    a short waiting period if nothing breaks.""",
    settings={"max_unused_days": Setting(90, "Days an active access key may go unused before it is a failure")},
)
def access_key_recently_used(user: dict, settings: dict) -> Result:
    keys = active_keys(user)
    if not keys:
        return Result.not_applicable("no active access key")
    now = timestamp(field(user, "collected_at"), "collection time")
    limit = timedelta(days=settings["max_unused_days"])
    idle = []
    for key in keys:
        ident = key.get("access_key_id")
        if key.get("last_used"):
            quiet = now - timestamp(key["last_used"], f"last use of key {ident}")
            if quiet > limit:
                idle.append(f"{ident} (last used {quiet.days} days ago)")
        else:
            age = now - timestamp(key.get("created"), f"creation date of key {ident}")
            if age > limit:
                idle.append(f"{ident} (never used in {age.days} days)")
    if idle:
        return Result.failed(f"active keys unused for {limit.days} days: {listed(idle)}")
    return Result.passed(f"{len(keys)} active keys, all used or created within {limit.days} days")


@check(
    id="iam_customer_policy_not_full_admin",
    title="No customer managed policy allows every action on every resource",
    resource="aws.iam.policy",
    severity="high",
    controls=PRIVILEGED,
    remediation="""Replace "Action": "*" on "Resource": "*" with the actions and resources the holders need
    (IAM Access Analyzer can generate a policy from CloudTrail activity); keep full administrator rights to
    a break-glass role recorded as an exemption.""",
)
def customer_policy_not_full_admin(policy: dict) -> Result:
    if grants_full_admin(field(policy, "document")):
        attached = field(policy, "attachment_count")
        return Result.failed(f"allows * on * (attached to {attached} users, groups or roles)")
    return Result.passed("no statement allows * on *")


def full_admin_grants(holder: dict, prefix: str = "") -> list[str]:
    """The policies of a user, group or role that grant everything, named as an engineer would look for them."""
    found = []
    for policy in holder.get("attached_policies") or []:
        if policy["arn"].endswith(ADMINISTRATOR_ACCESS) or grants_full_admin(policy.get("document")):
            found.append(f"{prefix}{policy['name']}")
    for name, document in (holder.get("inline_policies") or {}).items():
        if grants_full_admin(document):
            found.append(f"{prefix}inline {name}")
    return found


def principal_grants(principal: dict) -> list[str]:
    holder = {key: field(principal, key) for key in ("attached_policies", "inline_policies")}
    return full_admin_grants(holder)


def limiting_boundary(principal: dict) -> str | None:
    """The permissions boundary that keeps a principal's policies short of everything, if it has one.

    Effective rights are the intersection of policies and boundary; a customer managed boundary whose
    document was not read decides nothing.
    """
    boundary = field(principal, "permissions_boundary", allow_none=True)
    if not boundary:
        return None
    if AWS_MANAGED in boundary["arn"]:
        return None if boundary["arn"].endswith(ADMINISTRATOR_ACCESS) else boundary["name"]
    if boundary.get("document") is None:
        raise MissingData(f"the permissions boundary {boundary['name']} was not returned by IAM")
    return None if grants_full_admin(boundary["document"]) else boundary["name"]


def full_admin_verdict(principal: dict, grants: list[str], nothing: str) -> Result:
    if not grants:
        return Result.passed(nothing)
    boundary = limiting_boundary(principal)
    if boundary:
        return Result.passed(f"{listed(grants)} allow everything, but the permissions boundary {boundary} limits them")
    return Result.failed(f"full administrator rights through {listed(grants)}")


@check(
    id="iam_role_not_full_admin",
    title="No role holds AdministratorAccess or a policy allowing every action on every resource",
    resource=ROLE,
    severity="high",
    controls=PRIVILEGED,
    remediation="""Give the role a policy scoped to what it deploys or reads (IAM Access Analyzer can
    generate one from CloudTrail activity); if a pipeline truly must administer the account, restrict who
    can run it and log each run. """
    + BREAK_GLASS,
)
def role_not_full_admin(role: dict) -> Result:
    if str(field(role, "path")).startswith(SERVICE_LINKED_PATH):
        return Result.not_applicable("service-linked role managed by AWS")
    return full_admin_verdict(role, principal_grants(role), "no policy of the role allows * on *")


@check(
    id="iam_user_not_full_admin",
    title="No IAM user holds AdministratorAccess or * on *, directly or through a group",
    resource=USER,
    severity="high",
    controls=PRIVILEGED,
    remediation="""Remove AdministratorAccess and * on * policies from the user and its groups; people who
    administer the account do so through an IAM Identity Center permission set, assumed when needed.
    An IAM user kept for emergencies is an exemption, with its credentials sealed and its use alerted.""",
)
def user_not_full_admin(user: dict) -> Result:
    grants = principal_grants(user)
    groups = field(user, "groups")
    for group in groups:
        grants += full_admin_grants(group, prefix=f"group {group.get('name')}: ")
    return full_admin_verdict(user, grants, f"no policy of the user or its {len(groups)} groups allows * on *")


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
