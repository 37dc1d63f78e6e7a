"""Load balancer checks on plain documents."""

import pytest

from scanners.checks.base import Status
from scanners.checks.waf import REQUIRED_RULE_GROUPS as REQUIRED
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without
from tests.scanners.web_acls import described_acl
from tests.scanners.web_acls import described_group as managed


def without_key(listener: dict, key: str) -> dict:
    return {name: value for name, value in listener.items() if name != key}


HTTPS = {"port": 443, "protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "default_actions": []}
OLD_HTTPS = {**HTTPS, "ssl_policy": "ELBSecurityPolicy-2016-08"}
TO_HTTPS = {"type": "redirect", "redirect_protocol": "HTTPS"}
REDIRECT = {"port": 80, "protocol": "HTTP", "ssl_policy": None, "default_actions": [TO_HTTPS], "rule_actions": []}
REDIRECT_BUT_HEALTH_FORWARDED = {**REDIRECT, "rule_actions": [{"type": "forward", "redirect_protocol": None}]}
PLAIN_HTTP = {**REDIRECT, "default_actions": [{"type": "forward"}]}
ONLY_443 = {"sg-web": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
ALSO_80 = {"sg-web": ONLY_443["sg-web"] + [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}]}
ALSO_8080 = {"sg-web": ONLY_443["sg-web"] + [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080}]}
DROPS = {"routing.http.drop_invalid_header_fields.enabled": "true", "deletion_protection.enabled": "true"}


BLOCKING_ACL = described_acl("edge")
COUNTING_ACL = described_acl(
    "trial",
    [
        managed("AWSManagedRulesCommonRuleSet", not_blocking=["SizeRestrictions_BODY (Count)"]),
        managed("AWSManagedRulesKnownBadInputsRuleSet", override="count"),
    ],
)


def balancer(
    listeners,
    *,
    kind="application",
    scheme="internet-facing",
    groups=("sg-web",),
    ingress=None,
    attributes=None,
    web_acl=BLOCKING_ACL,
) -> dict:
    return doc(
        "aws.elbv2.load_balancer",
        balancer_type=kind,
        scheme=scheme,
        listeners=listeners,
        security_groups=list(groups),
        security_group_ingress=ONLY_443 if ingress is None else ingress,
        attributes=DROPS if attributes is None else attributes,
        web_acl=web_acl,
    )


MODERN = balancer([HTTPS, REDIRECT])
REDIRECTING_80 = balancer([HTTPS, REDIRECT], ingress=ALSO_80)
OLD_POLICY = "ELBSecurityPolicy-2016-08"

