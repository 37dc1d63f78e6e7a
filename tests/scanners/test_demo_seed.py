"""The demo account: once seeded, a scan of every service shows both sides of most checks."""

from collections import defaultdict

import pytest

import scanners.collectors.aws  # noqa: F401  (registers the service groups)
from scanners.aws import ClientFactory
from scanners.checks.base import Status, all_checks
from scanners.collectors.base import SERVICE_GROUPS
from scanners.demo import seed_demo_account
from tests.scanners.documents import Scan, scan

pytestmark = pytest.mark.integration

REGIONS = ("eu-west-1", "us-east-1")
# What moto cannot show both ways: it has no EC2-Classic, no root MFA, no way to age a key, a single
# account-level Block Public Access setting, no ListProtectedResources, and Inspector findings only through
# its own moto-api endpoint. The CloudWatch alarm checks judge one document per account, so one account shows
# each of them one way only. (moto's DescribeKey also omits a pending key's deletion window: that key's
# kms_key_deletion_window is an error, beside the passes and failures of the other keys.) moto has no
# snapshot locks (DescribeLockedSnapshots) and cannot age a snapshot, so the demo's new snapshots are not kept.
ONE_SIDED_IN_MOTO = {
    "ec2_snapshot_locked",
    "inspector2_no_old_critical_findings",
    "ec2_instance_in_vpc",
    "iam_root_mfa_enabled",
    "iam_root_no_access_keys",
    "iam_access_key_rotated",
    "iam_access_key_recently_used",
    "s3_account_block_public_access",
    "cloudtrail_multi_region_trail",
    "backup_resources_protected",
    "cloudwatch_alarm_root_account_use",
    "cloudwatch_alarm_iam_policy_changes",
    "cloudwatch_alarm_cloudtrail_changes",
    "cloudwatch_alarm_console_signin_failures",
    # moto lists no Macie classification jobs and records no CloudFormation drift: errors, never passes.
    "macie2_recurring_classification_job",
    "cloudformation_stack_no_drift",
    # One organization per account; moto has no DNS Firewall, so that check is an error or not applicable.
    "organizations_environments_separated",
    "organizations_production_ou_scp",
    "dnsfirewall_blocks_threat_domains",
}


@pytest.fixture
def demo_scan(aws_emptied_after, monkeypatch) -> Scan:
    monkeypatch.setenv("HTTP_PROXY", aws_emptied_after)  # S3 Control through moto, as MOTO.md describes
    seed_demo_account(regions=REGIONS)
    factory = ClientFactory(max_attempts=2)
    scans = [
        scan(name, regions=REGIONS, factory=factory)
        for name, group in SERVICE_GROUPS.items()
        if group.provider == "aws"
    ]
    return Scan(
        documents=[item for result in scans for item in result.documents],
        errors=[item for result in scans for item in result.errors],
    )


def aws_checks() -> set[str]:
    """The demo is an AWS account; the GitHub source is shown by tests/scanners/test_collectors_github.py."""
    return {item.id for item in all_checks() if item.resource_type.startswith("aws.")}


def test_a_scan_of_the_demo_account_shows_passes_and_failures_for_most_checks(demo_scan):
    seen: dict[str, set[Status]] = defaultdict(set)
    for check_id, _, outcome in demo_scan.all_results():
        seen[check_id].add(outcome.status)

    assert not demo_scan.errors
    assert set(seen) == aws_checks(), "every check has something to judge"
    both_ways = {check_id for check_id, statuses in seen.items() if {Status.PASS, Status.FAIL} <= statuses}
    assert both_ways == aws_checks() - ONE_SIDED_IN_MOTO
    only_errors = {check_id for check_id, statuses in seen.items() if statuses == {Status.ERROR}}
    assert only_errors == {"backup_resources_protected", "cloudformation_stack_no_drift"}


