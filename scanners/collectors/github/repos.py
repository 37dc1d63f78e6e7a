"""A GitHub organisation's repositories: default-branch protection, secret scanning, Dependabot alerts.

The organisation's open critical Dependabot alerts are read once and handed to each repository; when that
listing fails, every repository's alert check reports the error. Archived repositories are listed but not
read further: nothing can be pushed to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from scanners.collectors.base import CollectionError, ResourceDoc, SubReads, collected, document, service_group
from scanners.github import GitHubClient

REPOSITORY = "github.repository"
SECURITY_SETTINGS_HIDDEN = (
    "GitHub shows security_and_analysis only to repository admins (an App or fine-grained token with "
    "Administration: read)"
)


@dataclass(frozen=True)
class Listing:
    """The organisation's repositories and open critical Dependabot alerts, read before any repository."""

    repos: list[dict]
    critical_alerts: dict[str, list[dict]]
    alert_errors: dict[str, str]
    collected_at: datetime


@service_group(name="github_repos", resource_types=(REPOSITORY,), is_global=True, provider="github")
def collect(client: GitHubClient, region: str) -> Iterator[ResourceDoc | CollectionError]:
    """The listing is read whole first (a failure is an error for every repository); then each repository is
    read and yielded in turn, its failed reads kept in its document, so a large organisation's unit renews
    its lease as it goes."""
    for listed in collected((REPOSITORY,), region, lambda: [organisation_listing(client)]):
        if isinstance(listed, CollectionError):
            yield listed
            return
        for repo in listed.repos:
            yield repository(client, repo, listed, region)


def organisation_listing(client: GitHubClient) -> Listing:
    repos = client.pages(f"/orgs/{client.org}/repos", type="all")
    alerts = SubReads()
    critical = alerts("critical_dependabot_alerts", lambda: critical_alerts_by_repository(client))
    return Listing(repos, critical or {}, alerts.errors, datetime.now(UTC))


def critical_alerts_by_repository(client: GitHubClient) -> dict[str, list[dict]]:
    alerts = client.pages(f"/orgs/{client.org}/dependabot/alerts", state="open", severity="critical")
    by_repository: dict[str, list[dict]] = defaultdict(list)
    for alert in alerts:
        by_repository[alert["repository"]["full_name"]].append(alert_summary(alert))
    return by_repository


def alert_summary(alert: dict) -> dict:
    advisory = alert.get("security_advisory") or {}
    package = ((alert.get("dependency") or {}).get("package") or {}).get("name")
    return {
        "number": alert.get("number"),
        "advisory": advisory.get("cve_id") or advisory.get("ghsa_id"),
        "package": package,
        "created_at": alert.get("created_at"),
    }


def repository(client: GitHubClient, repo: dict, listed: Listing, region: str) -> ResourceDoc:
    full_name = repo["full_name"]
    reads = SubReads()
    config = {
        "archived": repo.get("archived"),
        "visibility": repo.get("visibility"),
        "default_branch": repo.get("default_branch"),
        "collected_at": listed.collected_at,
    }
    if not repo.get("archived"):
        path = f"/repos/{full_name}"
        branch = quote(repo.get("default_branch") or "", safe="")
        protection = reads(
            "default_branch_protection",
            lambda: client.get_or_none(f"{path}/branches/{branch}/protection", absent_message="Branch not protected"),
        )
        security = repo.get("security_and_analysis")
        if security is None:
            reads.failed("secret_scanning", reason=SECURITY_SETTINGS_HIDDEN)
        for name, message in listed.alert_errors.items():
            reads.failed(name, reason=message)
        config |= {
            "default_branch_protection": protection,
            "secret_scanning": ((security or {}).get("secret_scanning") or {}).get("status"),
            "vulnerability_alerts": reads(
                "vulnerability_alerts", lambda: client.exists(f"{path}/vulnerability-alerts")
            ),
            "critical_dependabot_alerts": None if listed.alert_errors else listed.critical_alerts.get(full_name, []),
        }
    return document(
        uid=f"github:{full_name}",
        type=REPOSITORY,
        region=region,
        name=full_name,
        config={**config, "errors": reads.errors},
    )
