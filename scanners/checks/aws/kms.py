"""KMS: rotation of customer keys, keys scheduled for deletion, and the deletion window they would get."""

from __future__ import annotations

from fnmatch import fnmatchcase

from scanners.checks.base import Result, Setting, check, field
from scanners.checks.policies import as_list, condition_keys, denies, is_everyone, statements

KEY = "aws.kms.key"
NOT_ROTATABLE_STATES = {"PendingDeletion", "PendingReplicaDeletion", "PendingImport", "Unavailable", "Creating"}
PENDING_DELETION = {"PendingDeletion", "PendingReplicaDeletion"}
WINDOW_KEY = "kms:schedulekeydeletionpendingwindowindays"
KEY_LOSS = (
    "iso27001-2022:A.8.24",
    "iso27001-2022:A.8.13",
    "iso27001-2013:A.10.1.2",
    "iso27001-2013:A.12.3.1",
    "soc2-2017:A1.2",
    "soc2-2017:CC9.1",
)


def customer_key(key: dict) -> bool:
    return field(key, "key_manager") == "CUSTOMER"


@check(
    id="kms_key_rotation_enabled",
    title="Customer managed KMS keys rotate automatically",
    resource=KEY,
    severity="medium",
    controls=("iso27001-2022:A.8.24", "iso27001-2013:A.10.1.2", "soc2-2017:CC6.1"),
    remediation="""Enable automatic rotation on the key (`aws kms enable-key-rotation`, yearly by default or a
    shorter period); rotation keeps old key material, so existing data stays readable.""",
)
def key_rotation_enabled(key: dict) -> Result:
    if not customer_key(key):
        return Result.not_applicable("key managed by AWS, which rotates it")
    if field(key, "key_spec") != "SYMMETRIC_DEFAULT" or field(key, "origin") != "AWS_KMS":
        return Result.not_applicable("automatic rotation exists only for symmetric keys with KMS key material")
    if field(key, "key_state") in NOT_ROTATABLE_STATES:
        return Result.not_applicable(f"key is {field(key, 'key_state')}")
    if field(key, "rotation_enabled"):
        return Result.passed("automatic rotation is on")
    return Result.failed("automatic rotation is off")


@check(
    id="kms_key_not_pending_deletion",
    title="No customer managed KMS key is scheduled for deletion",
    resource=KEY,
    severity="high",
    controls=KEY_LOSS,
    remediation="""Cancel the deletion (`aws kms cancel-key-deletion`) unless you have confirmed that no data,
    backup or snapshot is still encrypted under the key: once deleted, that data cannot be decrypted.""",
)
def key_not_pending_deletion(key: dict) -> Result:
    if not customer_key(key):
        return Result.not_applicable("key managed by AWS")
    state = field(key, "key_state")
    if state in PENDING_DELETION:
        when = field(key, "deletion_date", allow_none=True)
        return Result.failed(f"scheduled for deletion{f' on {when}' if when else ''}")
    return Result.passed(f"key is {state}")


def covers_schedule_deletion(statement: dict) -> bool:
    return any(
        fnmatchcase("kms:schedulekeydeletion", str(action).lower()) for action in as_list(statement.get("Action"))
    )


def guarded_window(policy: dict | None) -> int | None:
    """The shortest deletion window the key policy lets anyone schedule, when a Deny for everyone refuses
    shorter ones through kms:ScheduleKeyDeletionPendingWindowInDays; None when nothing does.

    A Deny with any other condition (an exception for some principal) does not guard everyone, so it is not
    counted.
    """
    shortest = []
    for statement in statements(policy):
        if not (denies(statement) and is_everyone(statement.get("Principal")) and covers_schedule_deletion(statement)):
            continue
        if condition_keys(statement) != {WINDOW_KEY}:
            continue
        for operator, clauses in (statement.get("Condition") or {}).items():
            name = operator.lower().removesuffix("ifexists")
            if name not in {"numericlessthan", "numericlessthanequals"} or not isinstance(clauses, dict):
                continue
            for key, values in clauses.items():
                if key.lower() != WINDOW_KEY:
                    continue
                for value in as_list(values):
                    if str(value).isdigit():
                        shortest.append(int(value) + (1 if name == "numericlessthanequals" else 0))
    return max(shortest) if shortest else None


@check(
    id="kms_key_deletion_window",
    title="Customer managed KMS keys can only be deleted after a long enough waiting period",
    resource=KEY,
    severity="medium",
    controls=KEY_LOSS,
    remediation="""Schedule deletions with the longest waiting period (`--pending-window-in-days 30`), and
    make shorter ones impossible: add to the key policy a statement denying kms:ScheduleKeyDeletion to
    Principal "*" when kms:ScheduleKeyDeletionPendingWindowInDays is NumericLessThan 30. If a service control
    policy of your organisation already enforces it (a member account cannot read SCPs), set this check's
    require_key_policy_guard to false and keep the SCP as evidence.""",
    settings={
        "min_window_days": Setting(30, "Shortest waiting period (7 to 30 days) a key's deletion may be scheduled with"),
        "require_key_policy_guard": Setting(
            True, "Keys not scheduled for deletion fail unless their key policy refuses shorter windows"
        ),
    },
)
def key_deletion_window(key: dict, settings: dict) -> Result:
    if not customer_key(key):
        return Result.not_applicable("key managed by AWS, which nobody can schedule for deletion")
    minimum = settings["min_window_days"]
    if field(key, "key_state") in PENDING_DELETION:
        window = field(key, "pending_deletion_window_days")
        if window < minimum:
            return Result.failed(f"scheduled for deletion with a {window}-day window, shorter than {minimum} days")
        return Result.passed(f"scheduled for deletion with a {window}-day window")
    guarded = guarded_window(field(key, "key_policy"))
    if guarded is not None and guarded >= minimum:
        return Result.passed(f"the key policy refuses deletion windows shorter than {guarded} days")
    if guarded is not None:
        return Result.failed(f"the key policy lets a deletion be scheduled with a {guarded}-day window")
    if settings["require_key_policy_guard"]:
        return Result.failed(f"nothing in the key policy refuses a deletion window shorter than {minimum} days")
    return Result.not_applicable("not scheduled for deletion; the window is guarded outside the key policy")
