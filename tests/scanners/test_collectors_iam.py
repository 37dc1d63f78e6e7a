"""IAM collected from the moto server over HTTP, then judged by the checks.

moto cannot back-date access keys, so keys here are new; the age and idle limits are tested on plain
documents. moto loads AdministratorAccess only with MOTO_IAM_LOAD_MANAGED_POLICIES=true (tests/conftest.py).
"""

import json

import boto3
import pytest

from scanners.checks.base import Status
from tests.scanners.documents import scan

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
FULL_ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}


def trusting(principal: dict, action: str = "sts:AssumeRole") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}
    )


@pytest.fixture
def identities(aws):
    iam = boto3.client("iam", region_name="us-east-1")
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password="A-long-passphrase-1!")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=device, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    iam.create_access_key(UserName="bob")
    iam.create_user(UserName="ci-bot")
    iam.create_access_key(UserName="ci-bot")

    iam.create_policy(PolicyName="full-admin", PolicyDocument=json.dumps(FULL_ADMIN))
    iam.create_policy(PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ))

    github = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}
    iam.create_role(
        RoleName="github-deployer", AssumeRolePolicyDocument=trusting(github, "sts:AssumeRoleWithWebIdentity")
    )
    iam.attach_role_policy(RoleName="github-deployer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_role(RoleName="app-server", AssumeRolePolicyDocument=trusting({"Service": "ec2.amazonaws.com"}))
    iam.attach_role_policy(RoleName="app-server", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.create_role(RoleName="break-glass", AssumeRolePolicyDocument=trusting({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    iam.put_role_policy(RoleName="break-glass", PolicyName="everything", PolicyDocument=json.dumps(FULL_ADMIN))
    iam.create_role(RoleName="platform", AssumeRolePolicyDocument=trusting({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    iam.attach_role_policy(RoleName="platform", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/full-admin")

    iam.create_role(
        RoleName="sandbox-admin",
        AssumeRolePolicyDocument=trusting({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/s3-read",
    )
    iam.attach_role_policy(RoleName="sandbox-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.add_user_to_group(GroupName="admins", UserName="bob")
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/s3-read")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    iam.put_user_policy(UserName="ci-bot", PolicyName="everything", PolicyDocument=json.dumps(FULL_ADMIN))


def test_users_are_judged_end_to_end(identities):
    result = scan("iam", regions=("us-east-1",))

    assert not result.errors
    assert result.status("iam_user_console_mfa", "alice") == Status.PASS
    assert result.status("iam_user_console_mfa", "bob") == Status.FAIL
    assert result.status("iam_user_console_mfa", "ci-bot") == Status.NOT_APPLICABLE
    assert result.status("iam_user_no_active_access_key", "alice") == Status.PASS
    bob_key = result.result("iam_user_no_active_access_key", "bob")
    assert bob_key.status == Status.FAIL and "0 days old, never used" in bob_key.reason
    assert result.status("iam_access_key_rotated", "bob") == Status.PASS
    assert result.status("iam_access_key_recently_used", "ci-bot") == Status.PASS
    assert result.status("iam_access_key_rotated", "alice") == Status.NOT_APPLICABLE
    bob = result.named("bob")
    assert bob.region == "global" and bob.uid == f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert bob.config["access_keys"][0]["status"] == "Active"


def test_policies_and_roles_are_judged_end_to_end(identities):
    result = scan("iam", regions=("us-east-1",))

    assert result.status("iam_customer_policy_not_full_admin", "s3-read") == Status.PASS
    assert result.status("iam_customer_policy_not_full_admin", "full-admin") == Status.FAIL
    assert result.status("iam_role_not_full_admin", "app-server") == Status.PASS
    deployer = result.result("iam_role_not_full_admin", "github-deployer")
    assert deployer.status == Status.FAIL and "AdministratorAccess" in deployer.reason
    assert "inline everything" in result.result("iam_role_not_full_admin", "break-glass").reason
    assert "full-admin" in result.result("iam_role_not_full_admin", "platform").reason
    bounded = result.result("iam_role_not_full_admin", "sandbox-admin")
    assert bounded.status == Status.PASS and "permissions boundary s3-read limits them" in bounded.reason


def test_users_holding_everything_directly_or_through_a_group_fail(identities):
    result = scan("iam", regions=("us-east-1",))

    assert result.status("iam_user_not_full_admin", "alice") == Status.PASS
    assert result.named("alice").config["groups"][0]["attached_policies"][0]["document"] == S3_READ
    assert "group admins: AdministratorAccess" in result.result("iam_user_not_full_admin", "bob").reason
    assert "inline everything" in result.result("iam_user_not_full_admin", "ci-bot").reason


def test_root_user_is_judged_from_the_account_summary(aws):
    result = scan("iam", regions=("us-east-1",))

    root = f"root user of account {ACCOUNT}"
    assert result.status("iam_root_no_access_keys", root) == Status.PASS
    # moto's account has no root MFA and no way to add one.
    assert result.status("iam_root_mfa_enabled", root) == Status.FAIL
