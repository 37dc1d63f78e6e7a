"""EC2 Auto Scaling: groups keep room to grow, and a scaling policy grows them with demand."""

from __future__ import annotations

from scanners.checks.base import Result, Setting, check, field, listed

GROUP = "aws.autoscaling.group"
CAPACITY = ("iso27001-2022:A.8.6", "iso27001-2013:A.12.1.3", "soc2-2017:A1.1")


def parked(group: dict) -> Result | None:
    """A group with a maximum of 0 instances serves nothing, so neither check has capacity to judge."""
    if int(field(group, "max_size")) == 0:
        return Result.not_applicable("the group is parked (maximum size 0)")
    return None


@check(
    id="autoscaling_group_has_headroom",
    title="Auto Scaling group can grow beyond its desired capacity",
    resource=GROUP,
    severity="medium",
    controls=CAPACITY,
    remediation="""Raise the group's maximum size above its desired capacity (by at least the number of
    instances your capacity plan asks for), so that scaling policies and instance replacement have room to
    add instances when demand grows.""",
    settings={
        "min_spare_instances": Setting(
            1, "Instances the group must be able to add above its desired capacity (maximum - desired)"
        )
    },
)
def group_has_headroom(group: dict, settings: dict) -> Result:
    if not_judged := parked(group):
        return not_judged
    desired = int(field(group, "desired_capacity"))
    maximum = int(field(group, "max_size"))
    spare = maximum - desired
    needed = settings["min_spare_instances"]
    if spare < needed:
        return Result.failed(f"{spare} spare instances (desired {desired}, maximum {maximum}); {needed} required")
    return Result.passed(f"can add {spare} instances (desired {desired}, maximum {maximum})")


def why_idle(policy: dict) -> str | None:
    """Why a scaling policy cannot change the group's size on its own, or None when it can."""
    if policy.get("enabled") is False:
        return "disabled"
    kind = policy.get("type")
    if kind == "TargetTrackingScaling":
        return None
    if kind == "PredictiveScaling":
        return None if policy.get("predictive_mode") == "ForecastAndScale" else "forecast only"
    if kind in ("SimpleScaling", "StepScaling"):
        return None if policy.get("alarms") else "no alarm triggers it"
    return f"unknown policy type {kind!r}"


@check(
    id="autoscaling_group_has_scaling_policy",
    title="Auto Scaling group has a scaling policy that acts on demand",
    resource=GROUP,
    severity="medium",
    controls=CAPACITY,
    remediation="""Add a target tracking policy (for example average CPU or requests per target), a step
    scaling policy triggered by a CloudWatch alarm, or a predictive scaling policy in ForecastAndScale mode,
    so that the group adds instances before demand exhausts it.""",
)
def group_has_scaling_policy(group: dict) -> Result:
    if not_judged := parked(group):
        return not_judged
    policies = field(group, "scaling_policies")
    acting = [policy["name"] for policy in policies if why_idle(policy) is None]
    if acting:
        return Result.passed(f"scaled by {listed(acting)}")
    if policies:
        idle = [f"{policy['name']} ({why_idle(policy)})" for policy in policies]
        return Result.failed(f"no policy acts on demand: {listed(idle)}")
    return Result.failed(f"no scaling policy: the group stays at {field(group, 'desired_capacity')} instances")
