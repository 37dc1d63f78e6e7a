"""CloudTrail checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without


def trail(name="org-audit", **overrides) -> dict:
    summary = {
        "name": name,
        "home_region": "eu-west-1",
        "multi_region": True,
        "logging": True,
        "log_file_validation": True,
        "s3_bucket": "audit-logs",
        "cloudwatch_log_group": None,
        "errors": {},
    }
    return {**summary, **overrides}


def region(*trails) -> dict:
    return doc("aws.cloudtrail.region", trails=list(trails))


def trail_doc(**overrides) -> dict:
    return doc("aws.cloudtrail.trail", **trail(**overrides))


STATUS_DENIED = {"logging": "access denied: GetTrailStatus: AccessDenied"}

CASES = [
    Case("cloudtrail_multi_region_trail", Status.PASS, region(trail()), "one good trail", reason="org-audit"),
    Case(
        "cloudtrail_multi_region_trail",
        Status.PASS,
        region(trail("local", multi_region=False), trail()),
        "a local trail next to a good multi-region one",
    ),
    Case("cloudtrail_multi_region_trail", Status.FAIL, region(), "no trail at all", reason="no trail"),
    Case(
        "cloudtrail_multi_region_trail",
        Status.FAIL,
        region(trail("local", multi_region=False), trail("quiet", logging=False, log_file_validation=False)),
        "single-region and stopped trails",
        reason="quiet (not logging, no log file validation)",
    ),
    Case(
        "cloudtrail_multi_region_trail",
        Status.ERROR,
        region(trail(logging=None, errors=STATUS_DENIED)),
        "status of the only candidate unreadable",
        reason="GetTrailStatus",
    ),
    Case("cloudtrail_multi_region_trail", Status.ERROR, failed_read(region(trail()), "trails"), "trails unreadable"),
    Case("cloudtrail_trail_log_file_validation", Status.PASS, trail_doc(), "validation on"),
    Case("cloudtrail_trail_log_file_validation", Status.FAIL, trail_doc(log_file_validation=False), "off"),
    Case(
        "cloudtrail_trail_log_file_validation",
        Status.ERROR,
        without(trail_doc(), "log_file_validation"),
        "unknown",
    ),
    Case("cloudtrail_trail_logging", Status.PASS, trail_doc(), "logging"),
    Case("cloudtrail_trail_logging", Status.FAIL, trail_doc(logging=False), "stopped"),
    Case(
        "cloudtrail_trail_logging",
        Status.ERROR,
        trail_doc(logging=None, errors=STATUS_DENIED),
        "status unreadable",
        reason="access denied",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cloudtrail_check(case):
    assert_case(case)
