"""A GitHub organisation: two-factor authentication required of everyone, and few owners."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, Setting, check, field, listed

ORGANIZATION = "github.organization"


@check(
    id="github_org_requires_two_factor",
    title="The GitHub organisation requires two-factor authentication",
    resource=ORGANIZATION,
    severity="high",
    controls=("iso27001-2022:A.8.5", "iso27001-2013:A.9.4.2", "soc2-2017:CC6.1"),
    remediation="""In the organisation's Settings > Authentication security, tick "Require two-factor
    authentication for everyone"; members and outside collaborators without it are removed, so tell them first.
    With enterprise single sign-on, require it in the identity provider as well.""",
)
def org_requires_two_factor(org: dict) -> Result:
    required = field(org, "two_factor_requirement_enabled")
    if not isinstance(required, bool):
        raise MissingData(f"two-factor requirement is not a yes or no: {required!r}")
    if required:
        return Result.passed("two-factor authentication is required of every member and collaborator")
    return Result.failed("the organisation does not require two-factor authentication")


@check(
    id="github_org_few_owners",
    title="The GitHub organisation has few owners",
    resource=ORGANIZATION,
    severity="medium",
    controls=("iso27001-2022:A.8.2", "iso27001-2013:A.9.2.3", "soc2-2017:CC6.3"),
    remediation="""Owners can change every repository, setting and member of the organisation. Keep two or
    three named owners for continuity and give everyone else the member role, with admin rights only on the
    repositories they look after (People > change role).""",
    settings={"max_owners": Setting(3, "How many organisation owners are acceptable before it is a failure")},
)
def org_few_owners(org: dict, settings: dict) -> Result:
    owners = field(org, "owners")
    if not owners:
        raise MissingData("no owner was listed: the credential cannot see the organisation's members")
    limit = settings["max_owners"]
    if len(owners) > limit:
        return Result.failed(f"{len(owners)} owners, more than {limit}: {listed(owners, 10)}")
    return Result.passed(f"{len(owners)} owners: {listed(owners)}")
