"""Route 53 Resolver DNS Firewall checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

BLOCKS = "dnsfirewall_blocks_threat_domains"
MALWARE = "AWSManagedDomainsMalwareDomainList"
BOTNET = "AWSManagedDomainsBotnetCommandandControl"
AGGREGATE = "AWSManagedDomainsAggregateThreatList"
INTERNET = ["0.0.0.0/0 via igw-1 (rtb-1)"]


def rule(domain_list: str, action: str = "BLOCK", *, managed: bool = True) -> dict:
    return {
        "name": f"{action.lower()}-{domain_list}",
        "priority": 1,
        "action": action,
        "domain_list_id": f"rslvr-fdl-{domain_list}",
        "domain_list": domain_list,
        "managed_list": managed,
    }


def group(*rules: dict, status: str = "COMPLETE", name: str = "threats") -> dict:
    return {
        "rule_group_id": "rslvr-frg-1",
        "association_name": name,
        "priority": 101,
        "status": status,
        "managed_by": None,
        "rules": list(rules),
    }


def vpc(*groups: dict, routes=INTERNET) -> dict:
    return doc(
        "aws.dnsfirewall.vpc",
        name="shop",
        vpc_id="vpc-1",
        internet_routes=routes,
        dns_firewall_rule_groups=list(groups),
    )


BOTH_BLOCKED = group(rule(MALWARE), rule(BOTNET))

CASES = [
    Case(BLOCKS, Status.PASS, vpc(BOTH_BLOCKED), "both lists blocked", reason=f"threats blocks {MALWARE}, {BOTNET}"),
    Case(BLOCKS, Status.PASS, vpc(group(rule(AGGREGATE))), "the aggregate list", reason=f"blocks {AGGREGATE}"),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(group(rule(MALWARE), rule(BOTNET, "ALERT"))),
        "botnet list only alerts",
        reason=f"does not block {BOTNET}; rules that do not block: {BOTNET} (ALERT)",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(),
        "no rule group associated",
        reason=f"vpc-1 routes to the internet (0.0.0.0/0 via igw-1 (rtb-1)) but DNS Firewall does not block {MALWARE}",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(group(rule(MALWARE, managed=False), rule(BOTNET, managed=False))),
        "own lists that borrow the managed names",
        reason=f"does not block {MALWARE}, {BOTNET}",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(group(rule(MALWARE), rule(BOTNET), status="DELETING")),
        "association being deleted",
        reason="does not block",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(BOTH_BLOCKED),
        "an account that requires the aggregate list",
        reason=f"does not block {AGGREGATE}",
        settings={"required_domain_lists": [AGGREGATE], "covering_domain_lists": []},
    ),
    Case(BLOCKS, Status.NOT_APPLICABLE, vpc(routes=[]), "private VPC", reason="no route to an internet or NAT gateway"),
    Case(
        BLOCKS,
        Status.ERROR,
        failed_read(vpc(BOTH_BLOCKED), "dns_firewall_rule_groups"),
        "DNS Firewall unreadable",
        reason="dns firewall rule groups could not be read: access denied",
    ),
    Case(
        BLOCKS,
        Status.ERROR,
        failed_read(vpc(BOTH_BLOCKED), "internet_routes"),
        "route tables unreadable",
        reason="internet routes could not be read",
    ),
    Case(
        BLOCKS,
        Status.ERROR,
        vpc(BOTH_BLOCKED),
        "nothing required",
        reason="no domain list to require",
        settings={"required_domain_lists": [], "covering_domain_lists": []},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_dnsfirewall_check(case):
    assert_case(case)
