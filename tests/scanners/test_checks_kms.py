"""KMS checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

ROOT_ADMIN = {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::1:root"},
    "Action": "kms:*",
    "Resource": "*",
}
ACCOUNT_ONLY = {"Version": "2012-10-17", "Statement": [ROOT_ADMIN]}


def deny_windows_below(days: int, operator: str = "NumericLessThan", action="kms:ScheduleKeyDeletion") -> dict:
    guard = {
        "Sid": "NoShortDeletionWindow",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": "*",
        "Condition": {operator: {"kms:ScheduleKeyDeletionPendingWindowInDays": str(days)}},
    }
    return {"Version": "2012-10-17", "Statement": [ROOT_ADMIN, guard]}


def with_exception(policy: dict) -> dict:
    guard = policy["Statement"][1]
    spared = {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/break-glass"}}
    return {**policy, "Statement": [policy["Statement"][0], {**guard, "Condition": {**guard["Condition"], **spared}}]}


def key(**overrides) -> dict:
    config = {
        "key_manager": "CUSTOMER",
        "key_state": "Enabled",
        "key_spec": "SYMMETRIC_DEFAULT",
        "origin": "AWS_KMS",
        "rotation_enabled": True,
        "deletion_date": None,
        "pending_deletion_window_days": None,
        "key_policy": ACCOUNT_ONLY,
    }
    return doc("aws.kms.key", name="alias/data", **{**config, **overrides})


ROTATED = key()
PENDING = key(
    key_state="PendingDeletion",
    rotation_enabled=None,
    deletion_date="2026-07-07T00:00:00+00:00",
    pending_deletion_window_days=7,
)
GUARDED = key(key_policy=deny_windows_below(30))

CASES = [
    Case("kms_key_rotation_enabled", Status.PASS, ROTATED, "rotation on"),
    Case("kms_key_rotation_enabled", Status.FAIL, key(rotation_enabled=False), "rotation off"),
    Case("kms_key_rotation_enabled", Status.NOT_APPLICABLE, key(key_manager="AWS"), "AWS managed"),
    Case(
        "kms_key_rotation_enabled",
        Status.NOT_APPLICABLE,
        key(key_spec="RSA_2048", rotation_enabled=None),
        "asymmetric key",
    ),
    Case("kms_key_rotation_enabled", Status.NOT_APPLICABLE, PENDING, "key on its way out"),
    Case(
        "kms_key_rotation_enabled",
        Status.ERROR,
        failed_read(ROTATED, "rotation_enabled"),
        "rotation status unreadable",
        reason="access denied",
    ),
    Case("kms_key_rotation_enabled", Status.ERROR, key(rotation_enabled=None), "rotation status never asked"),
    Case("kms_key_not_pending_deletion", Status.PASS, ROTATED, "enabled key"),
    Case("kms_key_not_pending_deletion", Status.FAIL, PENDING, "scheduled deletion", reason="2026-07-07"),
    Case("kms_key_not_pending_deletion", Status.NOT_APPLICABLE, key(key_manager="AWS"), "AWS managed"),
    Case("kms_key_not_pending_deletion", Status.ERROR, without(ROTATED, "key_state"), "state unknown"),
    Case("kms_key_deletion_window", Status.PASS, GUARDED, "key policy refuses short windows", reason="30 days"),
    Case(
        "kms_key_deletion_window",
        Status.PASS,
        key(key_policy=deny_windows_below(29, "NumericLessThanEquals", action="kms:*")),
        "kms:* denied for windows of 29 days or less",
        reason="shorter than 30 days",
    ),
    Case(
        "kms_key_deletion_window",
        Status.PASS,
        key(key_state="PendingDeletion", pending_deletion_window_days=30),
        "scheduled with the full 30 days",
        reason="30-day window",
    ),
    Case("kms_key_deletion_window", Status.FAIL, PENDING, "scheduled with 7 days", reason="7-day window"),
    Case("kms_key_deletion_window", Status.FAIL, ROTATED, "default key policy", reason="nothing in the key policy"),
    Case(
        "kms_key_deletion_window",
        Status.FAIL,
        key(key_policy=deny_windows_below(14)),
        "a guard weaker than the account's minimum",
        reason="14-day window",
    ),
    Case(
        "kms_key_deletion_window",
        Status.FAIL,
        key(key_policy=with_exception(deny_windows_below(30))),
        "a guard that spares a break-glass role does not guard everyone",
        reason="nothing in the key policy",
    ),
    Case(
        "kms_key_deletion_window",
        Status.PASS,
        key(key_policy=deny_windows_below(14)),
        "a 14-day guard where the account asks 14 days",
        settings={"min_window_days": 14},
    ),
    Case(
        "kms_key_deletion_window",
        Status.NOT_APPLICABLE,
        ROTATED,
        "an SCP guards deletions, as the account's setting says",
        settings={"require_key_policy_guard": False},
    ),
    Case("kms_key_deletion_window", Status.NOT_APPLICABLE, key(key_manager="AWS", key_policy=None), "AWS managed"),
    Case(
        "kms_key_deletion_window",
        Status.ERROR,
        failed_read(ROTATED, "key_policy"),
        "key policy unreadable",
        reason="key policy could not be read",
    ),
    Case(
        "kms_key_deletion_window",
        Status.ERROR,
        key(key_state="PendingDeletion", pending_deletion_window_days=None),
        "pending, but the answer had no window (as moto answers)",
        reason="pending deletion window days is unknown",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_kms_check(case):
    assert_case(case)
