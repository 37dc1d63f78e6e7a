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


def vpc(*groups: dict, routes=INTERNET, firewalls=()) -> dict:
    return doc(
        "aws.dnsfirewall.vpc",
        name="shop",
        vpc_id="vpc-1",
        internet_routes=routes,
        dns_firewall_rule_groups=list(groups),
        network_firewalls=list(firewalls),
    )


def managed_group(name: str, override: str | None = None) -> dict:
    return {"arn": f"arn:aws:network-firewall:eu-west-1:aws-managed:stateful-rulegroup/{name}", "override": override}


def network_firewall(*groups: dict, status: str = "READY") -> dict:
    return {"name": "egress", "status": status, "policy": "egress-policy", "stateful_rule_groups": list(groups)}


NETWORK_BLOCKING = network_firewall(
    managed_group("MalwareDomainsStrictOrder"), managed_group("BotNetCommandAndControlDomainsStrictOrder")
)


BOTH_BLOCKED = group(rule(MALWARE), rule(BOTNET))

CASES = [
    Case(
        BLOCKS,
        Status.PASS,
        vpc(BOTH_BLOCKED),
        "both lists blocked",
        reason=f"DNS Firewall rule group threats blocks {MALWARE}, {BOTNET}",
    ),
    Case(BLOCKS, Status.PASS, vpc(group(rule(AGGREGATE))), "the aggregate list", reason=f"blocks {AGGREGATE}"),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(group(rule(MALWARE), rule(BOTNET, "ALERT"))),
        "botnet list only alerts",
        reason=f"blocks {BOTNET}; DNS Firewall rules that do not block: {BOTNET} (ALERT)",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(),
        "no rule group associated",
        reason=f"0.0.0.0/0 via igw-1 (rtb-1)) but neither DNS nor Network Firewall blocks {MALWARE}",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(group(rule(MALWARE, managed=False), rule(BOTNET, managed=False))),
        "own lists that borrow the managed names",
        reason=f"blocks {MALWARE}, {BOTNET}",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(group(rule(MALWARE), rule(BOTNET), status="DELETING")),
        "association being deleted",
        reason="neither DNS nor Network Firewall blocks",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(BOTH_BLOCKED),
        "an account that requires the aggregate list",
        reason=f"neither DNS nor Network Firewall blocks {AGGREGATE}",
        settings={"required_domain_lists": [AGGREGATE], "covering_domain_lists": []},
    ),
    Case(
        BLOCKS,
        Status.PASS,
        vpc(firewalls=[NETWORK_BLOCKING]),
        "Network Firewall with the managed domain rule groups",
        reason=f"Network Firewall egress blocks {MALWARE}, {BOTNET}",
    ),
    Case(
        BLOCKS,
        Status.PASS,
        vpc(
            group(rule(MALWARE)),
            firewalls=[network_firewall(managed_group("BotNetCommandAndControlDomainsActionOrder"))],
        ),
        "malware by DNS Firewall, botnets by Network Firewall",
        reason=f"DNS Firewall rule group threats blocks {MALWARE}; Network Firewall egress blocks {BOTNET}",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(
            firewalls=[
                network_firewall(
                    managed_group("MalwareDomainsStrictOrder", "DROP_TO_ALERT"),
                    managed_group("BotNetCommandAndControlDomainsStrictOrder"),
                )
            ]
        ),
        "Network Firewall turns malware drops into alerts",
        reason=f"neither DNS nor Network Firewall blocks {MALWARE}",
    ),
    Case(
        BLOCKS,
        Status.FAIL,
        vpc(firewalls=[network_firewall(*NETWORK_BLOCKING["stateful_rule_groups"], status="PROVISIONING")]),
        "Network Firewall not ready yet",
        reason=f"blocks {MALWARE}, {BOTNET}",
    ),
    Case(
        BLOCKS,
        Status.PASS,
        failed_read(vpc(BOTH_BLOCKED), "network_firewalls"),
        "DNS Firewall suffices, Network Firewall unread",
        reason="DNS Firewall rule group threats blocks",
    ),
    Case(
        BLOCKS,
        Status.ERROR,
        failed_read(vpc(group(rule(MALWARE))), "network_firewalls"),
        "DNS Firewall leaves botnets open, Network Firewall unreadable",
        reason="network firewalls could not be read: access denied",
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
