"""EC2: EBS volumes, the region's EBS encryption by default, and instances."""

from __future__ import annotations

from typing import Any

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, translates
from scanners.plan.translate.network import name_tag
from scanners.plan.unknown import Unknown


def encrypted_by_default(plan: Plan) -> bool:
    """The plan turns EBS encryption by default on in the region (it is applied before anything launches
    only if the code orders it so; the check on the region setting judges that setting itself)."""
    return any(item.get("enabled", unset=True) is True for item in plan.of_type("aws_ebs_encryption_by_default"))


@translates("aws_ebs_volume", "aws.ec2.volume", reads=("aws_ebs_encryption_by_default",))
def volume(plan: Plan, resource: PlanResource) -> dict:
    # Without `encrypted`, AWS encrypts the volume only where encryption by default is on: unknown unless the
    # plan turns it on.
    encrypted: Any = resource.get("encrypted")
    if isinstance(encrypted, Unknown) and not resource.sets("encrypted") and encrypted_by_default(plan):
        encrypted = True
    return doc(
        resource=resource,
        type="aws.ec2.volume",
        region=plan.region(),
        name=name_tag(resource),
        config={
            "volume_id": resource.get("id"),
            "encrypted": encrypted if isinstance(encrypted, Unknown) else bool(encrypted),
            "kms_key_id": resource.get("kms_key_id", unset=None),
            "state": "available",
            "size_gib": resource.get("size"),
            "attached_to": [],
        },
    )


@translates("aws_ebs_encryption_by_default", "aws.ec2.region")
def region_settings(plan: Plan, resource: PlanResource) -> dict:
    region = plan.region()
    return doc(
        resource=resource,
        type="aws.ec2.region",
        region=region,
        name=f"EC2 settings in {region}",
        config={"ebs_encryption_by_default": resource.get("enabled", unset=True)},
    )


def metadata_options(resource: PlanResource) -> dict:
    # AWS's defaults for an instance launched without metadata options: IMDSv1 allowed, endpoint on.
    options = resource.block("metadata_options")
    tokens = options.get("http_tokens") if options else None
    endpoint = options.get("http_endpoint") if options else None
    configured = (resource.expressions.get("metadata_options") or [{}])[0] if resource.sets("metadata_options") else {}
    if isinstance(tokens, Unknown) and "http_tokens" not in configured:
        tokens = None
    if isinstance(endpoint, Unknown) and "http_endpoint" not in configured:
        endpoint = None
    return {"HttpTokens": tokens or "optional", "HttpEndpoint": endpoint or "enabled"}


def vpc_of(plan: Plan, resource: PlanResource) -> Any:
    """The instance's VPC: that of its subnet. An instance with no subnet launches in the default VPC."""
    subnets = plan.referred(resource, "subnet_id", "aws_subnet")
    if subnets:
        vpc_id = subnets[0].get("vpc_id")
        if isinstance(vpc_id, str):
            return vpc_id
        vpcs = plan.referred(subnets[0], "vpc_id", "aws_vpc")
        return vpcs[0].address if vpcs else vpc_id
    subnet = resource.get("subnet_id")
    if not resource.sets("subnet_id") and not isinstance(subnet, str):
        return "the default VPC"  # EC2-Classic is gone: an instance without a subnet gets a default one
    if isinstance(subnet, str):
        return f"the VPC of {subnet}"
    return Unknown(f"{resource.address}.subnet_id (the instance's VPC)")


@translates("aws_instance", "aws.ec2.instance")
def instance(plan: Plan, resource: PlanResource) -> dict:
    groups = resource.get("vpc_security_group_ids", unset=[])
    return doc(
        resource=resource,
        type="aws.ec2.instance",
        region=plan.region(),
        name=name_tag(resource),
        config={
            "instance_id": resource.get("id"),
            "state": "running",
            "vpc_id": vpc_of(plan, resource),
            "subnet_id": resource.get("subnet_id"),
            "public_ip": resource.get("public_ip"),
            "security_groups": groups if isinstance(groups, Unknown) else list(groups),
            "instance_profile": resource.get("iam_instance_profile", unset=None),
            "metadata_options": metadata_options(resource),
        },
    )
