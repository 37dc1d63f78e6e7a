"""AWS Backup checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

DAILY = {"plan_id": "p1", "name": "daily", "rules": [{"name": "d", "schedule": "cron(0 3 * * ? *)", "vault": "v"}]}
UNSCHEDULED = {"plan_id": "p2", "name": "manual", "rules": [{"name": "m", "schedule": None, "vault": "v"}]}
PROTECTED = {"count": 3, "by_type": {"EBS": 2, "RDS": 1}}


def region(plans=(DAILY,), protected=PROTECTED) -> dict:
    return doc("aws.backup.region", plans=list(plans), protected_resources=protected)


NOT_IMPLEMENTED = "not implemented by the endpoint: ListProtectedResources answered HTTP 404"

CASES = [
    Case("backup_plan_in_region", Status.PASS, region(), "daily plan", reason="daily"),
    Case("backup_plan_in_region", Status.FAIL, region(plans=()), "no plan", reason="no backup plan"),
    Case("backup_plan_in_region", Status.FAIL, region(plans=[UNSCHEDULED]), "plan without schedule"),
    Case("backup_plan_in_region", Status.ERROR, failed_read(region(), "plans"), "plans unreadable"),
    Case("backup_resources_protected", Status.PASS, region(), "three resources", reason="2 EBS"),
    Case("backup_resources_protected", Status.FAIL, region(protected={"count": 0, "by_type": {}}), "nothing"),
    Case(
        "backup_resources_protected",
        Status.ERROR,
        failed_read(region(), "protected_resources", NOT_IMPLEMENTED),
        "the endpoint does not know the call",
        reason="not implemented",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_backup_check(case):
    assert_case(case)
