"""VPC peering checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

SEPARATED = "vpcpeering_environments_separated"
ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"


def connection(requester_tags=None, accepter_tags=None, *, status="active", accepter_owner=ACCOUNT) -> dict:
    vpc_tags = {"vpc-a": requester_tags or {}}
    if accepter_owner == ACCOUNT:
        vpc_tags["vpc-b"] = accepter_tags or {}
    return doc(
        "aws.vpcpeering.connection",
        name="pcx-1",
        peering_id="pcx-1",
        status=status,
        account_id=ACCOUNT,
        requester={"vpc_id": "vpc-a", "owner_id": ACCOUNT, "region": "eu-west-1"},
        accepter={"vpc_id": "vpc-b", "owner_id": accepter_owner, "region": "eu-west-1"},
        vpc_tags=vpc_tags,
    )


PROD = {"environment": "production"}
DEV = {"environment": "dev"}

CASES = [
    Case(SEPARATED, Status.PASS, connection(PROD, PROD), "prod with prod", reason="both VPCs are tagged"),
    Case(
        SEPARATED,
        Status.PASS,
        connection({"Environment": "Production "}, {"ENVIRONMENT": "production"}),
        "key and value spelled in other cases",
        reason="environment=production",
    ),
    Case(
        SEPARATED,
        Status.FAIL,
        connection(PROD, DEV),
        "prod with dev",
        reason="peers vpc-a (environment=production) with vpc-b (environment=dev)",
    ),
    Case(
        SEPARATED,
        Status.FAIL,
        connection(PROD, {"Name": "scratch"}),
        "one VPC untagged",
        reason="cannot tell the environments apart: vpc-b has no environment tag",
    ),
    Case(
        SEPARATED,
        Status.FAIL,
        connection({"stage": "prod"}, {"stage": "test"}),
        "the account tags a stage, not an environment",
        reason="peers vpc-a (stage=prod) with vpc-b (stage=test)",
        settings={"environment_tag_key": "stage"},
    ),
    Case(SEPARATED, Status.NOT_APPLICABLE, connection(PROD, DEV, status="deleted"), "deleted", reason="is deleted"),
    Case(
        SEPARATED,
        Status.ERROR,
        failed_read(connection(PROD, DEV), "vpc_tags"),
        "VPC tags unreadable",
        reason="vpc tags could not be read: access denied",
    ),
    Case(
        SEPARATED,
        Status.ERROR,
        connection(PROD, accepter_owner=OTHER_ACCOUNT),
        "peer in another account",
        reason=f"vpc-b belongs to account {OTHER_ACCOUNT}, whose tags this account cannot read",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_vpcpeering_check(case):
    assert_case(case)
