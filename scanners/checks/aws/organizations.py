"""AWS Organizations: production accounts in their own OUs, guarded by a service control policy (A.8.31).

Production is recognised by OU name (patterns) or by an environment tag on an OU; an OU below a production
OU is production too. An account's place decides its environment unless its own environment tag says
otherwise, and a tag that contradicts the account's place is the failure.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from scanners.checks.base import MissingData, Result, Setting, check, field, listed
from scanners.checks.environments import (
    PRODUCTION_VALUES_SETTING,
    TAG_KEY_SETTING,
    environment_of,
    is_production,
)

ORGANIZATION = "aws.organizations.organization"
FULL_ACCESS_POLICY = "p-FullAWSAccess"
# Closed accounts run no workload, wherever they wait out their closure.
CLOSING_STATES = {"SUSPENDED", "PENDING_CLOSURE", "CLOSED"}
SEPARATION = ("iso27001-2022:A.8.31", "iso27001-2013:A.12.1.4", "soc2-2017:CC6.1", "soc2-2017:CC8.1")
RECOGNISING_PRODUCTION = {
    "production_ou_patterns": Setting(
        ["prod", "production", "prod-*", "production-*"],
        "OU names (shell-style patterns, any case) that mark an OU, and everything below it, as production",
    ),
    "environment_tag_key": TAG_KEY_SETTING,
    "production_values": PRODUCTION_VALUES_SETTING,
}
NOT_IN_USE = Result.not_applicable(
    "the account is not in AWS Organizations (AWSOrganizationsNotInUseException); "
    "the in-account checks (VPC peering between environments) decide"
)


def tags_of(organization: dict, item: dict) -> dict:
    tags = field(organization, "ou_and_account_tags").get(item["id"])
    if tags is None:
        raise MissingData(f"the tags of {item.get('name')} ({item['id']}) were not read")
    return tags


def production_units(organization: dict, settings: dict) -> dict[str, dict]:
    """The OUs recognised as production, by id: marked by name or tag themselves, or below one that is."""
    units = {unit["id"]: unit for unit in field(organization, "organizational_units")}
    patterns = [str(pattern).lower() for pattern in settings["production_ou_patterns"]]

    def marked(unit: dict) -> bool:
        environment = environment_of(tags_of(organization, unit), settings["environment_tag_key"])
        named = any(fnmatchcase(unit["name"].lower(), pattern) for pattern in patterns)
        return named or is_production(environment, settings["production_values"])

    def production(unit_id: str) -> bool:
        while unit_id in units:
            if marked(units[unit_id]):
                return True
            unit_id = units[unit_id]["parent_id"]
        return False

    return {unit_id: unit for unit_id, unit in units.items() if production(unit_id)}


def nothing_recognised(settings: dict) -> str:
    values = "/".join(str(value) for value in settings["production_values"])
    return (
        f"no OU is recognised as production (OU names like {listed(settings['production_ou_patterns'])}, "
        f"or tag {settings['environment_tag_key']}={values})"
    )


@check(
    id="organizations_environments_separated",
    title="Production accounts sit in production OUs, apart from the other environments",
    resource=ORGANIZATION,
    severity="high",
    controls=SEPARATION,
    remediation="""Give production workloads their own accounts, gathered in a production OU (for example
    Workloads/Prod) and keep development, test and sandbox accounts in other OUs; tag each account with its
    environment and move any account whose tag and OU disagree (Organizations > AWS accounts > Move).""",
    settings=RECOGNISING_PRODUCTION,
)
def environments_separated(organization: dict, settings: dict) -> Result:
    if not field(organization, "in_use"):
        return NOT_IN_USE
    production = production_units(organization, settings)
    if not production:
        return Result.failed(nothing_recognised(settings))
    key, values = settings["environment_tag_key"], settings["production_values"]
    misplaced, in_production, elsewhere = [], [], 0
    for account in field(organization, "accounts"):
        if account.get("status") in CLOSING_STATES:
            continue
        environment = environment_of(tags_of(organization, account), key)
        named = f"{account.get('name')} ({account['id']}) tagged {key}={environment}"
        if account["parent_id"] in production:
            in_production.append(account)
            if environment is not None and not is_production(environment, values):
                misplaced.append(f"{named} sits in production OU {account['path']}")
        else:
            elsewhere += 1
            if is_production(environment, values):
                misplaced.append(f"{named} sits outside the production OUs, in {account['path'] or 'the root'}")
    if misplaced:
        return Result.failed(f"accounts in the wrong environment's OU: {listed(misplaced, 3)}")
    if not in_production:
        paths = listed(unit["path"] for unit in production.values())
        return Result.failed(f"production OU {paths} holds no account, so production's place cannot be shown")
    paths = listed(sorted({account["path"] for account in in_production}))
    return Result.passed(f"{len(in_production)} accounts in production OUs ({paths}), {elsewhere} outside them")


@check(
    id="organizations_production_ou_scp",
    title="Production OUs are guarded by a service control policy",
    resource=ORGANIZATION,
    severity="medium",
    controls=SEPARATION,
    remediation="""Enable service control policies on the organization's root and attach to the production OU a
    guardrail beyond FullAWSAccess: for example deny leaving the organization, disabling CloudTrail or GuardDuty,
    using unapproved regions, and changes by anyone but the deployment roles.""",
    settings=RECOGNISING_PRODUCTION,
)
def production_ou_scp(organization: dict, settings: dict) -> Result:
    if not field(organization, "in_use"):
        return NOT_IN_USE
    if field(organization, "feature_set") != "ALL":
        return Result.failed("the organization has consolidated billing features only, so no SCP can apply")
    if not field(organization, "scp_enabled"):
        return Result.failed("service control policies are not enabled on the organization's root")
    production = production_units(organization, settings)
    if not production:
        return Result.failed(nothing_recognised(settings))
    policies = field(organization, "policies")
    guarded, unguarded = [], []
    for unit_id, unit in production.items():
        names, current = [], unit_id
        # An SCP on a production OU applies to the OUs below it as well.
        while current in production:
            if policies.get(current) is None:
                raise MissingData(f"the policies of OU {production[current]['path']} were not read")
            names += [item["name"] for item in policies[current] if item["id"] != FULL_ACCESS_POLICY]
            current = production[current]["parent_id"]
        if names:
            guarded.append(f"{unit['path']} ({listed(sorted(set(names)), 3)})")
        else:
            unguarded.append(unit["path"])
    if unguarded:
        return Result.failed(f"production OUs with no SCP beyond FullAWSAccess: {listed(sorted(unguarded))}")
    return Result.passed(f"production OUs guarded by SCPs: {listed(sorted(guarded), 3)}")
