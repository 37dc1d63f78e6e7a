"""GitHub repositories: protected default branches, secret scanning, Dependabot alerts dealt with in time.

Archived repositories are read-only: nothing can be pushed or merged, so the checks do not apply.
"""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, Setting, check, field, listed, none_open_too_long, timestamp

REPOSITORY = "github.repository"
VULNERABILITIES = ("iso27001-2022:A.8.8", "iso27001-2013:A.12.6.1", "soc2-2017:CC7.1")


def archived(repo: dict) -> bool:
    value = field(repo, "archived")
    if not isinstance(value, bool):
        raise MissingData(f"archived is not a yes or no: {value!r}")
    return value


def enabled(protection: dict, key: str) -> bool:
    """A protection toggle GitHub reports as {"enabled": bool}; missing means the answer was not understood."""
    value = (protection.get(key) or {}).get("enabled")
    if not isinstance(value, bool):
        raise MissingData(f"the branch protection answer has no {key.replace('_', ' ')} setting")
    return value


def protection_gaps(protection: dict, required_reviews: int) -> list[str]:
    gaps = []
    reviews = protection.get("required_pull_request_reviews")
    if not reviews:
        gaps.append("pull requests not required")
    elif reviews.get("required_approving_review_count", 0) < required_reviews:
        gaps.append(
            f"{reviews.get('required_approving_review_count', 0)} approving reviews required, not {required_reviews}"
        )
    checks = protection.get("required_status_checks")
    if not checks:
        gaps.append("no status checks required")
    elif not (checks.get("contexts") or checks.get("checks")):
        gaps.append("status checks required but none named")
    if enabled(protection, "allow_force_pushes"):
        gaps.append("force pushes allowed")
    if not enabled(protection, "enforce_admins"):
        gaps.append("administrators exempt")
    return gaps


@check(
    id="github_repo_default_branch_protected",
    title="Repository default branches are protected: reviews, status checks, no force pushes, admins included",
    resource=REPOSITORY,
    severity="high",
    controls=(
        "iso27001-2022:A.8.4",
        "iso27001-2022:A.8.32",
        "iso27001-2022:A.8.28",
        "iso27001-2013:A.9.4.5",
        "iso27001-2013:A.14.2.2",
        "soc2-2017:CC8.1",
    ),
    remediation="""Protect the default branch (Settings > Branches > Add rule): require a pull request with
    at least the set number of approving reviews, require the CI status checks to pass, leave force pushes
    off, and tick "Do not allow bypassing the above settings" so administrators are held to it too. Rules
    that apply to every repository are easiest to keep as an organisation ruleset.""",
    settings={"required_approving_reviews": Setting(1, "Approving reviews a pull request needs before it merges")},
)
def default_branch_protected(repo: dict, settings: dict) -> Result:
    if archived(repo):
        return Result.not_applicable("archived: nothing can be pushed to it")
    branch = field(repo, "default_branch")
    protection = field(repo, "default_branch_protection", allow_none=True)
    if protection is None:
        return Result.failed(f"the default branch {branch} is not protected")
    gaps = protection_gaps(protection, settings["required_approving_reviews"])
    if gaps:
        return Result.failed(f"{branch}: {listed(gaps)}")
    return Result.passed(f"{branch} needs reviewed pull requests and passing checks, for administrators too")


@check(
    id="github_repo_secret_scanning_enabled",
    title="Secret scanning is enabled on every repository",
    resource=REPOSITORY,
    severity="high",
    controls=("iso27001-2022:A.8.28", "iso27001-2022:A.8.25", "iso27001-2013:A.14.2.1", "soc2-2017:CC7.1"),
    remediation="""Enable secret scanning, and push protection, for the repository (Settings > Code security),
    or for every repository at once with the organisation's security configuration. Private repositories
    need GitHub Secret Protection (Advanced Security).""",
)
def secret_scanning_enabled(repo: dict) -> Result:
    if archived(repo):
        return Result.not_applicable("archived: nothing can be pushed to it")
    status = field(repo, "secret_scanning")
    if status == "enabled":
        return Result.passed("secret scanning is enabled")
    return Result.failed(f"secret scanning is {status}")


@check(
    id="github_repo_dependabot_alerts_enabled",
    title="Dependabot alerts are enabled on every repository",
    resource=REPOSITORY,
    severity="high",
    controls=(*VULNERABILITIES, "iso27001-2022:A.8.28"),
    remediation="""Enable Dependabot alerts for the repository (Settings > Code security > Dependabot alerts),
    or for every repository with the organisation's security configuration, so known vulnerable dependencies
    are reported.""",
)
def dependabot_alerts_enabled(repo: dict) -> Result:
    if archived(repo):
        return Result.not_applicable("archived: GitHub raises no alerts on it")
    if field(repo, "vulnerability_alerts") is True:
        return Result.passed("Dependabot alerts are enabled")
    return Result.failed("Dependabot alerts are disabled")


@check(
    id="github_repo_no_old_critical_dependabot_alerts",
    title="No critical Dependabot alert stays open beyond the patch window",
    resource=REPOSITORY,
    severity="high",
    controls=VULNERABILITIES,
    remediation="""Upgrade the vulnerable dependency (Dependabot's security update opens the pull request), or
    dismiss the alert with the reason it does not apply and record the risk acceptance as an exemption;
    critical vulnerabilities should be fixed within the patch window your vulnerability policy sets.""",
    settings={
        "max_age_days": Setting(30, "Days an open critical Dependabot alert may stay open before it is a failure")
    },
)
def no_old_critical_dependabot_alerts(repo: dict, settings: dict) -> Result:
    if archived(repo):
        return Result.not_applicable("archived: GitHub raises no alerts on it")
    if field(repo, "vulnerability_alerts") is not True:
        return Result.not_applicable("Dependabot alerts are disabled, so there are no alerts to judge")
    return none_open_too_long(
        field(repo, "critical_dependabot_alerts"),
        now=timestamp(field(repo, "collected_at"), "collection time"),
        max_age_days=settings["max_age_days"],
        opened_at=lambda alert: timestamp(alert.get("created_at"), f"opening of alert {alert.get('number')}"),
        describe=lambda alert: f"{alert.get('advisory')} in {alert.get('package')}",
        what="critical Dependabot alerts",
    )
