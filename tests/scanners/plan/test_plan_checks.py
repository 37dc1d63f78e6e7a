"""Every check with a Terraform counterpart, judged on a compliant and a non-compliant plan that the Terraform
CLI produced (terraform/compliant and terraform/noncompliant): the same checks as a scan, on planned resources."""

from __future__ import annotations

import pytest

from scanners.checks.base import checks_for
from scanners.plan.translate import TRANSLATORS, covered_types
from tests.scanners.plan.plans import findings_of, verdicts

# check -> (compliant resource in compliant.json, non-compliant resource in noncompliant.json)
CASES = {
    "s3_account_block_public_access": (
        "aws_s3_account_public_access_block.account",
        "aws_s3_account_public_access_block.account",
    ),
    "s3_bucket_block_public_access": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.public_logs"),
    "s3_bucket_acl_not_public": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.public_logs"),
    "s3_bucket_policy_not_public": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.public_logs"),
    "s3_bucket_default_encryption": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.plain_logs"),
    "s3_bucket_encryption_uses_kms": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.public_logs"),
    "s3_bucket_policy_denies_insecure_transport": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.public_logs"),
    "s3_bucket_versioning_enabled": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.public_logs"),
    "s3_bucket_object_lock": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.plain_logs"),
    "s3_bucket_lifecycle_expiration": ("aws_s3_bucket.audit_logs", "aws_s3_bucket.public_logs"),
    "vpc_default_security_group_closed": ("aws_default_security_group.main", "aws_default_security_group.main"),
    "vpc_security_group_no_open_admin_ports": ("aws_security_group.web", "aws_security_group.admin"),
    "vpc_security_group_no_public_ports": ("aws_security_group.db", "aws_security_group.admin"),
    "vpc_network_acl_no_open_inbound": ("aws_network_acl.public", "aws_network_acl.open"),
    "vpc_flow_logs_enabled": ("aws_vpc.main", "aws_vpc.main"),
    "vpc_time_sync_approved_ntp": ("aws_vpc.main", "aws_vpc.main"),
    "ec2_ebs_encryption_by_default": ("aws_ebs_encryption_by_default.on", "aws_ebs_encryption_by_default.off"),
    "ec2_volume_encrypted": ("aws_ebs_volume.data", "aws_ebs_volume.scratch"),
    "ec2_instance_imdsv2_required": ("aws_instance.app", "aws_instance.legacy"),
    "rds_instance_not_publicly_accessible": ("aws_db_instance.orders", "aws_db_instance.legacy"),
    "rds_security_groups_from_app_only": ("aws_db_instance.orders", "aws_db_instance.legacy"),
    "rds_storage_encrypted": ("aws_db_instance.orders", "aws_db_instance.legacy"),
    "rds_automated_backups_enabled": ("aws_db_instance.orders", "aws_db_instance.legacy"),
    "rds_deletion_protection_enabled": ("aws_db_instance.orders", "aws_db_instance.legacy"),
    "rds_storage_autoscaling_or_alarm": ("aws_db_instance.orders", "aws_db_instance.legacy"),
    "elbv2_listeners_use_tls": ("aws_lb.web", "aws_lb.legacy"),
    "elbv2_tls_policy_modern": ("aws_lb.web", "aws_lb.legacy"),
    "elbv2_security_groups_https_only": ("aws_lb.web", "aws_lb.legacy"),
    "elbv2_alb_drops_invalid_headers": ("aws_lb.web", "aws_lb.legacy"),
    "elbv2_alb_waf_blocks_common_attacks": ("aws_lb.web", "aws_lb.legacy"),
    "kms_key_rotation_enabled": ("aws_kms_key.data", "aws_kms_key.legacy"),
    "kms_key_deletion_window": ("aws_kms_key.data", "aws_kms_key.legacy"),
    "iam_customer_policy_not_full_admin": ("aws_iam_policy.read_reports", "aws_iam_policy.everything"),
    "iam_role_not_full_admin": ("aws_iam_role.deployer", "aws_iam_role.admin"),
    "iam_user_no_active_access_key": ("aws_iam_user.auditor", "aws_iam_user.deploy_bot"),
    "iam_user_not_full_admin": ("aws_iam_user.auditor", "aws_iam_user.deploy_bot"),
    "cloudtrail_trail_log_file_validation": ("aws_cloudtrail.main", "aws_cloudtrail.quiet"),
    "cloudtrail_trail_logging": ("aws_cloudtrail.main", "aws_cloudtrail.quiet"),
    "logs_log_group_retention_set": ("aws_cloudwatch_log_group.app", "aws_cloudwatch_log_group.forever"),
}
# Checks of covered resource types that a plan can only ever pass, or only ever fail: why, for the docs.
ONE_SIDED = {
    "ec2_instance_in_vpc": "every instance launched today is in a VPC (EC2-Classic is retired)",
    "kms_key_not_pending_deletion": "a key a plan creates or keeps is not scheduled for deletion",
    "iam_access_key_rotated": "a key a plan creates is new when applied",
    "iam_access_key_recently_used": "a key a plan creates is new when applied",
    "iam_user_console_mfa": "Terraform cannot register an MFA device for a user, so a console password fails",
}


