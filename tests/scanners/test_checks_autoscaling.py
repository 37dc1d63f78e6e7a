"""EC2 Auto Scaling checks on plain documents."""

import pytest

from scanners.checks.base import REGISTRY, Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

HEADROOM = "autoscaling_group_has_headroom"
POLICY = "autoscaling_group_has_scaling_policy"
TARGET_TRACKING = {"name": "cpu-50", "type": "TargetTrackingScaling", "enabled": True, "alarms": []}


def policy(name: str, type: str, **fields) -> dict:
    return {"name": name, "type": type, "enabled": True, "alarms": [], "predictive_mode": None, **fields}


def group(desired=2, maximum=6, policies=(TARGET_TRACKING,), name="web") -> dict:
    return doc(
        "aws.autoscaling.group",
        name=name,
        min_size=1,
        max_size=maximum,
        desired_capacity=desired,
        scaling_policies=list(policies),
    )


CASES = [
    Case(HEADROOM, Status.PASS, group(), "four spare instances", reason="can add 4 instances"),
    Case(HEADROOM, Status.FAIL, group(desired=4, maximum=4), "at its ceiling", reason="0 spare instances"),
    Case(HEADROOM, Status.NOT_APPLICABLE, group(desired=0, maximum=0), "parked group", reason="parked"),
    Case(HEADROOM, Status.ERROR, without(group(), "max_size"), "maximum not collected", reason="max size"),
    Case(POLICY, Status.PASS, group(), "target tracking", reason="scaled by cpu-50"),
    Case(
        POLICY,
        Status.PASS,
        group(policies=[policy("nightly", "PredictiveScaling", predictive_mode="ForecastAndScale")]),
        "predictive scaling that scales",
        reason="scaled by nightly",
    ),
    Case(
        POLICY,
        Status.PASS,
        group(policies=[policy("queue-depth", "StepScaling", alarms=["queue-high"])]),
        "step scaling on an alarm",
        reason="queue-depth",
    ),
    Case(POLICY, Status.FAIL, group(policies=[]), "no policy", reason="no scaling policy"),
    Case(
        POLICY,
        Status.FAIL,
        group(
            policies=[
                policy("add-one", "SimpleScaling"),
                policy("forecast", "PredictiveScaling", predictive_mode="ForecastOnly"),
                {**TARGET_TRACKING, "enabled": False},
            ]
        ),
        "policies that cannot act",
        reason="add-one (no alarm triggers it), forecast (forecast only), cpu-50 (disabled)",
    ),
    Case(POLICY, Status.NOT_APPLICABLE, group(desired=0, maximum=0), "parked group", reason="parked"),
    Case(
        POLICY,
        Status.ERROR,
        failed_read(group(), "scaling_policies"),
        "policies unreadable",
        reason="scaling policies could not be read",
    ),
]


def test_the_headroom_is_one_instance_by_default_and_an_account_may_ask_for_more():
    assert REGISTRY[HEADROOM].settings["min_spare_instances"].default == 1
    result = Case(
        HEADROOM, Status.FAIL, group(desired=4, maximum=5), "one spare of two", settings={"min_spare_instances": 2}
    ).run()
    assert result.status == Status.FAIL and "1 spare instances (desired 4, maximum 5); 2 required" in result.reason


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_autoscaling_check(case):
    assert_case(case)