CASES = [
    Case("elbv2_listeners_use_tls", Status.PASS, MODERN, "HTTPS plus an HTTP redirect"),
    Case("elbv2_listeners_use_tls", Status.FAIL, balancer([HTTPS, PLAIN_HTTP]), "HTTP forward", reason="HTTP:80"),
    Case("elbv2_listeners_use_tls", Status.NOT_APPLICABLE, balancer([], kind="gateway"), "gateway load balancer"),
    Case(
        "elbv2_listeners_use_tls",
        Status.ERROR,
        failed_read(MODERN, "listeners"),
        "listeners unreadable",
        reason="listeners could not be read",
    ),
    Case("elbv2_tls_policy_modern", Status.PASS, MODERN, "TLS 1.2+ policy", reason="TLS13-1-2"),
    Case("elbv2_tls_policy_modern", Status.FAIL, balancer([OLD_HTTPS]), "2016-08 policy", reason="2016-08"),
    Case(
        "elbv2_tls_policy_modern",
        Status.PASS,
        balancer([OLD_HTTPS]),
        "the account accepts the 2016 policy for legacy clients",
        settings={"accepted_policies": ["ELBSecurityPolicy-TLS13-1-2-*", OLD_POLICY]},
    ),
    Case(
        "elbv2_tls_policy_modern",
        Status.FAIL,
        MODERN,
        "the account accepts only TLS 1.3 policies",
        reason="TLS13-1-2-2021-06",
        settings={"accepted_policies": ["ELBSecurityPolicy-TLS13-1-3-*"]},
    ),
    Case("elbv2_tls_policy_modern", Status.NOT_APPLICABLE, balancer([PLAIN_HTTP]), "no TLS listener"),
    Case("elbv2_tls_policy_modern", Status.ERROR, without(MODERN, "listeners"), "not collected"),
    Case("elbv2_security_groups_https_only", Status.PASS, MODERN, "443 only"),
    Case(
        "elbv2_security_groups_https_only",
        Status.PASS,
        REDIRECTING_80,
        "80 open only to redirect to HTTPS",
        reason="80 only to redirect",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.FAIL,
        balancer([HTTPS], ingress=ALSO_80),
        "80 open with no listener on it",
        reason="does not only redirect",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.FAIL,
        balancer([HTTPS, PLAIN_HTTP], ingress=ALSO_80),
        "80 open and forwarded",
        reason="tcp 80-80",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.FAIL,
        balancer([HTTPS, REDIRECT_BUT_HEALTH_FORWARDED], ingress=ALSO_80),
        "80 redirects by default but a rule forwards plain HTTP",
        reason="80",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.FAIL,
        balancer([HTTPS, REDIRECT], ingress=ALSO_8080),
        "a redirect on 80 does not excuse 8080",
        reason="8080",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.ERROR,
        failed_read(REDIRECTING_80, "listeners"),
        "80 open and the listeners unreadable",
        reason="listeners could not be read",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.ERROR,
        balancer([HTTPS, without_key(REDIRECT, "rule_actions")], ingress=ALSO_80),
        "80 open and the listener's rules not collected",
        reason="rules of listener HTTP:80",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.NOT_APPLICABLE,
        balancer([HTTPS], kind="network", groups=()),
        "network load balancer without groups",
    ),
    Case(
        "elbv2_security_groups_https_only",
        Status.ERROR,
        failed_read(MODERN, "security_group_ingress"),
        "groups unreadable",
    ),
    Case("elbv2_alb_drops_invalid_headers", Status.PASS, MODERN, "attribute on"),
    Case(
        "elbv2_alb_drops_invalid_headers",
        Status.FAIL,
        balancer([HTTPS], attributes={**DROPS, "routing.http.drop_invalid_header_fields.enabled": "false"}),
        "attribute off",
        reason="is false",
    ),
    Case(
        "elbv2_alb_drops_invalid_headers",
        Status.NOT_APPLICABLE,
        balancer([HTTPS], kind="network", attributes={}),
        "network load balancer",
    ),
    Case(
        "elbv2_alb_drops_invalid_headers",
        Status.ERROR,
        failed_read(MODERN, "attributes"),
        "attributes unreadable",
        reason="attributes could not be read",
    ),
    Case(
        "elbv2_alb_drops_invalid_headers",
        Status.ERROR,
        balancer([HTTPS], attributes={"deletion_protection.enabled": "true"}),
        "the answer lacks the attribute",
        reason="did not include",
    ),
    Case("elbv2_alb_waf_blocks_common_attacks", Status.PASS, MODERN, "both groups blocking", reason="web ACL edge"),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.FAIL,
        balancer([HTTPS], web_acl=None),
        "no web ACL",
        reason="has no WAF web ACL",
    ),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.FAIL,
        balancer([HTTPS], web_acl=COUNTING_ACL),
        "a rule counted, a group in count mode",
        reason="AWSManagedRulesCommonRuleSet does not block SizeRestrictions_BODY (Count), "
        "AWSManagedRulesKnownBadInputsRuleSet in count mode",
    ),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.FAIL,
        balancer([HTTPS], web_acl={**BLOCKING_ACL, "managed_rule_groups": [managed("AWSManagedRulesCommonRuleSet")]}),
        "known-bad-inputs missing",
        reason="AWSManagedRulesKnownBadInputsRuleSet missing",
    ),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.PASS,
        balancer([HTTPS], web_acl={**BLOCKING_ACL, "managed_rule_groups": [managed("AWSManagedRulesCommonRuleSet")]}),
        "the account requires only the common rule set",
        settings={"required_rule_groups": ["AWSManagedRulesCommonRuleSet"]},
    ),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.FAIL,
        MODERN,
        "the account also requires the SQL injection rule set",
        reason="AWSManagedRulesSQLiRuleSet missing",
        settings={"required_rule_groups": REQUIRED + ["AWSManagedRulesSQLiRuleSet"]},
    ),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.NOT_APPLICABLE,
        balancer([HTTPS], scheme="internal", web_acl=None),
        "internal load balancer",
    ),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.NOT_APPLICABLE,
        balancer([HTTPS], kind="network", web_acl=None),
        "network load balancer",
    ),
    Case(
        "elbv2_alb_waf_blocks_common_attacks",
        Status.ERROR,
        failed_read(MODERN, "web_acl"),
        "web ACL unreadable",
        reason="web acl could not be read",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_elbv2_check(case):
    assert_case(case)
