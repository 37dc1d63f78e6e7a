"""AWS Organizations, once per account: the OU tree with each OU's service control policies, the accounts
in it, and the tags of both (how production is recognised).

Only the management account, or a delegated administrator, may read the tree: a member account's scan
reports those reads as errors. An account outside any organization is documented as such
(AWSOrganizationsNotInUseException is an answer, not a failed read).
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from scanners.aws import ClientFactory, error_code
from scanners.collectors.base import (
    GLOBAL_REGION,
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
    tag_dict,
)

ORGANIZATION = "aws.organizations.organization"
NOT_IN_USE = "AWSOrganizationsNotInUseException"
SCP = "SERVICE_CONTROL_POLICY"


@service_group(name="organizations", is_global=True, resource_types=(ORGANIZATION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((ORGANIZATION,), GLOBAL_REGION, lambda: [organization_document(factory, region)])


def organization_document(factory: ClientFactory, region: str) -> ResourceDoc:
    organizations = factory.client("organizations", region)
    account_id = factory.account_id()
    try:
        organization = organizations.describe_organization()["Organization"]
    except ClientError as exc:
        if error_code(exc) != NOT_IN_USE:
            raise
        organization = None
    config: dict = {"in_use": organization is not None, "errors": {}}
    if organization is not None:
        config.update(structure(organizations, organization))
    return document(
        uid=settings_uid(account_id, GLOBAL_REGION, "organization"),
        type=ORGANIZATION,
        region=GLOBAL_REGION,
        name=f"organization {organization['Id']}" if organization else f"AWS Organizations of account {account_id}",
        config=config,
    )


def structure(organizations, organization: dict) -> dict:
    reads = SubReads()
    described = {
        "organization_id": organization["Id"],
        "feature_set": organization.get("FeatureSet"),
        "management_account_id": organization.get("MasterAccountId"),
    }
    tree = reads("organizational_units", lambda: walk(organizations))
    if tree is None:
        unread = ("accounts", "scp_enabled", "ou_and_account_tags", "policies")
        reads.failed(*unread, reason=reads.errors["organizational_units"])
        return {**described, "organizational_units": None, **dict.fromkeys(unread), "errors": reads.errors}
    root, units, accounts = tree
    return {
        **described,
        "scp_enabled": scp_enabled(root),
        "organizational_units": units,
        "accounts": accounts,
        "ou_and_account_tags": reads(
            "ou_and_account_tags", lambda: tags_of(organizations, [item["id"] for item in units + accounts])
        ),
        "policies": reads("policies", lambda: scps_of(organizations, units)),
        "errors": reads.errors,
    }


def walk(organizations) -> tuple[dict, list[dict], list[dict]]:
    """The root, every OU (with its parent and path of names) and every account, top down."""
    root = listing(organizations, "list_roots", "Roots")[0]
    units: list[dict] = []
    accounts: list[dict] = []
    pending = [(root["Id"], "")]
    while pending:
        parent_id, path = pending.pop()
        for account in listing(organizations, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
            accounts.append(
                {
                    "id": account["Id"],
                    "name": account.get("Name"),
                    # State replaces the deprecated Status (and adds CLOSED); older answers carry only Status.
                    "status": account.get("State") or account.get("Status"),
                    "parent_id": parent_id,
                    "path": path,
                }
            )
        children = listing(
            organizations, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id
        )
        for unit in children:
            unit_path = f"{path}/{unit['Name']}" if path else unit["Name"]
            units.append({"id": unit["Id"], "name": unit["Name"], "parent_id": parent_id, "path": unit_path})
            pending.append((unit["Id"], unit_path))
    return root, units, accounts


def scp_enabled(root: dict) -> bool:
    """Whether SCPs take effect: the root's policy types say so (DescribeOrganization's list is deprecated)."""
    return any(item.get("Type") == SCP and item.get("Status") == "ENABLED" for item in root.get("PolicyTypes") or [])


def tags_of(organizations, targets: list[str]) -> dict[str, dict]:
    return {
        target: tag_dict(listing(organizations, "list_tags_for_resource", "Tags", ResourceId=target))
        for target in targets
    }


def scps_of(organizations, units: list[dict]) -> dict[str, list[dict]]:
    """The service control policies attached directly to each OU."""
    return {
        unit["id"]: [
            {"id": policy["Id"], "name": policy.get("Name"), "aws_managed": bool(policy.get("AwsManaged"))}
            for policy in listing(
                organizations, "list_policies_for_target", "Policies", TargetId=unit["id"], Filter=SCP
            )
        ]
        for unit in units
    }
