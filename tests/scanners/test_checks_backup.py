"""AWS Backup checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read


def rule(name="nightly", *, schedule="cron(0 3 * * ? *)", delete_after_days=35, copies=()) -> dict:
    return {
        "name": name,
        "schedule": schedule,
        "vault": "primary",
        "delete_after_days": delete_after_days,
        "copies": [
            {"vault": "arn:aws:backup:us-east-1:1:backup-vault:dr", "delete_after_days": days} for days in copies
        ],
    }


def plan(name="daily", *rules: dict) -> dict:
    return {"plan_id": f"id-{name}", "name": name, "rules": list(rules or [rule()]), "error": None}


DAILY = plan("daily", rule(copies=[35]))
UNSCHEDULED = plan("manual", rule("adhoc", schedule=None))
UNREADABLE = {"plan_id": "id-x", "name": "legacy", "rules": None, "error": "access denied: GetBackupPlan"}
PROTECTED = {"count": 3, "by_type": {"EBS": 2, "RDS": 1}}


def region(plans=(DAILY,), protected=PROTECTED) -> dict:
    return doc("aws.backup.region", plans=list(plans), protected_resources=protected)


def plan_doc(*rules: dict) -> dict:
    return doc("aws.backup.plan", name="daily", plan_id="id-daily", rules=list(rules or [rule()]))


NOT_IMPLEMENTED = "not implemented by the endpoint: ListProtectedResources answered HTTP 404"

CASES = [
    Case("backup_plan_in_region", Status.PASS, region(), "daily plan", reason="daily"),
    Case("backup_plan_in_region", Status.FAIL, region(plans=()), "no plan", reason="no backup plan"),
    Case("backup_plan_in_region", Status.FAIL, region(plans=[UNSCHEDULED]), "plan without schedule"),
    Case("backup_plan_in_region", Status.ERROR, failed_read(region(), "plans"), "plans unreadable"),
    Case("backup_plan_in_region", Status.PASS, region(plans=[UNREADABLE, DAILY]), "one readable scheduled plan"),
    Case(
        "backup_plan_in_region",
        Status.ERROR,
        region(plans=[UNSCHEDULED, UNREADABLE]),
        "the only plan that might be scheduled could not be read",
        reason="legacy (access denied: GetBackupPlan)",
    ),
    Case("backup_resources_protected", Status.PASS, region(), "three resources", reason="2 EBS"),
    Case("backup_resources_protected", Status.FAIL, region(protected={"count": 0, "by_type": {}}), "nothing"),
    Case(
        "backup_resources_protected",
        Status.ERROR,
        failed_read(region(), "protected_resources", NOT_IMPLEMENTED),
        "the endpoint does not know the call",
        reason="not implemented",
    ),
    Case("backup_plan_deletes_after_retention", Status.PASS, plan_doc(rule(copies=[35])), "35 days, copies too"),
    Case(
        "backup_plan_deletes_after_retention",
        Status.PASS,
        plan_doc(rule(), rule("yearly", delete_after_days=2555)),
        "35 days and seven years",
        reason="within 2555 days",
    ),
    Case(
        "backup_plan_deletes_after_retention",
        Status.FAIL,
        plan_doc(rule(), rule("monthly", delete_after_days=None)),
        "a rule without a lifecycle",
        reason="rule monthly keeps recovery points forever",
    ),
    Case(
        "backup_plan_deletes_after_retention",
        Status.FAIL,
        plan_doc(rule(copies=[None])),
        "a copy to another vault kept forever",
        reason="rule nightly copy to arn:aws:backup:us-east-1:1:backup-vault:dr keeps recovery points forever",
    ),
    Case(
        "backup_plan_deletes_after_retention",
        Status.FAIL,
        plan_doc(rule(delete_after_days=3650)),
        "ten years, beyond the seven-year default",
        reason="3650 days, more than 2555",
    ),
    Case(
        "backup_plan_deletes_after_retention",
        Status.PASS,
        plan_doc(rule(delete_after_days=3650)),
        "ten years where the account sets no limit",
        reason="after a retention",
        settings={"max_retention_days": 0},
    ),
    Case(
        "backup_plan_deletes_after_retention",
        Status.ERROR,
        failed_read(plan_doc(), "rules", "access denied: GetBackupPlan: AccessDeniedException"),
        "the plan's rules could not be read",
        reason="rules could not be read",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_backup_check(case):
    assert_case(case)