def test_the_demo_tells_its_story_in_both_regions(demo_scan):
    assert demo_scan.status("s3_bucket_policy_not_public", "ct-demo-public-site") == Status.FAIL
    assert demo_scan.status("s3_bucket_encryption_uses_kms", "ct-demo-evidence") == Status.PASS
    assert demo_scan.status("iam_user_console_mfa", "bob") == Status.FAIL
    assert demo_scan.status("rds_instance_not_publicly_accessible", "reports") == Status.FAIL
    assert demo_scan.status("backup_plan_in_region", "AWS Backup in eu-west-1") == Status.PASS
    assert demo_scan.status("backup_plan_in_region", "AWS Backup in us-east-1") == Status.FAIL
    for region in REGIONS:
        assert demo_scan.status("vpc_flow_logs_enabled", "payments", region) == Status.PASS
        assert demo_scan.status("vpc_flow_logs_enabled", "sandbox", region) == Status.FAIL
        assert demo_scan.status("kms_key_rotation_enabled", "alias/ct-demo-legacy", region) == Status.FAIL
    assert demo_scan.status("vpc_default_vpc_removed_or_isolated", "default VPC in eu-west-1") == Status.FAIL
    assert demo_scan.status("vpc_default_vpc_removed_or_isolated", "default VPC in us-east-1") == Status.PASS
    assert demo_scan.status("vpc_time_sync_approved_ntp", "sandbox", "eu-west-1") == Status.FAIL
    assert demo_scan.status("vpc_time_sync_approved_ntp", "sandbox", "us-east-1") == Status.PASS
    assert demo_scan.status("guardduty_malware_protection", "GuardDuty in eu-west-1") == Status.PASS
    assert demo_scan.status("securityhub_enabled", "Security Hub in us-east-1") == Status.FAIL
    assert demo_scan.status("logs_log_group_retention_set", "/ct-demo/debug") == Status.FAIL
    assert demo_scan.status("iam_user_no_active_access_key", "bob") == Status.FAIL
    assert "group ct-demo-admins: AdministratorAccess" in demo_scan.result("iam_user_not_full_admin", "bob").reason
    assert demo_scan.status("s3_bucket_object_lock", "ct-demo-records") == Status.PASS
    assert demo_scan.status("s3_bucket_lifecycle_expiration", "ct-demo-records") == Status.PASS
    assert demo_scan.status("s3_bucket_lifecycle_expiration", "ct-demo-audit-logs") == Status.FAIL
    assert demo_scan.status("kms_key_deletion_window", "alias/ct-demo-evidence", "us-east-1") == Status.PASS
    assert demo_scan.status("backup_plan_deletes_after_retention", "ct-demo-daily") == Status.PASS
    assert demo_scan.status("backup_plan_deletes_after_retention", "ct-demo-weekly") == Status.FAIL
    alarms = "CloudWatch alarms on CloudTrail events"
    assert demo_scan.status("cloudwatch_alarm_root_account_use", alarms) == Status.PASS
    assert "notifies no one" in demo_scan.result("cloudwatch_alarm_cloudtrail_changes", alarms).reason
    assert "count mode" in demo_scan.result("elbv2_alb_waf_blocks_common_attacks", "legacy-portal").reason
    assert demo_scan.status("apigateway_methods_require_authorization", "legacy-api") == Status.FAIL
    assert demo_scan.status("ssm_instance_session_manager_role", "ssm-managed") == Status.PASS
    assert demo_scan.status("ssm_session_manager_logs_sessions", "Session Manager in us-east-1") == Status.FAIL


def test_the_demo_shows_capacity_data_discovery_and_change_control(demo_scan):
    assert demo_scan.status("autoscaling_group_has_scaling_policy", "ct-demo-web") == Status.PASS
    assert demo_scan.status("autoscaling_group_has_headroom", "ct-demo-batch") == Status.FAIL
    assert demo_scan.status("rds_storage_autoscaling_or_alarm", "orders") == Status.PASS
    assert demo_scan.status("rds_storage_autoscaling_or_alarm", "reports") == Status.FAIL
    assert demo_scan.status("macie2_enabled", "Amazon Macie in eu-west-1") == Status.PASS
    assert demo_scan.status("macie2_enabled", "Amazon Macie in us-east-1") == Status.FAIL
    assert demo_scan.status("codepipeline_production_deploy_approved", "ct-demo-storefront") == Status.PASS
    assert demo_scan.status("codepipeline_production_deploy_approved", "ct-demo-reports") == Status.FAIL
    assert demo_scan.status("cloudformation_stack_no_drift", "ct-demo-alerts") == Status.ERROR


def test_the_demo_shows_environment_separation_and_web_filtering(demo_scan):
    organization = next(item.name for item in demo_scan.documents if item.type == "aws.organizations.organization")
    assert demo_scan.status("organizations_environments_separated", organization) == Status.PASS
    assert demo_scan.status("organizations_production_ou_scp", organization) == Status.FAIL
    assert demo_scan.status("vpcpeering_environments_separated", "shop-to-reporting") == Status.PASS
    assert demo_scan.status("vpcpeering_environments_separated", "shop-to-dev") == Status.FAIL
    assert demo_scan.status("dnsfirewall_blocks_threat_domains", "storefront") == Status.ERROR
    assert demo_scan.status("dnsfirewall_blocks_threat_domains", "shop-prod") == Status.NOT_APPLICABLE


def test_seeding_twice_leaves_the_account_as_it_is(aws_emptied_after):
    first = seed_demo_account(regions=REGIONS)
    assert "s3" in first
    assert seed_demo_account(regions=REGIONS) == {}
