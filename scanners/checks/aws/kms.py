"""KMS: rotation of customer keys, and keys scheduled for deletion."""

from __future__ import annotations

from scanners.checks.base import Result, check, field

KEY = "aws.kms.key"
NOT_ROTATABLE_STATES = {"PendingDeletion", "PendingReplicaDeletion", "PendingImport", "Unavailable", "Creating"}


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
    controls=(
        "iso27001-2022:A.8.24",
        "iso27001-2022:A.8.13",
        "iso27001-2013:A.10.1.2",
        "iso27001-2013:A.12.3.1",
        "soc2-2017:A1.2",
        "soc2-2017:CC9.1",
    ),
    remediation="""Cancel the deletion (`aws kms cancel-key-deletion`) unless you have confirmed that no data,
    backup or snapshot is still encrypted under the key: once deleted, that data cannot be decrypted.""",
)
def key_not_pending_deletion(key: dict) -> Result:
    if not customer_key(key):
        return Result.not_applicable("key managed by AWS")
    state = field(key, "key_state")
    if state in {"PendingDeletion", "PendingReplicaDeletion"}:
        when = field(key, "deletion_date", allow_none=True)
        return Result.failed(f"scheduled for deletion{f' on {when}' if when else ''}")
    return Result.passed(f"key is {state}")
