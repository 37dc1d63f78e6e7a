"""`manage.py check_plan`: the report per resource address with the controls each finding evidences, SARIF
that GitHub code scanning takes (valid against the SARIF 2.1.0 schema), and an exit code that gates a pipeline."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from scanners.services import check_setting_change, cloud_account_create
from tests.scanners.plan.plans import PLANS

SARIF_SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def check_plan(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("check_plan", *args, stdout=out, stderr=StringIO())
    except SystemExit as exc:
        return out.getvalue(), int(exc.code)
    return out.getvalue(), 0


def test_a_compliant_plan_passes_the_gate_and_is_reported_per_resource():
    out, code = check_plan(str(PLANS / "compliant.json"), "--fail-on", "low")
    assert code == 0
    assert "aws_s3_bucket.audit_logs\n  PASS" in out
    assert "19 resources, 53 results: 6 not_applicable, 47 pass" in out


def test_a_non_compliant_plan_trips_the_gate_and_names_the_controls():
    out, code = check_plan(str(PLANS / "noncompliant.json"))
    assert code == 1
    assert "FAIL           high     vpc_security_group_no_open_admin_ports: open to the internet: SSH (22)" in out
    assert "evidences iso27001-2022:A.8.20, iso27001-2022:A.8.22" in out


def test_the_gate_counts_only_findings_at_or_above_its_severity():
    # The unknown plan's errors and failures are medium or lower, except Block Public Access (high) and the
    # unknown bucket policy (critical).
    assert check_plan(str(PLANS / "unknown.json"), "--fail-on", "critical")[1] == 1
    assert check_plan(str(PLANS / "compliant.json"), "--fail-on", "none")[1] == 0
    assert check_plan(str(PLANS / "noncompliant.json"), "--fail-on", "none")[1] == 0


def test_json_lists_every_result_with_its_controls():
    out, _ = check_plan(str(PLANS / "noncompliant.json"), "--format", "json", "--fail-on", "none")
    report = json.loads(out)
    result = next(item for item in report["results"] if item["check"] == "rds_storage_encrypted")
    assert result["address"] == "aws_db_instance.legacy" and result["status"] == "fail"
    assert "iso27001-2022:A.8.24" in result["controls"]
    assert report["summary"]["fail"] == sum(1 for item in report["results"] if item["status"] == "fail")


def test_sarif_is_valid_sarif_2_1_0_with_failures_and_errors_only(tmp_path):
    target = tmp_path / "plan.sarif"
    _, code = check_plan(str(PLANS / "unknown.json"), "--format", "sarif", "--output", str(target))
    sarif = json.loads(target.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert {item["level"] for item in results} == {"error", "warning"}
    unknown = next(item for item in results if item["ruleId"] == "ec2_volume_encrypted")
    assert unknown["message"]["text"] == "aws_ebs_volume.cache: unknown until apply: aws_ebs_volume.cache.encrypted"
    assert unknown["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aws_ebs_volume.cache"
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(
        rule["id"] == results_rule for rule, results_rule in [(rules[r["ruleIndex"]], r["ruleId"]) for r in results]
    )
    assert code == 1


def test_a_broken_sarif_is_refused_by_the_schema():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate({"version": "2.1.0", "runs": [{"results": []}]})


@pytest.mark.django_db
def test_the_accounts_check_settings_judge_the_plan(ciso):
    account = cloud_account_create(name="prod", regions="eu-west-1")
    check_setting_change(
        account=account,
        check_id="vpc_security_group_no_public_ports",
        key="public_ports",
        value=[443, 5432],
        actor=ciso,
    )
    out, _ = check_plan(str(PLANS / "noncompliant.json"), "--account", "prod", "--format", "json")
    result = next(
        item
        for item in json.loads(out)["results"]
        if item["check"] == "vpc_security_group_no_public_ports" and item["address"] == "aws_security_group.admin"
    )
    assert result["reason"] == "open beyond the public ports (443, 5432): tcp 22 from 0.0.0.0/0"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "is not a plan we can read: the plan is not JSON"),
        ('{"format_version": "0.1"}', "format_version '0.1' is not a Terraform plan representation 1.x"),
        ("[]", "a plan is a JSON object"),
        ('{"format_version": "1.2", "resource_changes": [{"type": "aws_s3_bucket"}]}', "without its address"),
        ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "type": "a"}]}', "a.b: change.actions"),
    ],
)
def test_a_file_that_is_not_a_plan_is_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "plan.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match="is not a plan we can read") as refused:
        call_command("check_plan", str(path))
    assert message in str(refused.value) and refused.value.returncode == 2


@pytest.mark.django_db
def test_an_unknown_account_or_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No cloud account named nowhere"):
        call_command("check_plan", str(PLANS / "compliant.json"), "--account", "nowhere")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("check_plan", str(tmp_path / "missing.json"))
