"""GitHub organisation checks on plain documents."""

import pytest

import scanners.checks.github  # noqa: F401  (registers the checks)
from scanners.checks.base import REGISTRY, Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

TWO_FACTOR = "github_org_requires_two_factor"
OWNERS = "github_org_few_owners"


def organization(two_factor=True, owners=("alice", "bob")) -> dict:
    return doc("github.organization", name="acme", two_factor_requirement_enabled=two_factor, owners=list(owners))


HIDDEN = "GitHub shows it only to organisation owners"

CASES = [
    Case(TWO_FACTOR, Status.PASS, organization(), "required", reason="required of every member"),
    Case(TWO_FACTOR, Status.FAIL, organization(two_factor=False), "not required", reason="does not require"),
    Case(
        TWO_FACTOR,
        Status.ERROR,
        failed_read(organization(), "two_factor_requirement_enabled", HIDDEN),
        "hidden from a non-owner",
        reason="only to organisation owners",
    ),
    Case(TWO_FACTOR, Status.ERROR, organization(two_factor=None), "unknown", reason="is unknown"),
    Case(TWO_FACTOR, Status.ERROR, organization(two_factor="yes"), "not a boolean", reason="not a yes or no"),
    Case(OWNERS, Status.PASS, organization(), "two owners", reason="2 owners: alice, bob"),
    Case(OWNERS, Status.PASS, organization(owners=("a", "b", "c")), "three owners, the limit", reason="3 owners"),
    Case(
        OWNERS,
        Status.FAIL,
        organization(owners=("a", "b", "c", "d")),
        "four owners",
        reason="4 owners, more than 3: a, b, c, d",
    ),
    Case(OWNERS, Status.ERROR, failed_read(organization(), "owners"), "members unreadable", reason="access denied"),
    Case(OWNERS, Status.ERROR, without(organization(), "owners"), "never read", reason="owners was not collected"),
    Case(OWNERS, Status.ERROR, organization(owners=()), "nobody listed", reason="cannot see the organisation's"),
    Case(
        OWNERS,
        Status.FAIL,
        organization(owners=("a", "b")),
        "an account allowing one owner",
        reason="2 owners, more than 1",
        settings={"max_owners": 1},
    ),
]


def test_three_owners_are_allowed_by_default():
    assert REGISTRY[OWNERS].settings["max_owners"].default == 3


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_github_org_check(case):
    assert_case(case)
