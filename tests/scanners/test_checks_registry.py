"""The check registry as a whole: every check is tested three ways, maps to controls that exist in our
catalogs, belongs to a collector that feeds it, and can never turn a failure to decide into a pass."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import scanners.checks.aws  # noqa: F401  (registers the checks)
import scanners.checks.github  # noqa: F401
import scanners.collectors.aws  # noqa: F401  (registers the service groups)
import scanners.collectors.github  # noqa: F401
from compliance.catalog import CATALOG_DIR, read_tsv
from scanners.checks.base import FRAMEWORKS, REGISTRY, Check, Result, Status, all_checks, check, checks_for
from scanners.collectors.base import SERVICE_GROUPS

# One test module per service, each with a CASES table of plain documents.
CASE_TABLES = {
    service: importlib.import_module(f"tests.scanners.test_checks_{service}").CASES
    for service in sorted({item.service for item in all_checks()})
}
ALL_CASES = [case for cases in CASE_TABLES.values() for case in cases]

# "The checks we start with" in the design, each with the check that answers it.
DESIGN_CHECKS = {
    "default VPCs removed, or isolated in every region (the NACLs of its subnets deny all traffic and its default"
    " security group has no rules)": ["vpc_default_vpc_removed_or_isolated"],
    "default security groups without rules": ["vpc_default_security_group_closed"],
    "no security group open to everyone or to an unreasonably large range on any port that is not meant for the"
    " public (SSH, RDP, all ports, databases)": [
        "vpc_security_group_no_open_admin_ports",
        "vpc_security_group_no_public_ports",
    ],
    "no network ACL allowing all inbound from anywhere": ["vpc_network_acl_no_open_inbound"],
    "EC2 instances in a VPC": ["ec2_instance_in_vpc"],
    "load balancer security groups only on 443": ["elbv2_security_groups_https_only"],
    "database security groups admit the VPC's private ranges or application security groups, never public ranges": [
        "rds_security_groups_from_app_only"
    ],
    "RDS not publicly accessible": ["rds_instance_not_publicly_accessible"],
    "VPC flow logs on every VPC": ["vpc_flow_logs_enabled"],
    "a multi-region trail with validation, delivering to S3 or CloudWatch": ["cloudtrail_multi_region_trail"],
    "EBS encryption by default in every region": ["ec2_ebs_encryption_by_default"],
    "EBS volumes and snapshots encrypted": ["ec2_volume_encrypted", "ec2_snapshot_encrypted"],
    "S3 default encryption, KMS preferred": ["s3_bucket_default_encryption", "s3_bucket_encryption_uses_kms"],
    "KMS customer keys rotated": ["kms_key_rotation_enabled"],
    "load balancer listeners on TLS with a modern policy": ["elbv2_listeners_use_tls", "elbv2_tls_policy_modern"],
    "S3 bucket policies deny non-TLS access": ["s3_bucket_policy_denies_insecure_transport"],
    "no IAM user holds an active access key (a key kept by exemption is young and used)": [
        "iam_user_no_active_access_key",
        "iam_access_key_rotated",
        "iam_access_key_recently_used",
    ],
    "console users with MFA": ["iam_user_console_mfa"],
    "no role, user or customer policy with AdministratorAccess or Action * on Resource *": [
        "iam_customer_policy_not_full_admin",
        "iam_role_not_full_admin",
        "iam_user_not_full_admin",
    ],
    "root without access keys and with MFA": ["iam_root_no_access_keys", "iam_root_mfa_enabled"],
    "S3 Block Public Access on account and buckets": [
        "s3_account_block_public_access",
        "s3_bucket_block_public_access",
    ],
    "no public bucket ACL or policy": ["s3_bucket_acl_not_public", "s3_bucket_policy_not_public"],
    "AMIs and EBS snapshots not public": ["ec2_ami_not_public", "ec2_snapshot_not_public"],
    "an AWS Backup plan in every region holding resources": ["backup_plan_in_region", "backup_resources_protected"],
    "versioning on every bucket": ["s3_bucket_versioning_enabled"],
    "Object Lock on buckets that keep records (default: every bucket)": ["s3_bucket_object_lock"],
    "KMS keys with a deletion window of at least 30 days and none pending deletion": [
        "kms_key_deletion_window",
        "kms_key_not_pending_deletion",
    ],
    "buckets holding records expire them; backup plans delete after a retention (A.8.10)": [
        "s3_bucket_lifecycle_expiration",
        "backup_plan_deletes_after_retention",
    ],
    "kept EBS snapshots locked": ["ec2_snapshot_locked"],
    "RDS automated backups on": ["rds_automated_backups_enabled"],
    "GuardDuty and Security Hub on": ["guardduty_enabled", "guardduty_malware_protection", "securityhub_enabled"],
    "alarms on the events practitioners watch": [
        "cloudwatch_alarm_root_account_use",
        "cloudwatch_alarm_iam_policy_changes",
        "cloudwatch_alarm_cloudtrail_changes",
        "cloudwatch_alarm_console_signin_failures",
    ],
}


def catalog_refs() -> set[str]:
    spec = json.loads((CATALOG_DIR / "frameworks.json").read_text(encoding="utf-8"))
    return {
        f"{framework['slug']}:{row['ref'].strip()}"
        for framework in spec["frameworks"]
        for row in read_tsv(CATALOG_DIR / framework["controls"])
    }


def test_every_check_the_design_asks_for_is_registered():
    missing = [check_id for ids in DESIGN_CHECKS.values() for check_id in ids if check_id not in REGISTRY]
    assert not missing


@pytest.mark.parametrize("item", all_checks(), ids=lambda item: item.id)
def test_check_is_tested_as_compliant_non_compliant_and_undecidable(item):
    tested = {case.expected for case in ALL_CASES if case.check == item.id}
    assert {Status.PASS, Status.FAIL, Status.ERROR} <= tested


@pytest.mark.parametrize("item", all_checks(), ids=lambda item: item.id)
def test_check_maps_to_controls_of_all_three_frameworks_that_exist_in_our_catalogs(item):
    refs = catalog_refs()
    assert [ref for ref in item.controls if ref not in refs] == []
    assert all(item.controls_of(framework) for framework in FRAMEWORKS), item.controls
    assert len(set(item.controls)) == len(item.controls)


@pytest.mark.parametrize("item", all_checks(), ids=lambda item: item.id)
def test_check_is_fed_by_the_collector_of_its_service(item):
    assert item.resource_type in SERVICE_GROUPS[item.service].resource_types
    assert item.title and item.remediation and item.severity in {"critical", "high", "medium", "low"}


def test_checks_for_a_resource_type_lists_exactly_its_checks():
    bucket_checks = {item.id for item in checks_for("aws.s3.bucket")}
    assert "s3_bucket_policy_not_public" in bucket_checks
    assert all(REGISTRY[check_id].resource_type == "aws.s3.bucket" for check_id in bucket_checks)
    assert checks_for("aws.unknown.thing") == []


def test_checks_import_neither_django_nor_boto3():
    probe = (
        "import sys, scanners.checks.aws, scanners.checks.github; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'boto3', 'botocore'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def make_check(evaluate) -> Check:
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


def test_a_check_that_breaks_reports_an_error_never_a_pass():
    result = make_check(lambda document: document["config"]["absent"]).run({"type": "aws.s3.bucket", "config": {}})
    assert result.status == Status.ERROR
    assert "KeyError" in result.reason


def test_a_check_that_returns_no_result_reports_an_error():
    assert make_check(lambda document: True).run({"type": "aws.s3.bucket"}).status == Status.ERROR


def test_a_check_given_another_kind_of_resource_reports_an_error():
    result = make_check(lambda document: Result.passed()).run({"type": "aws.ec2.volume", "config": {}})
    assert result.status == Status.ERROR


def test_registration_refuses_duplicates_unknown_severities_and_malformed_control_refs():
    def evaluate(document):
        return Result.passed()

    declared = {"title": "t", "resource": "aws.s3.bucket", "remediation": "r"}
    with pytest.raises(ValueError, match="registered twice"):
        check(id="s3_bucket_acl_not_public", severity="low", controls=(), **declared)(evaluate)
    with pytest.raises(ValueError, match="severity"):
        check(id="x", severity="urgent", controls=(), **declared)
    with pytest.raises(ValueError, match="control reference"):
        check(id="x", severity="low", controls=("A.8.20",), **declared)
    assert "x" not in REGISTRY


def test_every_check_is_documented_for_the_people_who_read_the_findings():
    documented = (Path(__file__).resolve().parents[2] / "docs" / "checks.md").read_text(encoding="utf-8")
    missing = [check.id for check in all_checks() if f"`{check.id}`" not in documented]
    assert not missing, f"add these checks to docs/checks.md: {missing}"


# Check settings ------------------------------------------------------------------------------------


def settings_check():
    from scanners.checks.base import Setting

    def evaluate(document, settings):
        return Result.passed(f"limit {settings['limit']}, ports {settings['ports']}")

    return Check(
        id="example_with_settings",
        title="t",
        service="example",
        resource_type="aws.example.thing",
        severity="low",
        controls=(),
        remediation="r",
        evaluate=evaluate,
        settings={"limit": Setting(30, "days"), "ports": Setting([443], "ports"), "strict": Setting(False, "s")},
    )


def test_a_check_with_settings_is_judged_with_its_defaults_unless_overridden():
    example = settings_check()
    document = {"type": "aws.example.thing", "config": {"errors": {}}}
    assert example.run(document).reason == "limit 30, ports [443]"
    assert example.run(document, {"limit": 7, "ports": [80, 443]}).reason == "limit 7, ports [80, 443]"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"unknown": 1}, "has no setting 'unknown'"),
        ({"limit": "30"}, "limit must be a whole number"),
        ({"limit": -1}, "limit must be a whole number"),
        ({"limit": True}, "limit must be a whole number"),
        ({"strict": 1}, "strict must be true or false"),
        ({"ports": "443"}, "ports must be a list"),
        ({"ports": ["443"]}, "ports must be a list of whole numbers, not ['443']"),
    ],
)
def test_a_setting_that_does_not_fit_makes_the_check_an_error_never_a_pass(overrides, message):
    result = settings_check().run({"type": "aws.example.thing", "config": {"errors": {}}}, overrides)
    assert result.status == Status.ERROR and message in result.reason


def test_every_declared_setting_has_a_default_of_its_kind_and_a_help_text():
    for item in all_checks():
        for key, setting in item.settings.items():
            assert setting.help.strip(), f"{item.id}.{key} has no help text"
            assert item.settings_with({key: setting.default})[key] == setting.default
