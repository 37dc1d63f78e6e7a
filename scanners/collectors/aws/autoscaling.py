"""EC2 Auto Scaling groups in one region: their size limits and the scaling policies that can grow them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    tag_dict,
)

GROUP = "aws.autoscaling.group"


@service_group(name="autoscaling", resource_types=(GROUP,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((GROUP,), region, lambda: auto_scaling_groups(factory, region))


def auto_scaling_groups(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    autoscaling = factory.client("autoscaling", region)
    groups = listing(autoscaling, "describe_auto_scaling_groups", "AutoScalingGroups")
    if not groups:
        return
    reads = SubReads()
    policies = reads("scaling_policies", lambda: policies_by_group(autoscaling))
    for group in groups:
        name = group["AutoScalingGroupName"]
        yield document(
            uid=group["AutoScalingGroupARN"],
            type=GROUP,
            region=region,
            name=name,
            tags=tag_dict(group.get("Tags")),
            config={
                "min_size": group.get("MinSize"),
                "max_size": group.get("MaxSize"),
                "desired_capacity": group.get("DesiredCapacity"),
                "scaling_policies": None if policies is None else policies.get(name, []),
                "errors": dict(reads.errors),
            },
        )


def policies_by_group(autoscaling) -> dict[str, list[dict]]:
    """Every scaling policy of the region, read in one listing and grouped by the group it scales."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for policy in listing(autoscaling, "describe_policies", "ScalingPolicies"):
        grouped[policy.get("AutoScalingGroupName")].append(policy_summary(policy))
    return dict(grouped)


def policy_summary(policy: dict) -> dict:
    predictive = policy.get("PredictiveScalingConfiguration") or {}
    return {
        "name": policy.get("PolicyName"),
        "type": policy.get("PolicyType"),
        # A policy is off only once PutScalingPolicy set Enabled=false, and then DescribePolicies says so;
        # answers that predate the field describe policies that were never switched off.
        "enabled": policy.get("Enabled", True),
        "alarms": [alarm.get("AlarmName") for alarm in policy.get("Alarms") or []],
        # AWS documents ForecastOnly as the mode of a predictive policy that names none.
        "predictive_mode": (predictive.get("Mode") or "ForecastOnly")
        if policy.get("PolicyType") == "PredictiveScaling"
        else None,
    }
