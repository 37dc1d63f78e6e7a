"""VPC peering: no network path between VPCs tagged for different environments (A.8.31)."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, check, field
from scanners.checks.environments import TAG_KEY_SETTING, environment_of

CONNECTION = "aws.vpcpeering.connection"
# Connections that carry traffic, or will once accepted; deleted, rejected, failed and expired ones do not.
LIVE_STATES = {"initiating-request", "pending-acceptance", "provisioning", "active"}


def vpc_environment(connection: dict, end: str, key: str) -> str | None:
    """The environment one end's VPC is tagged for; only this account's VPCs can be read."""
    vpc = field(connection, end)
    tags = field(connection, "vpc_tags").get(vpc.get("vpc_id"))
    if tags is not None:
        return environment_of(tags, key)
    if vpc.get("owner_id") != field(connection, "account_id"):
        raise MissingData(
            f"{vpc.get('vpc_id')} belongs to account {vpc.get('owner_id')}, whose tags this account cannot read"
        )
    raise MissingData(f"{vpc.get('vpc_id')} was not found in {vpc.get('region')}, so its tags are unknown")


@check(
    id="vpcpeering_environments_separated",
    title="VPC peering connects only VPCs of the same environment",
    resource=CONNECTION,
    severity="high",
    controls=(
        "iso27001-2022:A.8.31",
        "iso27001-2022:A.8.22",
        "iso27001-2013:A.12.1.4",
        "iso27001-2013:A.13.1.3",
        "soc2-2017:CC6.1",
    ),
    remediation="""Delete the peering connection between production and non-production VPCs (VPC > Peering
    connections > Delete) and move what needs to cross into a reviewed path (a shared-services VPC, PrivateLink
    endpoint or deployment pipeline); tag every VPC with its environment so that the separation can be shown.""",
    settings={"environment_tag_key": TAG_KEY_SETTING},
)
def environments_separated(connection: dict, settings: dict) -> Result:
    status = field(connection, "status")
    if status not in LIVE_STATES:
        return Result.not_applicable(f"the peering connection is {status}")
    key = settings["environment_tag_key"]
    ends = {end: vpc_environment(connection, end, key) for end in ("requester", "accepter")}
    names = {end: field(connection, end).get("vpc_id") for end in ends}
    untagged = [names[end] for end, environment in ends.items() if environment is None]
    if untagged:
        # Untagged is not an unreadable: the data says no environment is named, so separation cannot be shown.
        verb = "have" if len(untagged) > 1 else "has"
        return Result.failed(f"cannot tell the environments apart: {' and '.join(untagged)} {verb} no {key} tag")
    described = " with ".join(f"{names[end]} ({key}={ends[end]})" for end in ends)
    if ends["requester"] != ends["accepter"]:
        return Result.failed(f"peers {described}")
    return Result.passed(f"both VPCs are tagged {key}={ends['requester']}")
