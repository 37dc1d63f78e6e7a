"""IAM checks on plain documents; key ages are measured from the collection time, so no clock is needed."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

COLLECTED = "2026-06-30T12:00:00+00:00"
FULL_ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_ONLY = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}
ADMIN_EXCEPT_IAM = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
ADMINISTRATOR_ACCESS = {"arn": "arn:aws:iam::aws:policy/AdministratorAccess", "name": "AdministratorAccess"}
READ_ONLY_ACCESS = {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "name": "ReadOnlyAccess"}


def key(ident="AKIAOLD", *, created="2026-06-01T00:00:00+00:00", last_used=None, status="Active") -> dict:
    return {"access_key_id": ident, "status": status, "created": created, "last_used": last_used}


def user(*, password=True, mfa=("arn:aws:iam::1:mfa/alice",), keys=(), **overrides) -> dict:
    config = {
        "password_enabled": password,
        "mfa_devices": list(mfa),
        "access_keys": list(keys),
        "collected_at": COLLECTED,
    }
    return doc("aws.iam.user", name="alice", **{**config, **overrides})


def trust(**principal) -> dict:
    return {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


GITHUB_OIDC = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
        }
    ]
}


def role(*, trusted=None, attached=(), inline=None, path="/") -> dict:
    return doc(
        "aws.iam.role",
        name="deployer",
        path=path,
        trust_policy=trusted or trust(Service="ec2.amazonaws.com"),
        attached_policies=list(attached),
        inline_policies=inline or {},
    )


FRESH_USED = key(created="2026-06-01T00:00:00+00:00", last_used="2026-06-29T08:00:00+00:00")
OLD = key("AKIAANCIENT", created="2025-01-01T00:00:00Z", last_used="2026-06-29T08:00:00Z")
IDLE = key("AKIAIDLE", created="2025-12-01T00:00:00+00:00", last_used="2026-01-15T00:00:00+00:00")
NEVER_USED_OLD = key("AKIANEVER", created="2026-01-01T00:00:00+00:00", last_used=None)

CASES = [
    Case("iam_user_console_mfa", Status.PASS, user(), "password and MFA"),
    Case("iam_user_console_mfa", Status.FAIL, user(mfa=()), "password without MFA", reason="without MFA"),
    Case("iam_user_console_mfa", Status.NOT_APPLICABLE, user(password=False, mfa=()), "programmatic user"),
    Case("iam_user_console_mfa", Status.ERROR, failed_read(user(), "mfa_devices"), "MFA list unreadable"),
    Case("iam_user_console_mfa", Status.ERROR, user(password=None), "login profile unknown"),
    Case("iam_access_key_rotated", Status.PASS, user(keys=[FRESH_USED]), "29-day-old key"),
    Case("iam_access_key_rotated", Status.FAIL, user(keys=[FRESH_USED, OLD]), "an 18-month-old key", reason="545 days"),
    Case(
        "iam_access_key_rotated",
        Status.NOT_APPLICABLE,
        user(keys=[key(created="2020-01-01T00:00:00+00:00", status="Inactive")]),
        "only an old deactivated key",
    ),
    Case("iam_access_key_rotated", Status.ERROR, without(user(keys=[FRESH_USED]), "collected_at"), "no clock"),
    Case(
        "iam_access_key_rotated",
        Status.ERROR,
        user(keys=[key(created=None)]),
        "key without a creation date",
        reason="creation date of key AKIAOLD",
    ),
    Case("iam_access_key_recently_used", Status.PASS, user(keys=[FRESH_USED]), "used yesterday"),
    Case(
        "iam_access_key_recently_used",
        Status.PASS,
        user(keys=[key(created="2026-06-20T00:00:00+00:00")]),
        "new key not used yet",
    ),
    Case("iam_access_key_recently_used", Status.FAIL, user(keys=[IDLE]), "idle since January", reason="166 days"),
    Case(
        "iam_access_key_recently_used",
        Status.FAIL,
        user(keys=[NEVER_USED_OLD]),
        "never used in six months",
        reason="never used",
    ),
    Case(
        "iam_access_key_recently_used",
        Status.ERROR,
        failed_read(user(keys=[IDLE]), "access_keys", "throttled: ListAccessKeys: Throttling"),
        "keys unreadable",
        reason="throttled",
    ),
    Case(
        "iam_customer_policy_not_full_admin",
        Status.PASS,
        doc("aws.iam.policy", document=READ_ONLY, attachment_count=2),
        "read only",
    ),
    Case(
        "iam_customer_policy_not_full_admin",
        Status.PASS,
        doc("aws.iam.policy", document=ADMIN_EXCEPT_IAM, attachment_count=1),
        "NotAction is broad but not * on *",
    ),
    Case(
        "iam_customer_policy_not_full_admin",
        Status.FAIL,
        doc("aws.iam.policy", document=FULL_ADMIN, attachment_count=3),
        "* on *",
        reason="attached to 3",
    ),
    Case(
        "iam_customer_policy_not_full_admin",
        Status.ERROR,
        doc("aws.iam.policy", document=None, attachment_count=0, errors={"document": "version not returned"}),
        "document missing",
    ),
    Case("iam_role_inline_policy_not_full_admin", Status.PASS, role(inline={"read": READ_ONLY}), "read only"),
    Case(
        "iam_role_inline_policy_not_full_admin",
        Status.FAIL,
        role(inline={"read": READ_ONLY, "god-mode": FULL_ADMIN}),
        "inline * on *",
        reason="god-mode",
    ),
    Case("iam_role_inline_policy_not_full_admin", Status.ERROR, without(role(), "inline_policies"), "unknown"),
    Case(
        "iam_automation_role_not_administrator",
        Status.PASS,
        role(attached=[READ_ONLY_ACCESS]),
        "EC2 role with read-only access",
        reason="ec2.amazonaws.com",
    ),
    Case(
        "iam_automation_role_not_administrator",
        Status.FAIL,
        role(trusted=GITHUB_OIDC, attached=[ADMINISTRATOR_ACCESS]),
        "CI pipeline with AdministratorAccess",
        reason="token.actions.githubusercontent.com",
    ),
    Case(
        "iam_automation_role_not_administrator",
        Status.NOT_APPLICABLE,
        role(trusted=trust(AWS="arn:aws:iam::1:root"), attached=[ADMINISTRATOR_ACCESS]),
        "break-glass role for people",
    ),
    Case(
        "iam_automation_role_not_administrator",
        Status.NOT_APPLICABLE,
        role(path="/aws-service-role/rds.amazonaws.com/"),
        "service-linked role",
    ),
    Case("iam_automation_role_not_administrator", Status.ERROR, without(role(), "attached_policies"), "unknown"),
    Case(
        "iam_root_no_access_keys",
        Status.PASS,
        doc("aws.iam.account", root_access_keys_present=0, root_mfa_enabled=1),
        "no keys",
    ),
    Case(
        "iam_root_no_access_keys",
        Status.FAIL,
        doc("aws.iam.account", root_access_keys_present=1, root_mfa_enabled=1),
        "root key",
    ),
    Case("iam_root_no_access_keys", Status.ERROR, doc("aws.iam.account", root_mfa_enabled=1), "summary incomplete"),
    Case(
        "iam_root_mfa_enabled",
        Status.PASS,
        doc("aws.iam.account", root_access_keys_present=0, root_mfa_enabled=1),
        "MFA",
    ),
    Case(
        "iam_root_mfa_enabled",
        Status.FAIL,
        doc("aws.iam.account", root_access_keys_present=0, root_mfa_enabled=0),
        "no MFA",
    ),
    Case(
        "iam_root_mfa_enabled",
        Status.ERROR,
        doc("aws.iam.account", root_access_keys_present=0, root_mfa_enabled=None),
        "summary without MFA",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_iam_check(case):
    assert_case(case)


def test_a_key_exactly_90_days_old_is_still_in_policy():
    boundary = key(created="2026-04-01T12:00:00+00:00", last_used="2026-04-01T12:00:00+00:00")
    assert boundary["created"] < COLLECTED
    assert Case("iam_access_key_rotated", Status.PASS, user(keys=[boundary]), "").run().status == Status.PASS
    assert Case("iam_access_key_recently_used", Status.PASS, user(keys=[boundary]), "").run().status == Status.PASS