@pytest.fixture(scope="module")
def compliant():
    return verdicts(findings_of("compliant"))


@pytest.fixture(scope="module")
def noncompliant():
    return verdicts(findings_of("noncompliant"))


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_a_compliant_plan_passes_and_a_non_compliant_one_fails(check_id, compliant, noncompliant):
    good, bad = CASES[check_id]
    assert compliant[(check_id, good)] == "pass"
    assert noncompliant[(check_id, bad)] == "fail"


def test_every_check_of_a_covered_resource_type_has_a_case_or_says_why_not():
    covered = {check.id for resource_type in covered_types() for check in checks_for(resource_type)}
    assert covered == set(CASES) | set(ONE_SIDED)


def test_the_one_sided_checks_still_judge_planned_resources(compliant, noncompliant):
    judged = {check for check, _ in compliant} | {check for check, _ in noncompliant}
    assert set(ONE_SIDED) <= judged


def test_the_compliant_plan_has_no_failure_and_no_error(compliant):
    assert {status for status in compliant.values()} <= {"pass", "not_applicable"}


def test_every_translated_type_becomes_a_collected_type_some_check_judges():
    for translator in TRANSLATORS.values():
        assert checks_for(translator.resource_type), translator.terraform_type


def test_the_account_settings_judge_the_plan():
    # The public bucket's name matches no record pattern of this account: Object Lock does not apply to it.
    judged = verdicts(findings_of("noncompliant", {"s3_bucket_object_lock": {"buckets": ["audit-*"]}}))
    assert judged[("s3_bucket_object_lock", "aws_s3_bucket.public_logs")] == "not_applicable"


def test_deletions_are_not_judged():
    from scanners.plan.reader import Plan
    from scanners.plan.runner import plan_findings
    from tests.scanners.plan.plans import plan_data

    data = dict(plan_data("noncompliant"))
    data["resource_changes"] = [
        {**change, "change": {**change["change"], "actions": ["delete"], "after": None}}
        for change in data["resource_changes"]
    ]
    assert plan_findings(Plan(data)) == []


def counted(address: str, index: int, after: dict, unknown: dict) -> dict:
    kind, name = address.split(".")
    return {
        "address": f"{address}[{index}]",
        "mode": "managed",
        "type": kind,
        "name": name,
        "index": index,
        "change": {"actions": ["create"], "after": after, "after_unknown": unknown},
    }


def test_with_count_each_bucket_is_merged_with_the_configuration_of_its_own_index():
    from scanners.plan.reader import Plan
    from scanners.plan.runner import plan_findings

    bucket = {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs"}
    versioning = {
        "address": "aws_s3_bucket_versioning.logs",
        "mode": "managed",
        "type": "aws_s3_bucket_versioning",
        "name": "logs",
        "expressions": {
            "bucket": {"references": ["aws_s3_bucket.logs[count.index].id", "aws_s3_bucket.logs"]},
            "versioning_configuration": [{"status": {"references": ["var.statuses"]}}],
        },
    }
    data = {
        "format_version": "1.2",
        "resource_changes": [
            counted("aws_s3_bucket.logs", 0, {"bucket": "acme-logs-0"}, {"id": True}),
            counted("aws_s3_bucket.logs", 1, {"bucket": "acme-logs-1"}, {"id": True}),
            counted(
                "aws_s3_bucket_versioning.logs",
                0,
                {"versioning_configuration": [{"status": "Enabled"}]},
                {"bucket": True},
            ),
            counted(
                "aws_s3_bucket_versioning.logs",
                1,
                {"versioning_configuration": [{"status": "Suspended"}]},
                {"bucket": True},
            ),
        ],
        "configuration": {"root_module": {"resources": [bucket, versioning]}},
    }
    judged = verdicts(plan_findings(Plan(data)))
    assert judged[("s3_bucket_versioning_enabled", "aws_s3_bucket.logs[0]")] == "pass"
    assert judged[("s3_bucket_versioning_enabled", "aws_s3_bucket.logs[1]")] == "fail"
