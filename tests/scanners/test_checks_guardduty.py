"""GuardDuty checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, without


def region(*detectors: dict) -> dict:
    return doc("aws.guardduty.region", name="GuardDuty in eu-west-1", detectors=list(detectors))


def detector(status="ENABLED", malware="ENABLED") -> dict:
    return {"id": "d-1", "status": status, "features": {}, "malware_protection": malware}


WATCHED = region(detector())
NONE = region()
SUSPENDED = region(detector(status="DISABLED"))

CASES = [
    Case("guardduty_enabled", Status.PASS, WATCHED, "detector enabled", reason="d-1"),
    Case("guardduty_enabled", Status.FAIL, NONE, "no detector", reason="GuardDuty not enabled"),
    Case("guardduty_enabled", Status.FAIL, SUSPENDED, "detector suspended", reason="suspended"),
    Case("guardduty_enabled", Status.ERROR, region(detector(status=None)), "status not reported"),
    Case("guardduty_enabled", Status.ERROR, without(WATCHED, "detectors"), "detectors never read"),
    Case("guardduty_malware_protection", Status.PASS, WATCHED, "malware scanning on"),
    Case("guardduty_malware_protection", Status.FAIL, region(detector(malware="DISABLED")), "feature off"),
    Case("guardduty_malware_protection", Status.FAIL, NONE, "no GuardDuty at all", reason="not enabled"),
    Case("guardduty_malware_protection", Status.FAIL, SUSPENDED, "GuardDuty suspended", reason="not enabled"),
    Case(
        "guardduty_malware_protection",
        Status.ERROR,
        region(detector(malware=None)),
        "the answer says nothing about malware protection",
        reason="did not report",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_guardduty_check(case):
    assert_case(case)
