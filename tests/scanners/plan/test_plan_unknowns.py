"""A value known only after apply never passes a check: the check that reads it reports an error naming it,
while the checks that do not need it still judge the resource."""

from __future__ import annotations

import pytest

from scanners.checks.base import Check, MissingData, Result
from scanners.plan.reader import Plan
from scanners.plan.unknown import Unknown, guarded, unknown_paths
from tests.scanners.plan.plans import findings_of, plan_data, verdicts


@pytest.fixture(scope="module")
def judged():
    return {(item.check, item.address): item for item in findings_of("unknown")}


def test_a_bucket_policy_built_from_the_bucket_arn_is_unknown_until_apply(judged):
    for check_id in ("s3_bucket_policy_not_public", "s3_bucket_policy_denies_insecure_transport"):
        item = judged[(check_id, "aws_s3_bucket.reports")]
        assert item.status == "error"
        assert item.reason == "unknown until apply: aws_s3_bucket_policy.reports.policy"
    # The bucket's other settings are known, and judged.
    assert judged[("s3_bucket_versioning_enabled", "aws_s3_bucket.reports")].status == "fail"


def test_a_volume_without_encrypted_is_unknown_unless_the_plan_turns_on_encryption_by_default(judged):
    item = judged[("ec2_volume_encrypted", "aws_ebs_volume.cache")]
    assert (item.status, item.reason) == ("error", "unknown until apply: aws_ebs_volume.cache.encrypted")
    data = dict(plan_data("unknown"))
    data["resource_changes"] = [
        *data["resource_changes"],
        {
            "address": "aws_ebs_encryption_by_default.on",
            "mode": "managed",
            "type": "aws_ebs_encryption_by_default",
            "name": "on",
            "change": {"actions": ["create"], "after": {"enabled": True}, "after_unknown": {"id": True}},
        },
    ]
    from scanners.plan.runner import plan_findings

    assert verdicts(plan_findings(Plan(data)))[("ec2_volume_encrypted", "aws_ebs_volume.cache")] == "pass"


def test_a_tls_listener_without_a_policy_leaves_the_policy_to_aws_unknown(judged):
    item = judged[("elbv2_tls_policy_modern", "aws_lb.api")]
    assert (item.status, item.reason) == ("error", "unknown until apply: aws_lb_listener.tls.ssl_policy")
    assert judged[("elbv2_listeners_use_tls", "aws_lb.api")].status == "pass"


def probe(evaluate) -> Check:
    return Check(
        id="probe",
        title="probe",
        service="s3",
        resource_type="aws.s3.bucket",
        severity="low",
        controls=(),
        remediation="",
        evaluate=evaluate,
    )


@pytest.mark.parametrize(
    "reads",
    [
        lambda config: config["policy"],
        lambda config: config.get("policy"),
        lambda config: list(config.values()),
        lambda config: bool(config["rules"][0]),
        lambda config: [rule for rule in config["rules"]],
        lambda config: dict(config)["policy"] == {},  # copied past the guard, the value itself refuses
        lambda config: f"{dict(config)['policy']}",
        lambda config: "x" in dict(config)["policy"],
    ],
)
def test_any_check_that_reads_an_unknown_value_reports_an_error_never_a_pass(reads):
    document = {
        "type": "aws.s3.bucket",
        "config": {"policy": Unknown("aws_s3_bucket_policy.p.policy"), "rules": [Unknown("aws_x.y.rule")]},
    }

    def evaluate(bucket):
        reads(bucket["config"])
        return Result.passed("looked fine")

    result = probe(evaluate).run(guarded(document))
    assert result.status == "error"
    assert result.reason.startswith("unknown until apply: aws_")


def test_a_check_that_does_not_read_the_unknown_value_still_judges():
    document = {"type": "aws.s3.bucket", "config": {"policy": Unknown("p"), "versioning": {"status": "Enabled"}}}
    result = probe(lambda bucket: Result.passed(bucket["config"]["versioning"]["status"])).run(guarded(document))
    assert (result.status, result.reason) == ("pass", "Enabled")


def test_unknown_values_are_listed_by_their_terraform_attribute():
    assert unknown_paths({"a": [Unknown("x.a[0]")], "b": {"c": Unknown("x.b.c")}, "d": 1}) == ["x.a[0]", "x.b.c"]
    with pytest.raises(MissingData, match="unknown until apply: x"):
        str(Unknown("x"))
