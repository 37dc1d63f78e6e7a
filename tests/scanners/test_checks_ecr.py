"""ECR checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

SCAN = "ecr_repository_scan_on_push"
IMMUTABLE = "ecr_repository_tags_immutable"
BASIC = {"scan_type": "BASIC", "rules": []}


def enhanced(*filters: str, frequency: str = "CONTINUOUS_SCAN") -> dict:
    return {"scan_type": "ENHANCED", "rules": [{"frequency": frequency, "filters": list(filters)}]}


def repository(name: str = "payments/api", **changes) -> dict:
    settings = {
        "repository_name": name,
        "scan_on_push": False,
        "tag_mutability": "IMMUTABLE",
        "tag_mutability_exclusions": [],
        "registry_scanning": BASIC,
    }
    return doc("aws.ecr.repository", name=name, **{**settings, **changes})


CASES = [
    Case(SCAN, Status.PASS, repository(scan_on_push=True), "basic scan on push", reason="scanned on push"),
    Case(
        SCAN,
        Status.PASS,
        repository(registry_scanning=enhanced("payments/*")),
        "enhanced rule matches a prefix",
        reason="enhanced scanning (CONTINUOUS_SCAN)",
    ),
    Case(
        SCAN,
        Status.PASS,
        repository(
            registry_scanning={"scan_type": "BASIC", "rules": [{"frequency": "SCAN_ON_PUSH", "filters": ["*"]}]}
        ),
        "basic registry rule",
        reason="registry rule",
    ),
    Case(SCAN, Status.FAIL, repository(), "never scanned", reason="never scanned"),
    Case(
        SCAN,
        Status.FAIL,
        repository(scan_on_push=True, registry_scanning=enhanced("billing-*")),
        "enhanced rules miss it; its own flag no longer counts",
        reason="no registry rule covers",
    ),
    Case(
        SCAN,
        Status.FAIL,
        repository(registry_scanning=enhanced("*", frequency="MANUAL")),
        "enhanced rule only manual",
        reason="no registry rule covers",
    ),
    Case(
        SCAN,
        Status.ERROR,
        failed_read(repository(scan_on_push=True), "registry_scanning"),
        "registry setting unreadable",
        reason="registry scanning could not be read",
    ),
    Case(
        SCAN,
        Status.ERROR,
        repository(registry_scanning={"rules": []}),
        "scan type missing",
        reason="scan type is unknown",
    ),
    Case(IMMUTABLE, Status.PASS, repository(), "immutable", reason="cannot be overwritten"),
    Case(
        IMMUTABLE,
        Status.PASS,
        repository(tag_mutability="IMMUTABLE_WITH_EXCLUSION", tag_mutability_exclusions=["latest"]),
        "immutable but for latest",
        reason="except those matching latest",
    ),
    Case(IMMUTABLE, Status.FAIL, repository(tag_mutability="MUTABLE"), "mutable", reason="can be moved"),
    Case(IMMUTABLE, Status.ERROR, without(repository(), "tag_mutability"), "not collected"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_ecr_check(case):
    assert_case(case)
