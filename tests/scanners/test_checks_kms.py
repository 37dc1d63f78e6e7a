"""KMS checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without


def key(**overrides) -> dict:
    config = {
        "key_manager": "CUSTOMER",
        "key_state": "Enabled",
        "key_spec": "SYMMETRIC_DEFAULT",
        "origin": "AWS_KMS",
        "rotation_enabled": True,
        "deletion_date": None,
    }
    return doc("aws.kms.key", name="alias/data", **{**config, **overrides})


ROTATED = key()
PENDING = key(key_state="PendingDeletion", rotation_enabled=None, deletion_date="2026-07-07T00:00:00+00:00")

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
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_kms_check(case):
    assert_case(case)
