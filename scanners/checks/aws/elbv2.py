"""Load balancers: TLS on every listener, a modern TLS policy, and security groups open on 443 only."""

from __future__ import annotations

import re

from scanners.checks.base import Result, check, field, listed

LOAD_BALANCER = "aws.elbv2.load_balancer"
TLS_PROTOCOLS = {"HTTPS", "TLS"}
# Policies that refuse TLS 1.0 and 1.1: the TLS13-1-2/1-3, TLS-1-2 and FS-1-2 families.
MODERN_POLICY = re.compile(r"-(TLS13-1-[23]|TLS-1-2|FS-1-2)-")
IN_TRANSIT = (
    "iso27001-2022:A.8.24",
    "iso27001-2022:A.5.14",
    "iso27001-2013:A.10.1.1",
    "iso27001-2013:A.13.2.1",
    "iso27001-2013:A.14.1.2",
    "soc2-2017:CC6.7",
)


def redirects_to_https(listener: dict) -> bool:
    actions = listener.get("default_actions") or []
    return bool(actions) and all(
        action.get("type") == "redirect" and action.get("redirect_protocol") == "HTTPS" for action in actions
    )


@check(
    id="elbv2_listeners_use_tls",
    title="Load balancer listeners use TLS",
    resource=LOAD_BALANCER,
    severity="high",
    controls=IN_TRANSIT,
    remediation="""Serve HTTPS (or TLS on network load balancers) with an ACM certificate; keep a plain HTTP
    listener only to redirect to HTTPS.""",
)
def listeners_use_tls(balancer: dict) -> Result:
    if field(balancer, "balancer_type") == "gateway":
        return Result.not_applicable("gateway load balancers pass traffic through without terminating it")
    listeners = field(balancer, "listeners")
    if not listeners:
        return Result.not_applicable("no listeners")
    plain = [
        f"{item.get('protocol')}:{item.get('port')}"
        for item in listeners
        if item.get("protocol") not in TLS_PROTOCOLS
        and not (item.get("protocol") == "HTTP" and redirects_to_https(item))
    ]
    if plain:
        return Result.failed(f"listeners without TLS: {listed(plain)}")
    return Result.passed(f"{len(listeners)} listeners use TLS or redirect to HTTPS")


@check(
    id="elbv2_tls_policy_modern",
    title="Load balancer TLS listeners refuse TLS 1.0 and 1.1",
    resource=LOAD_BALANCER,
    severity="medium",
    controls=IN_TRANSIT,
    remediation="""Set the listener security policy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS13-1-2,
    TLS-1-2 or FS-1-2 policy) after checking that your clients speak TLS 1.2.""",
)
def tls_policy_modern(balancer: dict) -> Result:
    secure = [item for item in field(balancer, "listeners") if item.get("protocol") in TLS_PROTOCOLS]
    if not secure:
        return Result.not_applicable("no HTTPS or TLS listener")
    outdated = [
        f"{item.get('protocol')}:{item.get('port')} uses {item.get('ssl_policy') or 'no policy'}"
        for item in secure
        if not MODERN_POLICY.search(item.get("ssl_policy") or "")
    ]
    if outdated:
        return Result.failed(f"policies that still accept TLS 1.0/1.1: {listed(outdated)}")
    return Result.passed(f"policies: {listed(sorted({item['ssl_policy'] for item in secure}))}")


@check(
    id="elbv2_security_groups_https_only",
    title="Load balancer security groups allow inbound traffic on 443 only",
    resource=LOAD_BALANCER,
    severity="medium",
    controls=(
        "iso27001-2022:A.8.20",
        "iso27001-2022:A.5.14",
        "iso27001-2013:A.13.1.1",
        "iso27001-2013:A.13.2.1",
        "soc2-2017:CC6.6",
    ),
    remediation="""Keep only TCP 443 inbound on the load balancer's security groups; anything else the load
    balancer listens on is either unencrypted or not meant for the public.""",
)
def security_groups_https_only(balancer: dict) -> Result:
    groups = field(balancer, "security_groups")
    if not groups:
        return Result.not_applicable("no security group attached (network load balancer)")
    ingress = field(balancer, "security_group_ingress")
    extra = [
        f"{group}: {rule.get('IpProtocol')} {rule.get('FromPort')}-{rule.get('ToPort')}"
        for group in groups
        for rule in ingress.get(group, [])
        if not (rule.get("IpProtocol") == "tcp" and rule.get("FromPort") == 443 and rule.get("ToPort") == 443)
    ]
    if extra:
        return Result.failed(f"inbound rules other than TCP 443: {listed(extra)}")
    return Result.passed("inbound on TCP 443 only")
