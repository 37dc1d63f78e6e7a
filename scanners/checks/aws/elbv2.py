"""Load balancers: TLS on every listener, a modern TLS policy, security groups open on 443 (and on 80 only
to redirect to HTTPS), invalid HTTP headers dropped, and a WAF web ACL in front of internet-facing ALBs."""

from __future__ import annotations

from fnmatch import fnmatchcase

from scanners.checks.base import MissingData, Result, Setting, check, field, listed
from scanners.checks.waf import WAF_REMEDIATION, WAF_SETTINGS, WEB_FILTERING, web_acl_verdict

LOAD_BALANCER = "aws.elbv2.load_balancer"
TLS_PROTOCOLS = {"HTTPS", "TLS"}
# Policies that refuse TLS 1.0 and 1.1: the TLS13-1-2/1-3, TLS-1-2 and FS-1-2 families.
MODERN_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-*",
    "ELBSecurityPolicy-TLS13-1-3-*",
    "ELBSecurityPolicy-TLS-1-2-*",
    "ELBSecurityPolicy-FS-1-2-*",
]
DROP_INVALID_HEADERS = "routing.http.drop_invalid_header_fields.enabled"
IN_TRANSIT = (
    "iso27001-2022:A.8.24",
    "iso27001-2022:A.5.14",
    "iso27001-2013:A.10.1.1",
    "iso27001-2013:A.13.2.1",
    "iso27001-2013:A.14.1.2",
    "soc2-2017:CC6.7",
)


def redirects_to_https(listener: dict) -> bool:
    """The listener only redirects to HTTPS: its default action and the actions of all its rules."""
    if "rule_actions" not in listener:
        raise MissingData(f"the rules of listener {listener.get('protocol')}:{listener.get('port')} were not collected")
    actions = (listener.get("default_actions") or []) + listener["rule_actions"]
    return bool(listener.get("default_actions")) and all(
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
    settings={
        "accepted_policies": Setting(
            MODERN_POLICIES, "TLS security policies accepted on listeners (names; * matches any characters)"
        )
    },
)
def tls_policy_modern(balancer: dict, settings: dict) -> Result:
    secure = [item for item in field(balancer, "listeners") if item.get("protocol") in TLS_PROTOCOLS]
    if not secure:
        return Result.not_applicable("no HTTPS or TLS listener")
    accepted = [str(pattern) for pattern in settings["accepted_policies"]]
    outdated = [
        f"{item.get('protocol')}:{item.get('port')} uses {item.get('ssl_policy') or 'no policy'}"
        for item in secure
        if not any(fnmatchcase(item.get("ssl_policy") or "", pattern) for pattern in accepted)
    ]
    if outdated:
        return Result.failed(f"policies not accepted (TLS 1.0/1.1 by default): {listed(outdated)}")
    return Result.passed(f"policies: {listed(sorted({item['ssl_policy'] for item in secure}))}")


def is_port(rule: dict, port: int) -> bool:
    return rule.get("IpProtocol") == "tcp" and rule.get("FromPort") == port and rule.get("ToPort") == port


def port_80_only_redirects(balancer: dict) -> bool:
    on_80 = [item for item in field(balancer, "listeners") if item.get("port") == 80]
    return bool(on_80) and all(item.get("protocol") == "HTTP" and redirects_to_https(item) for item in on_80)


@check(
    id="elbv2_security_groups_https_only",
    title="Load balancer security groups allow inbound traffic on 443 only, and on 80 only to redirect to HTTPS",
    resource=LOAD_BALANCER,
    severity="medium",
    controls=(
        "iso27001-2022:A.8.20",
        "iso27001-2022:A.5.14",
        "iso27001-2013:A.13.1.1",
        "iso27001-2013:A.13.2.1",
        "soc2-2017:CC6.6",
    ),
    remediation="""Keep only TCP 443 inbound on the load balancer's security groups, plus TCP 80 when every port-80
    listener only redirects to HTTPS; anything else the load balancer listens on is either unencrypted or not
    meant for the public.""",
)
def security_groups_https_only(balancer: dict) -> Result:
    groups = field(balancer, "security_groups")
    if not groups:
        return Result.not_applicable("no security group attached (network load balancer)")
    ingress = field(balancer, "security_group_ingress")
    rules = [(group, rule) for group in groups for rule in ingress.get(group, [])]
    opens_80 = any(is_port(rule, 80) for _, rule in rules)
    redirect_80 = opens_80 and port_80_only_redirects(balancer)
    extra = [
        f"{group}: {rule.get('IpProtocol')} {rule.get('FromPort')}-{rule.get('ToPort')}"
        for group, rule in rules
        if not (is_port(rule, 443) or (redirect_80 and is_port(rule, 80)))
    ]
    if extra:
        why = "" if not opens_80 or redirect_80 else " (port 80 does not only redirect to HTTPS)"
        return Result.failed(f"inbound rules other than TCP 443{why}: {listed(extra)}")
    if redirect_80:
        return Result.passed("inbound on TCP 443, and on TCP 80 only to redirect to HTTPS")
    return Result.passed("inbound on TCP 443 only")


@check(
    id="elbv2_alb_drops_invalid_headers",
    title="Application load balancer drops HTTP headers with invalid names",
    resource=LOAD_BALANCER,
    severity="medium",
    controls=(
        "iso27001-2022:A.8.26",
        "iso27001-2022:A.8.21",
        "iso27001-2013:A.14.1.2",
        "iso27001-2013:A.14.1.3",
        "soc2-2017:CC6.6",
    ),
    remediation="""Turn on the load balancer attribute routing.http.drop_invalid_header_fields.enabled (console:
    Attributes > Drop invalid header fields) so header names that do not conform to the HTTP standard never
    reach the targets, which closes one path to request smuggling.""",
)
def alb_drops_invalid_headers(balancer: dict) -> Result:
    kind = field(balancer, "balancer_type")
    if kind != "application":
        return Result.not_applicable(f"{kind} load balancers do not parse HTTP headers")
    value = field(balancer, "attributes").get(DROP_INVALID_HEADERS)
    if value is None:
        raise MissingData(f"the answer did not include the attribute {DROP_INVALID_HEADERS}")
    if value != "true":
        return Result.failed(f"{DROP_INVALID_HEADERS} is {value}: invalid header fields reach the targets")
    return Result.passed("invalid header fields are dropped")


@check(
    id="elbv2_alb_waf_blocks_common_attacks",
    title="Internet-facing application load balancer is behind a WAF web ACL blocking common attacks",
    resource=LOAD_BALANCER,
    severity="high",
    controls=WEB_FILTERING,
    remediation=WAF_REMEDIATION,
    settings=WAF_SETTINGS,
)
def alb_waf_blocks_common_attacks(balancer: dict, settings: dict) -> Result:
    kind = field(balancer, "balancer_type")
    if kind != "application":
        return Result.not_applicable(f"AWS WAF does not attach to {kind} load balancers")
    if field(balancer, "scheme") != "internet-facing":
        return Result.not_applicable("internal load balancer, not reachable from the internet")
    web_acl = field(balancer, "web_acl", allow_none=True)
    return web_acl_verdict(web_acl, settings["required_rule_groups"], "the load balancer")
