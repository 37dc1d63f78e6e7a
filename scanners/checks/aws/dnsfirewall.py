"""Route 53 Resolver DNS Firewall: every VPC that reaches the internet blocks the AWS managed lists of malware
and botnet command-and-control domains (web filtering, A.8.23)."""

from __future__ import annotations

from scanners.checks.base import Result, Setting, check, field, listed

VPC = "aws.dnsfirewall.vpc"
# DELETING associations no longer filter; UPDATING ones still do while their settings change.
FILTERING_STATES = {"COMPLETE", "UPDATING"}


def managed_lists_by_action(vpc: dict) -> dict[str, dict[str, str]]:
    """For each action, the AWS managed domain lists ruled on, each with the rule group that does it."""
    found: dict[str, dict[str, str]] = {"BLOCK": {}, "ALERT": {}, "ALLOW": {}}
    for group in field(vpc, "dns_firewall_rule_groups"):
        if group.get("status") not in FILTERING_STATES:
            continue
        label = group.get("association_name") or group.get("rule_group_id")
        for rule in group.get("rules") or []:
            # A list of one's own that borrows a managed list's name proves nothing: only AWS's own counts.
            if rule.get("managed_list") and rule.get("action") in found:
                found[rule["action"]].setdefault(rule.get("domain_list"), label)
    return found


@check(
    id="dnsfirewall_blocks_threat_domains",
    title="DNS Firewall blocks malware and botnet domains on every VPC that reaches the internet",
    resource=VPC,
    severity="medium",
    controls=("iso27001-2022:A.8.23", "iso27001-2022:A.8.7", "iso27001-2013:A.12.2.1", "soc2-2017:CC6.8"),
    remediation="""Create a Route 53 Resolver DNS Firewall rule group with BLOCK rules on the AWS managed domain
    lists AWSManagedDomainsMalwareDomainList and AWSManagedDomainsBotnetCommandandControl (or
    AWSManagedDomainsAggregateThreatList), and associate it with every VPC that routes to an internet or NAT
    gateway; with AWS Organizations, Firewall Manager can associate it everywhere. Try a new list with ALERT
    first, then switch the rule to BLOCK.""",
    settings={
        "required_domain_lists": Setting(
            ["AWSManagedDomainsMalwareDomainList", "AWSManagedDomainsBotnetCommandandControl"],
            "AWS managed domain lists that every VPC reaching the internet must block",
        ),
        "covering_domain_lists": Setting(
            ["AWSManagedDomainsAggregateThreatList"],
            "AWS managed domain lists that include all the required ones: blocking one of them is enough",
        ),
    },
)
def blocks_threat_domains(vpc: dict, settings: dict) -> Result:
    vpc_id = field(vpc, "vpc_id")
    routes = field(vpc, "internet_routes")
    if not routes:
        return Result.not_applicable(f"{vpc_id} has no route to an internet or NAT gateway")
    ruled = managed_lists_by_action(vpc)
    blocked = ruled["BLOCK"]
    covering = [name for name in settings["covering_domain_lists"] if name in blocked]
    if covering:
        return Result.passed(f"rule group {blocked[covering[0]]} blocks {covering[0]}")
    required = settings["required_domain_lists"]
    if not required and not settings["covering_domain_lists"]:
        return Result.error("no domain list to require: required_domain_lists and covering_domain_lists are empty")
    missing = [name for name in required if name not in blocked]
    if missing or not required:
        wanted = listed(missing or settings["covering_domain_lists"])
        weaker = [f"{name} ({action})" for action in ("ALERT", "ALLOW") for name in ruled[action]]
        reason = f"{vpc_id} routes to the internet ({routes[0]}) but DNS Firewall does not block {wanted}"
        return Result.failed(reason + (f"; rules that do not block: {listed(weaker)}" if weaker else ""))
    groups = listed(sorted({blocked[name] for name in required}))
    return Result.passed(f"rule group {groups} blocks {listed(required)}")
