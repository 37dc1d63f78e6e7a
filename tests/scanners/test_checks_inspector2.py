"""Amazon Inspector checks on plain documents."""

import pytest

from scanners.checks.base import REGISTRY, Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

ENABLED = "inspector2_enabled"
OLD_FINDINGS = "inspector2_no_old_critical_findings"
ALL_ON = {"ec2": "ENABLED", "ecr": "ENABLED", "lambda": "ENABLED", "lambdaCode": "DISABLED"}
ALL_OFF = {"ec2": "DISABLED", "ecr": "DISABLED", "lambda": "DISABLED", "lambdaCode": "DISABLED"}
NOW = "2026-06-30T12:00:00+00:00"


def finding(title: str, first_observed: str) -> dict:
    return {"arn": f"arn:{title}", "title": title, "first_observed": first_observed, "resources": ["i-0abc"]}


def region(status=ALL_ON, findings=()) -> dict:
    return doc("aws.inspector2.region", account_status=status, critical_findings=list(findings), collected_at=NOW)


FRESH = finding("CVE-2026-1000 - openssl", "2026-06-20T08:00:00+00:00")  # 10 days before NOW
STALE = finding("CVE-2026-0001 - glibc", "2026-05-01T08:00:00+00:00")  # 60 days before NOW

CASES = [
    Case(ENABLED, Status.PASS, region(), "all three scanned", reason="scans EC2, ECR and Lambda"),
    Case(
        ENABLED,
        Status.FAIL,
        region({**ALL_ON, "lambda": "DISABLED", "ecr": "SUSPENDED"}),
        "Lambda off, ECR suspended",
        reason="does not scan ECR (SUSPENDED), Lambda (DISABLED)",
    ),
    Case(ENABLED, Status.FAIL, region(ALL_OFF), "never activated", reason="EC2 (DISABLED)"),
    Case(ENABLED, Status.ERROR, failed_read(region(), "account_status"), "status unreadable", reason="access denied"),
    Case(ENABLED, Status.ERROR, region({"ec2": "ENABLED"}), "ECR state absent", reason="ECR scanning state"),
    Case(OLD_FINDINGS, Status.PASS, region(), "no critical finding", reason="no active critical finding"),
    Case(OLD_FINDINGS, Status.PASS, region(findings=[FRESH]), "a fresh one", reason="all younger than 30 days"),
    Case(
        OLD_FINDINGS,
        Status.FAIL,
        region(findings=[FRESH, STALE]),
        "one open for 60 days",
        reason="CVE-2026-0001 - glibc on i-0abc (60 days)",
    ),
    Case(OLD_FINDINGS, Status.NOT_APPLICABLE, region(ALL_OFF), "Inspector off", reason="scans nothing"),
    Case(
        OLD_FINDINGS,
        Status.ERROR,
        failed_read(region(), "critical_findings"),
        "findings unreadable",
        reason="critical findings could not be read",
    ),
    Case(
        OLD_FINDINGS,
        Status.ERROR,
        region(findings=[finding("CVE-x", None)]),
        "finding without a first sighting",
        reason="first sighting of CVE-x is unknown",
    ),
]


def test_the_age_limit_is_a_setting_of_30_days_by_default():
    assert REGISTRY[OLD_FINDINGS].settings["max_age_days"].default == 30


def test_an_account_may_shorten_the_age_limit():
    story = "10 days with a 7-day limit"
    result = Case(OLD_FINDINGS, Status.FAIL, region(findings=[FRESH]), story, settings={"max_age_days": 7}).run()
    assert result.status == Status.FAIL and "more than 7 days" in result.reason


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_inspector2_check(case):
    assert_case(case)
