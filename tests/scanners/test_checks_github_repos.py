"""GitHub repository checks on plain documents."""

import pytest

import scanners.checks.github  # noqa: F401  (registers the checks)
from scanners.checks.base import REGISTRY, Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read
from tests.scanners.local_github import protection

PROTECTED = "github_repo_default_branch_protected"
SECRET_SCANNING = "github_repo_secret_scanning_enabled"
ALERTS_ON = "github_repo_dependabot_alerts_enabled"
OLD_ALERTS = "github_repo_no_old_critical_dependabot_alerts"
NOW = "2026-06-30T12:00:00+00:00"
FRESH = {"number": 1, "advisory": "CVE-2026-1000", "package": "parserlib", "created_at": "2026-06-20T08:00:00Z"}
STALE = {"number": 2, "advisory": "CVE-2026-0001", "package": "yamlish", "created_at": "2026-05-01T08:00:00Z"}


def repo(*, branch_protection=None, secret_scanning="enabled", alerts_on=True, alerts=(), **changes) -> dict:
    config = {
        "archived": False,
        "visibility": "private",
        "default_branch": "main",
        "collected_at": NOW,
        "default_branch_protection": protection() if branch_protection is None else branch_protection,
        "secret_scanning": secret_scanning,
        "vulnerability_alerts": alerts_on,
        "critical_dependabot_alerts": list(alerts),
    }
    return doc("github.repository", name="acme/api", **{**config, **changes})


def archived_repo() -> dict:
    """As the collector writes an archived repository: listed, not read further."""
    return doc("github.repository", name="acme/old", archived=True, visibility="private", default_branch="main")


UNPROTECTED = repo(default_branch_protection=None)

CASES = [
    Case(PROTECTED, Status.PASS, repo(), "reviews, checks, no force push, admins", reason="main needs reviewed"),
    Case(PROTECTED, Status.FAIL, UNPROTECTED, "not protected", reason="default branch main is not protected"),
    Case(
        PROTECTED,
        Status.FAIL,
        repo(branch_protection=protection(reviews=None, status_checks=(), force_pushes=True, enforce_admins=False)),
        "protected in name only",
        reason="pull requests not required, no status checks required, force pushes allowed, administrators exempt",
    ),
    Case(
        PROTECTED,
        Status.FAIL,
        repo(branch_protection=protection(reviews=0)),
        "pull requests without approval",
        reason="0 approving reviews required, not 1",
    ),
    Case(
        PROTECTED,
        Status.FAIL,
        repo(
            branch_protection={**protection(), "required_status_checks": {"strict": True, "contexts": [], "checks": []}}
        ),
        "status checks on, none named",
        reason="none named",
    ),
    Case(
        PROTECTED,
        Status.FAIL,
        repo(branch_protection=protection(reviews=1)),
        "an account asking for two reviews",
        reason="1 approving reviews required, not 2",
        settings={"required_approving_reviews": 2},
    ),
    Case(PROTECTED, Status.NOT_APPLICABLE, archived_repo(), "archived", reason="archived"),
    Case(
        PROTECTED,
        Status.ERROR,
        failed_read(repo(), "default_branch_protection"),
        "protection unreadable",
        reason="default branch protection could not be read",
    ),
    Case(
        PROTECTED,
        Status.ERROR,
        repo(branch_protection={k: v for k, v in protection().items() if k != "enforce_admins"}),
        "answer without the admin setting",
        reason="no enforce admins setting",
    ),
    Case(SECRET_SCANNING, Status.PASS, repo(), "enabled", reason="secret scanning is enabled"),
    Case(SECRET_SCANNING, Status.FAIL, repo(secret_scanning="disabled"), "disabled", reason="is disabled"),
    Case(SECRET_SCANNING, Status.NOT_APPLICABLE, archived_repo(), "archived", reason="archived"),
    Case(
        SECRET_SCANNING,
        Status.ERROR,
        failed_read(repo(), "secret_scanning", "GitHub shows security_and_analysis only to repository admins"),
        "settings hidden from a non-admin",
        reason="only to repository admins",
    ),
    Case(ALERTS_ON, Status.PASS, repo(), "enabled", reason="alerts are enabled"),
    Case(ALERTS_ON, Status.FAIL, repo(alerts_on=False), "disabled", reason="alerts are disabled"),
    Case(ALERTS_ON, Status.NOT_APPLICABLE, archived_repo(), "archived", reason="archived"),
    Case(ALERTS_ON, Status.ERROR, failed_read(repo(), "vulnerability_alerts"), "unreadable", reason="access denied"),
    Case(OLD_ALERTS, Status.PASS, repo(), "no alert", reason="no critical Dependabot alerts"),
    Case(OLD_ALERTS, Status.PASS, repo(alerts=[FRESH]), "a fresh one", reason="all younger than 30 days"),
    Case(
        OLD_ALERTS,
        Status.FAIL,
        repo(alerts=[FRESH, STALE]),
        "one open for 60 days",
        reason="CVE-2026-0001 in yamlish (60 days)",
    ),
    Case(
        OLD_ALERTS,
        Status.FAIL,
        repo(alerts=[FRESH]),
        "10 days with a 7-day limit",
        reason="more than 7 days",
        settings={"max_age_days": 7},
    ),
    Case(OLD_ALERTS, Status.NOT_APPLICABLE, repo(alerts_on=False), "alerts off", reason="no alerts to judge"),
    Case(OLD_ALERTS, Status.NOT_APPLICABLE, archived_repo(), "archived", reason="archived"),
    Case(
        OLD_ALERTS,
        Status.ERROR,
        failed_read(repo(), "critical_dependabot_alerts"),
        "organisation's alerts unreadable",
        reason="critical dependabot alerts could not be read",
    ),
    Case(
        OLD_ALERTS,
        Status.ERROR,
        repo(alerts=[{**FRESH, "created_at": None}]),
        "alert without an opening time",
        reason="opening of alert 1 is unknown",
    ),
]


def test_defaults_one_approving_review_and_thirty_days():
    assert REGISTRY[PROTECTED].settings["required_approving_reviews"].default == 1
    assert REGISTRY[OLD_ALERTS].settings["max_age_days"].default == 30


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_github_repos_check(case):
    assert_case(case)
