"""Remote access through Session Manager: instances reachable without SSH keys, and sessions logged.

Practitioners evidence A.8.18 (privileged utility programs) on AWS by the path administrators take into a
server: Session Manager, authorised and recorded through IAM and its session logs, instead of SSH keys.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from scanners.checks.base import Result, check, field, listed
from scanners.checks.policies import allows, as_list, denies, statements

INSTANCE = "aws.ssm.instance"
REGION = "aws.ssm.region"
# What the SSM Agent needs for Session Manager: register the instance, then open the session channels
# (the Session Manager part of AmazonSSMManagedInstanceCore).
SESSION_MANAGER_ACTIONS = (
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
REMOTE_ACCESS = ("iso27001-2022:A.8.18", "iso27001-2013:A.9.4.4", "soc2-2017:CC6.6")


def matches(patterns, action: str) -> bool:
    return any(fnmatchcase(action.lower(), str(pattern).lower()) for pattern in as_list(patterns))


def grants(policy: dict | None, action: str) -> bool:
    for statement in statements(policy):
        if not allows(statement):
            continue
        if "NotAction" in statement:
            if not matches(statement["NotAction"], action):
                return True
        elif matches(statement.get("Action"), action):
            return True
    return False


def refuses(policy: dict | None, action: str) -> bool:
    return any(denies(statement) and matches(statement.get("Action"), action) for statement in statements(policy))


@check(
    id="ssm_instance_session_manager_role",
    title="EC2 instance can be reached through Session Manager (its role grants the Systems Manager core actions)",
    resource=INSTANCE,
    severity="medium",
    controls=REMOTE_ACCESS,
    remediation="""Give the instance an instance profile whose role has the AWS managed policy
    AmazonSSMManagedInstanceCore (or a policy granting ssm:UpdateInstanceInformation and the ssmmessages channel
    actions), keep the SSM Agent installed, and let administrators in through Session Manager instead of SSH.""",
)
def instance_session_manager_role(instance: dict) -> Result:
    if not field(instance, "instance_profile", allow_none=True):
        return Result.failed("no instance profile: Session Manager cannot reach the instance")
    policies = field(instance, "role_policies")  # first: an unreadable profile is an error, not "no role"
    role = field(instance, "role_name", allow_none=True)
    if not role:
        return Result.failed("the instance profile holds no role")
    documents = [item.get("document") for item in policies]
    missing = [
        action
        for action in SESSION_MANAGER_ACTIONS
        if not any(grants(policy, action) for policy in documents)
        or any(refuses(policy, action) for policy in documents)
    ]
    if missing:
        return Result.failed(f"role {role} does not grant {listed(missing)}")
    granting = [
        item.get("name")
        for item in policies
        if any(grants(item.get("document"), action) for action in SESSION_MANAGER_ACTIONS)
    ]
    return Result.passed(f"role {role} grants the Session Manager actions ({listed(granting)})")


@check(
    id="ssm_instance_no_ssh_key_pair",
    title="EC2 instance was launched without an SSH key pair",
    resource=INSTANCE,
    severity="medium",
    controls=REMOTE_ACCESS + ("iso27001-2022:A.8.5", "iso27001-2013:A.9.4.2"),
    remediation="""Launch instances without a key pair and reach them through Session Manager; on a running
    instance, remove the key from ~/.ssh/authorized_keys (the key pair stays in the instance's launch record, so
    record that with an exemption until the instance is replaced).""",
)
def instance_no_ssh_key_pair(instance: dict) -> Result:
    key = field(instance, "key_name", allow_none=True)
    if key:
        return Result.failed(f"launched with the SSH key pair {key}")
    return Result.passed("no SSH key pair")


@check(
    id="ssm_session_manager_logs_sessions",
    title="Session Manager logs sessions to S3 or CloudWatch Logs in the region",
    resource=REGION,
    severity="medium",
    controls=(
        "iso27001-2022:A.8.18",
        "iso27001-2022:A.8.15",
        "iso27001-2013:A.9.4.4",
        "iso27001-2013:A.12.4.3",
        "soc2-2017:CC7.2",
    ),
    remediation="""In Systems Manager > Session Manager > Preferences, send session logs to an S3 bucket or a
    CloudWatch Logs group (encrypted), in every region where instances run.""",
)
def session_manager_logs_sessions(region: dict) -> Result:
    preferences = field(region, "preferences", allow_none=True)
    if preferences is None:
        return Result.failed("Session Manager preferences were never saved: sessions are not logged")
    targets = []
    if preferences.get("s3_bucket"):
        targets.append(f"S3 bucket {preferences['s3_bucket']}")
    if preferences.get("cloudwatch_log_group"):
        targets.append(f"CloudWatch log group {preferences['cloudwatch_log_group']}")
    if not targets:
        return Result.failed("Session Manager preferences name neither an S3 bucket nor a CloudWatch log group")
    return Result.passed(f"sessions logged to {' and '.join(targets)}")
