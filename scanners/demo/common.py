"""Names and small helpers every part of the demo account uses."""

from __future__ import annotations

import json
import logging

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


MARKER_BUCKET = "ct-demo-evidence"
ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
FULL_ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
IMAGE_ID = "ami-12c6146b"
ACCOUNT = "123456789012"  # moto's account, in the ARNs the demo writes
TRAIL_LOG_GROUP = "ct-demo-trail"
TRAIL_CALLS = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")


def bucket_exists(s3, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        return False
    return True


def make_bucket(session, name: str, region: str):
    s3 = session.client("s3", region_name=region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    return s3


def bucket_policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal: dict, action: str = "sts:AssumeRole") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}
    )


def attach_aws_policy(iam, role: str, policy: str) -> None:
    try:
        iam.attach_role_policy(RoleName=role, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    except ClientError as exc:
        # moto knows AWS managed policies only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
        logger.warning("could not attach %s to %s: %s", policy, role, exc)


def named(name: str, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def port_from_anywhere(port: int) -> dict:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": ANYWHERE}
