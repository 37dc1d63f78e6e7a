"""Web filtering by domain (A.8.23): every VPC that reaches the internet blocks the AWS managed lists of malware
and botnet command-and-control domains, with Route 53 Resolver DNS Firewall or AWS Network Firewall."""

from __future__ import annotations

import re

from scanners.checks.base import Result, Setting, check, field, listed

VPC = "aws.dnsfirewall.vpc"
# DELETING associations no longer filter; UPDATING ones still do while their settings change.
FILTERING_STATES = {"COMPLETE", "UPDATING"}
# Network Firewall's AWS managed domain rule groups that hold the same threats as DNS Firewall's managed lists.
NETWORK_FIREWALL_EQUIVALENTS = {
    "AWSManagedDomainsMalwareDomainList": "MalwareDomains",
    "AWSManagedDomainsBotnetCommandandControl": "BotNetCommandAndControlDomains",
}
MANAGED_RULE_GROUP = re.compile(
    r"^arn:aws[\w-]*:network-firewall:[\w-]+:aws-managed:stateful-rulegroup/(?P<name>.+?)(StrictOrder|ActionOrder)$"
)


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


def network_firewall_blocking(vpc: dict) -> dict[str, str]:
    """AWS managed domain rule groups that a ready Network Firewall in the VPC enforces, each with that firewall."""
    found: dict[str, str] = {}
    for firewall in field(vpc, "network_firewalls"):
        if firewall.get("status") != "READY":
            continue
        for group in firewall.get("stateful_rule_groups") or []:
            match = MANAGED_RULE_GROUP.match(group.get("arn") or "")
            # DROP_TO_ALERT turns the group's drops into alerts: it no longer blocks anything.
            if match and group.get("override") != "DROP_TO_ALERT":
                found.setdefault(match["name"], firewall.get("name"))
    return found


@check(
    id="dnsfirewall_blocks_threat_domains",
    title="DNS or Network Firewall blocks malware and botnet domains on every VPC that reaches the internet",
    resource=VPC,
    severity="medium",
    controls=("iso27001-2022:A.8.23", "iso27001-2022:A.8.7", "iso27001-2013:A.12.2.1", "soc2-2017:CC6.8"),
    remediation="""Create a Route 53 Resolver DNS Firewall rule group with BLOCK rules on the AWS managed domain
    lists AWSManagedDomainsMalwareDomainList and AWSManagedDomainsBotnetCommandandControl (or
    AWSManagedDomainsAggregateThreatList), and associate it with every VPC that routes to an internet or NAT
    gateway; with AWS Organizations, Firewall Manager can associate it everywhere. Try a new list with ALERT
    first, then switch the rule to BLOCK. Where egress already passes an AWS Network Firewall, its managed domain
    rule groups MalwareDomains and BotNetCommandAndControlDomains (without DROP_TO_ALERT) do the same.""",
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
    required, covering = settings["required_domain_lists"], settings["covering_domain_lists"]
    if not required and not covering:
        return Result.error("no domain list to require: required_domain_lists and covering_domain_lists are empty")
    ruled = managed_lists_by_action(vpc)
    covered = [name for name in covering if name in ruled["BLOCK"]]
    if covered:
        return Result.passed(f"DNS Firewall rule group {ruled['BLOCK'][covered[0]]} blocks {covered[0]}")
    blockers = blockers_of(vpc, required, ruled["BLOCK"])
    missing = [name for name in required if name not in blockers]
    if missing or not required:
        weaker = [f"{name} ({action})" for action in ("ALERT", "ALLOW") for name in ruled[action]]
        reason = f"{vpc_id} routes to the internet ({routes[0]}) but neither DNS nor Network Firewall blocks "
        reason += listed(missing or covering)
        return Result.failed(reason + (f"; DNS Firewall rules that do not block: {listed(weaker)}" if weaker else ""))
    by_blocker: dict[str, list[str]] = {}
    for name, blocker in blockers.items():
        by_blocker.setdefault(blocker, []).append(name)
    return Result.passed("; ".join(f"{blocker} blocks {listed(names)}" for blocker, names in by_blocker.items()))


def blockers_of(vpc: dict, required: list, blocked_by_dns: dict[str, str]) -> dict[str, str]:
    """Who blocks each required list: DNS Firewall first; Network Firewall is read only for what it leaves open."""
    blockers = {name: f"DNS Firewall rule group {blocked_by_dns[name]}" for name in required if name in blocked_by_dns}
    if len(blockers) < len(required):
        enforced = network_firewall_blocking(vpc)
        for name in required:
            group = NETWORK_FIREWALL_EQUIVALENTS.get(name)
            if name not in blockers and group in enforced:
                blockers[name] = f"Network Firewall {enforced[group]}"
    return blockers
