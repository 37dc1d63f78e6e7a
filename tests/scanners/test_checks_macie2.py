"""Amazon Macie checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

ENABLED = "macie2_enabled"
RECURRING = "macie2_recurring_classification_job"


def job(name: str, type: str = "SCHEDULED", status: str | None = "IDLE") -> dict:
    return {"id": f"id-{name}", "name": name, "type": type, "status": status}


WEEKLY = job("weekly-pii")


def region(status: str = "ENABLED", jobs=(WEEKLY,)) -> dict:
    return doc("aws.macie2.region", macie_status=status, classification_jobs=list(jobs))


CASES = [
    Case(ENABLED, Status.PASS, region(), "enabled", reason="Macie is enabled"),
    Case(ENABLED, Status.FAIL, region("PAUSED"), "suspended", reason="PAUSED"),
    Case(ENABLED, Status.FAIL, region("NOT_ENABLED", []), "never enabled", reason="not enabled"),
    Case(ENABLED, Status.ERROR, region(None), "status unknown", reason="macie status is unknown"),
    Case(ENABLED, Status.ERROR, region("SLEEPING"), "undocumented status", reason="'SLEEPING'"),
    Case(RECURRING, Status.PASS, region(), "weekly job between runs", reason="weekly-pii runs on schedule"),
    Case(
        RECURRING,
        Status.PASS,
        region(jobs=[job("audit-2025", "ONE_TIME", "COMPLETE"), job("daily-pii", status="RUNNING")]),
        "a run in progress",
        reason="daily-pii",
    ),
    Case(
        RECURRING,
        Status.FAIL,
        region(jobs=[job("weekly-pii", status="USER_PAUSED"), job("monthly", status="CANCELLED")]),
        "paused and cancelled",
        reason="weekly-pii (USER_PAUSED), monthly (CANCELLED)",
    ),
    Case(
        RECURRING,
        Status.FAIL,
        region(jobs=[job("audit-2025", "ONE_TIME", "COMPLETE")]),
        "one-time job only",
        reason="1 one-time jobs only",
    ),
    Case(RECURRING, Status.FAIL, region(jobs=[]), "no job", reason="no classification job"),
    Case(RECURRING, Status.FAIL, region("NOT_ENABLED", []), "Macie off", reason="not enabled"),
    Case(RECURRING, Status.FAIL, region("PAUSED"), "Macie suspended", reason="do not run"),
    Case(
        RECURRING,
        Status.ERROR,
        failed_read(region(), "classification_jobs"),
        "jobs unreadable",
        reason="classification jobs could not be read",
    ),
    Case(RECURRING, Status.ERROR, region(jobs=[job("weekly-pii", status=None)]), "job status unknown", reason="status"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_macie2_check(case):
    assert_case(case)
