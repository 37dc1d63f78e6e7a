"""AWS Organizations checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

SEPARATED = "organizations_environments_separated"
SCP = "organizations_production_ou_scp"
ROOT = "r-root"
FULL_ACCESS = {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "aws_managed": True}
GUARDRAIL = {"id": "p-guard", "name": "deny-leaving-and-unapproved-regions", "aws_managed": False}


def unit(ident: str, name: str, parent: str = ROOT, path: str = "") -> dict:
    return {"id": ident, "name": name, "parent_id": parent, "path": path or name}


def account(ident: str, name: str, parent: str, path: str) -> dict:
    return {"id": ident, "name": name, "status": "ACTIVE", "parent_id": parent, "path": path}


PROD = unit("ou-prod", "Prod")
PROD_EU = unit("ou-prod-eu", "EU", parent="ou-prod", path="Prod/EU")
DEV = unit("ou-dev", "Dev")
MANAGEMENT = account("111111111111", "management", ROOT, "")
SHOP = account("222222222222", "shop-prod", "ou-prod-eu", "Prod/EU")
SHOP_DEV = account("333333333333", "shop-dev", "ou-dev", "Dev")


def organization(
    *, units=(PROD, PROD_EU, DEV), accounts=(MANAGEMENT, SHOP, SHOP_DEV), tags=None, policies=None, **over
):
    units, accounts = list(units), list(accounts)
    config = {
        "in_use": True,
        "organization_id": "o-example",
        "feature_set": "ALL",
        "management_account_id": MANAGEMENT["id"],
        "scp_enabled": True,
        "organizational_units": units,
        "accounts": accounts,
        "ou_and_account_tags": {item["id"]: {} for item in units + accounts} | (tags or {}),
        "policies": {item["id"]: [FULL_ACCESS] for item in units} | (policies or {}),
    }
    return doc("aws.organizations.organization", name="organization o-example", **(config | over))


NOT_IN_ORGANIZATION = doc("aws.organizations.organization", name="AWS Organizations of account 1", in_use=False)
GUARDED = {"ou-prod": [FULL_ACCESS, GUARDRAIL]}

CASES = [
    Case(SEPARATED, Status.PASS, organization(), "production accounts under Prod", reason="1 accounts in production"),
    Case(
        SEPARATED,
        Status.PASS,
        organization(
            units=[unit("ou-live", "Live"), DEV],
            accounts=[account("4", "shop", "ou-live", "Live"), SHOP_DEV],
            tags={"ou-live": {"Environment": "Production"}, "4": {"environment": "prod"}},
        ),
        "production OU recognised by its tag",
        reason="production OUs (Live)",
    ),
    Case(
        SEPARATED,
        Status.FAIL,
        organization(tags={SHOP["id"]: {"environment": "staging"}}),
        "staging account in the production OU",
        reason="shop-prod (222222222222) tagged environment=staging sits in production OU Prod/EU",
    ),
    Case(
        SEPARATED,
        Status.FAIL,
        organization(tags={SHOP_DEV["id"]: {"environment": "production"}}),
        "production account among the dev accounts",
        reason="tagged environment=production sits outside the production OUs, in Dev",
    ),
    Case(
        SEPARATED,
        Status.FAIL,
        organization(units=[unit("ou-workloads", "Workloads")], accounts=[MANAGEMENT]),
        "no production OU at all",
        reason="no OU is recognised as production (OU names like prod, production, prod-*, production-*",
    ),
    Case(
        SEPARATED,
        Status.FAIL,
        organization(accounts=[MANAGEMENT, SHOP_DEV]),
        "empty production OU",
        reason="production OU Prod, Prod/EU holds no account",
    ),
    Case(
        SEPARATED,
        Status.PASS,
        organization(units=[unit("ou-live", "live-workloads"), DEV], accounts=[account("4", "shop", "ou-live", "x")]),
        "the account's own OU name pattern",
        reason="1 accounts in production OUs",
        settings={"production_ou_patterns": ["live-*"]},
    ),
    Case(
        SEPARATED,
        Status.PASS,
        organization(
            accounts=[MANAGEMENT, SHOP, SHOP_DEV, {**account("5", "old-shop", ROOT, ""), "status": "SUSPENDED"}],
            tags={"5": {"environment": "production"}},
        ),
        "a closed production account left in the root",
        reason="1 accounts in production OUs",
    ),
    Case(SEPARATED, Status.NOT_APPLICABLE, NOT_IN_ORGANIZATION, "no organization", reason="AWSOrganizationsNotInUse"),
    Case(
        SEPARATED,
        Status.ERROR,
        failed_read(organization(), "organizational_units"),
        "tree unreadable",
        reason="organizational units could not be read: access denied",
    ),
    Case(
        SEPARATED,
        Status.ERROR,
        failed_read(organization(), "ou_and_account_tags"),
        "tags unreadable",
        reason="ou and account tags could not be",
    ),
    Case(
        SCP, Status.PASS, organization(policies=GUARDED), "guardrail on Prod, inherited by EU", reason="Prod/EU (deny"
    ),
    Case(
        SCP,
        Status.FAIL,
        organization(),
        "only FullAWSAccess",
        reason="production OUs with no SCP beyond FullAWSAccess: Prod, Prod/EU",
    ),
    Case(
        SCP,
        Status.FAIL,
        organization(policies={"ou-prod-eu": [FULL_ACCESS, GUARDRAIL]}),
        "guardrail on the child OU only",
        reason="no SCP beyond FullAWSAccess: Prod",
    ),
    Case(
        SCP,
        Status.FAIL,
        organization(policies=GUARDED, scp_enabled=False),
        "SCPs not enabled on the root",
        reason="not enabled on the organization's root",
    ),
    Case(
        SCP,
        Status.FAIL,
        organization(policies=GUARDED, feature_set="CONSOLIDATED_BILLING"),
        "billing-only organization",
        reason="consolidated billing features only",
    ),
    Case(SCP, Status.FAIL, organization(units=[DEV], accounts=[SHOP_DEV]), "no production OU", reason="no OU is"),
    Case(SCP, Status.NOT_APPLICABLE, NOT_IN_ORGANIZATION, "no organization", reason="not in AWS Organizations"),
    Case(SCP, Status.ERROR, failed_read(organization(), "policies"), "policies unreadable", reason="policies could"),
    Case(
        SCP,
        Status.ERROR,
        organization(policies={"ou-prod": None}),
        "one OU's policies missing",
        reason="the policies of OU Prod were not read",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_organizations_check(case):
    assert_case(case)
