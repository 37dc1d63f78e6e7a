"""Session Manager checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

ROLE = "ssm_instance_session_manager_role"
NO_KEY = "ssm_instance_no_ssh_key_pair"
LOGGING = "ssm_session_manager_logs_sessions"
PROFILE = "arn:aws:iam::123456789012:instance-profile/app"
CORE = {
    "name": "AmazonSSMManagedInstanceCore",
    "arn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "document": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ssm:DescribeAssociation", "ssm:UpdateInstanceInformation", "ssm:ListAssociations"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            },
        ],
    },
}
WILDCARDS = {
    "name": "session-access",
    "arn": None,
    "document": {"Statement": [{"Effect": "Allow", "Action": ["ssm:Update*", "SSMMESSAGES:*"], "Resource": "*"}]},
}
S3_READ = {
    "name": "AmazonS3ReadOnlyAccess",
    "arn": None,
    "document": {"Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}},
}
NO_CHANNELS = {
    "name": "channels-denied",
    "arn": None,
    "document": {"Statement": [{"Effect": "Deny", "Action": "ssmmessages:Open*", "Resource": "*"}]},
}


def instance(policies=(CORE,), *, profile=PROFILE, role="app", key=None) -> dict:
    return doc(
        "aws.ssm.instance",
        name="app-server",
        state="running",
        key_name=key,
        instance_profile=profile,
        role_name=role,
        role_policies=list(policies),
    )


def region(preferences) -> dict:
    return doc("aws.ssm.region", name="Session Manager in eu-west-1", preferences=preferences)


LOGGED = {
    "s3_bucket": "session-logs",
    "s3_encryption": True,
    "cloudwatch_log_group": None,
    "cloudwatch_encryption": None,
}

CASES = [
    Case(ROLE, Status.PASS, instance(), "AmazonSSMManagedInstanceCore", reason="AmazonSSMManagedInstanceCore"),
    Case(ROLE, Status.PASS, instance([S3_READ, WILDCARDS]), "equivalent actions by wildcards", reason="session-access"),
    Case(
        ROLE,
        Status.FAIL,
        instance([S3_READ]),
        "a role without the Systems Manager actions",
        reason="does not grant ssm:UpdateInstanceInformation",
    ),
    Case(
        ROLE,
        Status.FAIL,
        instance([CORE, NO_CHANNELS]),
        "a deny on the session channels",
        reason="ssmmessages:OpenControlChannel",
    ),
    Case(ROLE, Status.FAIL, instance([], profile=None, role=None), "no instance profile", reason="no instance profile"),
    Case(ROLE, Status.FAIL, instance([], role=None), "a profile without a role", reason="holds no role"),
    Case(
        ROLE,
        Status.ERROR,
        failed_read(instance(role=None), "role_policies"),
        "profile unreadable",
        reason="role policies could not be read",
    ),
    Case(NO_KEY, Status.PASS, instance(), "no key pair"),
    Case(NO_KEY, Status.FAIL, instance(key="ops-2019"), "launched with a key pair", reason="ops-2019"),
    Case(NO_KEY, Status.ERROR, without(instance(), "key_name"), "key pair not collected"),
    Case(LOGGING, Status.PASS, region(LOGGED), "logged to S3", reason="S3 bucket session-logs"),
    Case(
        LOGGING,
        Status.PASS,
        region({**LOGGED, "s3_bucket": None, "cloudwatch_log_group": "/ssm/sessions"}),
        "logged to CloudWatch",
        reason="/ssm/sessions",
    ),
    Case(LOGGING, Status.FAIL, region(None), "preferences never saved", reason="never saved"),
    Case(
        LOGGING,
        Status.FAIL,
        region({**LOGGED, "s3_bucket": None}),
        "preferences saved without a destination",
        reason="neither",
    ),
    Case(LOGGING, Status.ERROR, failed_read(region(LOGGED), "preferences"), "preferences unreadable"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_ssm_check(case):
    assert_case(case)
