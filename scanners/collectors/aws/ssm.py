"""Remote access through AWS Systems Manager Session Manager in one region: each EC2 instance with its SSH key
pair and the policies of its instance profile's role, and the region's Session Manager preferences (where
sessions are logged)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import unquote

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
    tag_dict,
)

INSTANCE = "aws.ssm.instance"
REGION = "aws.ssm.region"
# The document the console writes when Session Manager preferences are saved; AWS answers InvalidDocument
# while they never were.
PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
GONE = {"shutting-down", "terminated"}


@service_group(name="ssm", resource_types=(INSTANCE, REGION))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((INSTANCE,), region, lambda: instances(factory, region))
    yield from collected((REGION,), region, lambda: [session_preferences(factory, region)])


def instances(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    ec2 = factory.client("ec2", region)
    roles = RolePolicies(factory.client("iam", region))
    for reservation in listing(ec2, "describe_instances", "Reservations"):
        for instance in reservation.get("Instances", []):
            if (instance.get("State") or {}).get("Name") in GONE:
                continue
            reads = SubReads()
            profile_arn = (instance.get("IamInstanceProfile") or {}).get("Arn")
            role = reads("role_policies", lambda arn=profile_arn: roles.of_profile(arn)) if profile_arn else None
            tags = tag_dict(instance.get("Tags"))
            yield document(
                uid=instance["InstanceId"],
                type=INSTANCE,
                region=region,
                name=tags.get("Name") or instance["InstanceId"],
                tags=tags,
                config={
                    "state": (instance.get("State") or {}).get("Name"),
                    "key_name": instance.get("KeyName"),
                    "instance_profile": profile_arn,
                    "role_name": (role or {}).get("role_name"),
                    "role_policies": (role or {}).get("policies") if profile_arn else [],
                    "errors": reads.errors,
                },
            )


class RolePolicies:
    """The policies of each instance profile's role, read once per profile and once per managed policy."""

    def __init__(self, iam) -> None:
        self.iam = iam
        self.profiles: dict[str, dict] = {}
        self.managed: dict[str, dict] = {}

    def of_profile(self, profile_arn: str) -> dict:
        if profile_arn not in self.profiles:
            name = profile_arn.rsplit("/", 1)[-1]
            profile_roles = self.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"].get("Roles")
            role_name = profile_roles[0]["RoleName"] if profile_roles else None
            self.profiles[profile_arn] = {
                "role_name": role_name,
                "policies": self.of_role(role_name) if role_name else [],
            }
        return self.profiles[profile_arn]

    def of_role(self, role_name: str) -> list[dict]:
        attached = listing(self.iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name)
        policies = [self.managed_policy(item["PolicyArn"], item["PolicyName"]) for item in attached]
        for name in listing(self.iam, "list_role_policies", "PolicyNames", RoleName=role_name):
            answer = self.iam.get_role_policy(RoleName=role_name, PolicyName=name)
            policies.append({"name": name, "arn": None, "document": policy_json(answer["PolicyDocument"])})
        return policies

    def managed_policy(self, arn: str, name: str) -> dict:
        if arn not in self.managed:
            version = self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            answer = self.iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
            self.managed[arn] = {"name": name, "arn": arn, "document": policy_json(answer["Document"])}
        return self.managed[arn]


def policy_json(document: dict | str) -> dict:
    """boto3 decodes policy documents; other SDKs and some endpoints leave them URL-encoded JSON."""
    return json.loads(unquote(document)) if isinstance(document, str) else document


def session_preferences(factory: ClientFactory, region: str) -> ResourceDoc:
    ssm = factory.client("ssm", region)
    reads = SubReads()
    preferences = reads("preferences", lambda: logging_preferences(ssm), absent={"InvalidDocument"})
    return document(
        uid=settings_uid(factory.account_id(), region, "ssm-session-manager"),
        type=REGION,
        region=region,
        name=f"Session Manager in {region}",
        config={"preferences": preferences, "errors": reads.errors},
    )


def logging_preferences(ssm) -> dict:
    answer = ssm.get_document(Name=PREFERENCES_DOCUMENT, DocumentFormat="JSON")
    inputs = json.loads(answer["Content"]).get("inputs") or {}
    return {
        "s3_bucket": inputs.get("s3BucketName") or None,
        "s3_encryption": inputs.get("s3EncryptionEnabled"),
        "cloudwatch_log_group": inputs.get("cloudWatchLogGroupName") or None,
        "cloudwatch_encryption": inputs.get("cloudWatchEncryptionEnabled"),
    }
