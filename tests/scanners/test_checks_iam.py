"""IAM checks on plain documents; key ages are measured from the collection time, so no clock is needed."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

COLLECTED = "2026-06-30T12:00:00+00:00"
FULL_ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_ONLY = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}
ADMIN_EXCEPT_IAM = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
ADMINISTRATOR_ACCESS = {
    "arn": "arn:aws:iam::aws:policy/AdministratorAccess",
    "name": "AdministratorAccess",
    "document": None,
}
READ_ONLY_ACCESS = {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "name": "ReadOnlyAccess", "document": None}
CUSTOMER_FULL_ADMIN = {"arn": "arn:aws:iam::1:policy/platform-admin", "name": "platform-admin", "document": FULL_ADMIN}
CUSTOMER_READ_ONLY = {"arn": "arn:aws:iam::1:policy/s3-read", "name": "s3-read", "document": READ_ONLY}


def group(name="developers", *, attached=(), inline=None) -> dict:
    return {"name": name, "attached_policies": list(attached), "inline_policies": inline or {}}


def key(ident="AKIAOLD", *, created="2026-06-01T00:00:00+00:00", last_used=None, status="Active") -> dict:
    return {"access_key_id": ident, "status": status, "created": created, "last_used": last_used}


def user(*, password=True, mfa=("arn:aws:iam::1:mfa/alice",), keys=(), **overrides) -> dict:
    config = {
        "password_enabled": password,
        "mfa_devices": list(mfa),
        "access_keys": list(keys),
        "attached_policies": [],
        "inline_policies": {},
        "groups": [],
        "permissions_boundary": None,
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


def role(*, trusted=None, attached=(), inline=None, path="/", boundary=None) -> dict:
    return doc(
        "aws.iam.role",
        name="deployer",
        path=path,
        permissions_boundary=boundary,
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
    Case("iam_user_no_active_access_key", Status.PASS, user(), "console user without keys"),
    Case(
        "iam_user_no_active_access_key",
        Status.PASS,
        user(keys=[key(status="Inactive")]),
        "a deactivated key waiting for deletion",
    ),
    Case(
        "iam_user_no_active_access_key",
        Status.FAIL,
        user(keys=[FRESH_USED]),
        "even a fresh, used key is a finding",
        reason="AKIAOLD (29 days old, last used 1 days ago)",
    ),
    Case(
        "iam_user_no_active_access_key",
        Status.FAIL,
        user(keys=[NEVER_USED_OLD, key("AKIANODATE", created=None)]),
        "keys never used or of unknown age",
        reason="AKIANEVER (180 days old, never used), AKIANODATE (age unknown, never used)",
    ),
    Case(
        "iam_user_no_active_access_key",
        Status.ERROR,
        failed_read(user(keys=[FRESH_USED]), "access_keys"),
        "keys unreadable",
        reason="access keys could not be read",
    ),
    Case("iam_access_key_rotated", Status.PASS, user(keys=[FRESH_USED]), "29-day-old key"),
    Case("iam_access_key_rotated", Status.FAIL, user(keys=[FRESH_USED, OLD]), "an 18-month-old key", reason="545 days"),
    Case(
        "iam_access_key_rotated",
        Status.NOT_APPLICABLE,
        user(keys=[key(created="2020-01-01T00:00:00+00:00", status="Inactive")]),
        "only an old deactivated key",
    ),
    Case(
        "iam_access_key_rotated",
        Status.FAIL,
        user(keys=[FRESH_USED]),
        "a 29-day-old key under a 14-day rotation period",
        reason="older than 14 days",
        settings={"max_age_days": 14},
    ),
    Case(
        "iam_access_key_rotated",
        Status.PASS,
        user(keys=[OLD]),
        "an 18-month-old key under a two-year rotation period",
        settings={"max_age_days": 730},
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
        Status.PASS,
        user(keys=[IDLE]),
        "idle since January, within a 180-day limit",
        settings={"max_unused_days": 180},
    ),
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
    Case("iam_role_not_full_admin", Status.PASS, role(attached=[READ_ONLY_ACCESS, CUSTOMER_READ_ONLY]), "read only"),
    Case(
        "iam_role_not_full_admin",
        Status.PASS,
        role(inline={"read": READ_ONLY, "admin-but-iam": ADMIN_EXCEPT_IAM}),
        "NotAction is broad but not * on *",
    ),
    Case(
        "iam_role_not_full_admin",
        Status.FAIL,
        role(trusted=GITHUB_OIDC, attached=[ADMINISTRATOR_ACCESS]),
        "CI pipeline with AdministratorAccess",
        reason="AdministratorAccess",
    ),
    Case(
        "iam_role_not_full_admin",
        Status.FAIL,
        role(trusted=trust(AWS="arn:aws:iam::1:root"), attached=[CUSTOMER_FULL_ADMIN]),
        "a role for people with a customer policy of * on *",
        reason="platform-admin",
    ),
    Case(
        "iam_role_not_full_admin",
        Status.FAIL,
        role(inline={"read": READ_ONLY, "god-mode": FULL_ADMIN}),
        "inline * on *",
        reason="inline god-mode",
    ),
    Case(
        "iam_role_not_full_admin",
        Status.NOT_APPLICABLE,
        role(path="/aws-service-role/rds.amazonaws.com/"),
        "service-linked role",
    ),
    Case(
        "iam_role_not_full_admin",
        Status.PASS,
        role(attached=[ADMINISTRATOR_ACCESS], boundary=READ_ONLY_ACCESS),
        "AdministratorAccess held within a read-only permissions boundary",
        reason="permissions boundary ReadOnlyAccess limits them",
    ),
    Case(
        "iam_role_not_full_admin",
        Status.FAIL,
        role(attached=[ADMINISTRATOR_ACCESS], boundary=CUSTOMER_FULL_ADMIN),
        "a boundary that itself allows everything limits nothing",
    ),
    Case(
        "iam_role_not_full_admin",
        Status.ERROR,
        role(attached=[ADMINISTRATOR_ACCESS], boundary={**CUSTOMER_READ_ONLY, "document": None}),
        "a customer boundary whose document was not returned",
        reason="permissions boundary s3-read was not returned",
    ),
    Case("iam_role_not_full_admin", Status.ERROR, without(role(), "attached_policies"), "attachments unknown"),
    Case("iam_role_not_full_admin", Status.ERROR, without(role(), "inline_policies"), "inline policies unknown"),
    Case("iam_user_not_full_admin", Status.PASS, user(groups=[group(attached=[READ_ONLY_ACCESS])]), "reader"),
    Case(
        "iam_user_not_full_admin",
        Status.FAIL,
        user(attached_policies=[ADMINISTRATOR_ACCESS]),
        "AdministratorAccess on the user",
        reason="AdministratorAccess",
    ),
    Case(
        "iam_user_not_full_admin",
        Status.FAIL,
        user(inline_policies={"everything": FULL_ADMIN}),
        "inline * on *",
        reason="inline everything",
    ),
    Case(
        "iam_user_not_full_admin",
        Status.FAIL,
        user(groups=[group(), group("admins", attached=[ADMINISTRATOR_ACCESS])]),
        "administrator through a group",
        reason="group admins: AdministratorAccess",
    ),
    Case(
        "iam_user_not_full_admin",
        Status.FAIL,
        user(groups=[group("ops", inline={"all": FULL_ADMIN}), group(attached=[CUSTOMER_FULL_ADMIN])]),
        "* on * through a group's inline and customer policies",
        reason="group ops: inline all, group developers: platform-admin",
    ),
    Case(
        "iam_user_not_full_admin",
        Status.PASS,
        user(groups=[group("admins", attached=[ADMINISTRATOR_ACCESS])], permissions_boundary=CUSTOMER_READ_ONLY),
        "the user's boundary also limits what its groups give",
        reason="group admins: AdministratorAccess allow everything, but the permissions boundary s3-read",
    ),
    Case(
        "iam_user_not_full_admin",
        Status.ERROR,
        failed_read(user(), "groups", "groups not returned by IAM: admins"),
        "group memberships unknown",
        reason="admins",
    ),
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
