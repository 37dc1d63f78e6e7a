"""Load balancer checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read, without

HTTPS = {"port": 443, "protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "default_actions": []}
OLD_HTTPS = {**HTTPS, "ssl_policy": "ELBSecurityPolicy-2016-08"}
REDIRECT = {
    "port": 80,
    "protocol": "HTTP",
    "ssl_policy": None,
    "default_actions": [{"type": "redirect", "redirect_protocol": "HTTPS"}],
}
PLAIN_HTTP = {"port": 80, "protocol": "HTTP", "ssl_policy": None, "default_actions": [{"type": "forward"}]}
ONLY_443 = {"sg-web": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
ALSO_80 = {"sg-web": ONLY_443["sg-web"] + [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}]}


def balancer(listeners, *, kind="application", groups=("sg-web",), ingress=None) -> dict:
    return doc(
        "aws.elbv2.load_balancer",
        balancer_type=kind,
        listeners=listeners,
        security_groups=list(groups),
        security_group_ingress=ONLY_443 if ingress is None else ingress,
    )


MODERN = balancer([HTTPS, REDIRECT])

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
    Case("elbv2_tls_policy_modern", Status.NOT_APPLICABLE, balancer([PLAIN_HTTP]), "no TLS listener"),
    Case("elbv2_tls_policy_modern", Status.ERROR, without(MODERN, "listeners"), "not collected"),
    Case("elbv2_security_groups_https_only", Status.PASS, MODERN, "443 only"),
    Case("elbv2_security_groups_https_only", Status.FAIL, balancer([HTTPS], ingress=ALSO_80), "80 too", reason="80"),
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
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_elbv2_check(case):
    assert_case(case)
