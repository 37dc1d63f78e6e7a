"""A GitHub organisation's own settings: whether it requires two-factor authentication, and its owners."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.collectors.base import CollectionError, ResourceDoc, SubReads, collected, document, service_group
from scanners.github import GitHubClient

ORGANIZATION = "github.organization"


@service_group(name="github_org", resource_types=(ORGANIZATION,), is_global=True, provider="github")
def collect(client: GitHubClient, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((ORGANIZATION,), region, lambda: [organization(client, region)])


def organization(client: GitHubClient, region: str) -> ResourceDoc:
    org = client.get(f"/orgs/{client.org}")
    reads = SubReads()
    owners = reads(
        "owners",
        lambda: sorted(member["login"] for member in client.pages(f"/orgs/{client.org}/members", role="admin")),
    )
    if org.get("two_factor_requirement_enabled") is None:
        # GitHub leaves the field out unless the caller is an owner (or an App with organisation administration read).
        reads.failed(
            "two_factor_requirement_enabled",
            reason="GitHub shows it only to organisation owners (token scope admin:org, or an App with "
            "Administration: read on the organisation)",
        )
    return document(
        uid=f"github:{org['login']}",
        type=ORGANIZATION,
        region=region,
        name=org["login"],
        config={
            "two_factor_requirement_enabled": org.get("two_factor_requirement_enabled"),
            "owners": owners,
            "errors": reads.errors,
        },
    )
