"""A local stand-in for the AWS Network Firewall API, over real HTTP on 127.0.0.1.

moto answers ListFirewalls and DescribeFirewall but not DescribeFirewallPolicy, so collector tests point
`AWS_ENDPOINT_URL_NETWORK_FIREWALL` here. The service model offers Smithy RPC v2 CBOR and JSON 1.0; botocore
prefers JSON (`X-Amz-Target: NetworkFirewall_20201112.<Operation>`), which this answers in the shapes of
botocore's network-firewall service model. Lists come in pages of one with NextToken; an injected failure gets
AWS's JSON error document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.scanners.local_json_service import LocalJsonService, serving_json_protocol

ACCOUNT = "123456789012"


@dataclass
class LocalNetworkFirewall(LocalJsonService):
    region: str = "eu-west-1"
    firewalls: dict[str, dict] = field(default_factory=dict)  # DescribeFirewall answers, by firewall ARN
    policies: dict[str, dict] = field(default_factory=dict)  # DescribeFirewallPolicy answers, by policy ARN
    page_size: int = 1

    def managed_group(self, name: str) -> str:
        return f"arn:aws:network-firewall:{self.region}:aws-managed:stateful-rulegroup/{name}"

    def policy(self, name: str, *references: dict) -> str:
        """A firewall policy whose stateful rule group references are given as StatefulRuleGroupReference dicts."""
        arn = f"arn:aws:network-firewall:{self.region}:{ACCOUNT}:firewall-policy/{name}"
        self.policies[arn] = {
            "UpdateToken": "token-1",
            "FirewallPolicyResponse": {"FirewallPolicyName": name, "FirewallPolicyArn": arn, "FirewallPolicyId": name},
            "FirewallPolicy": {
                "StatelessDefaultActions": ["aws:forward_to_sfe"],
                "StatelessFragmentDefaultActions": ["aws:forward_to_sfe"],
                "StatefulRuleGroupReferences": list(references),
                "StatefulEngineOptions": {"RuleOrder": "STRICT_ORDER"},
            },
        }
        return arn

    def firewall(self, name: str, vpc_id: str, policy_arn: str, *, status: str = "READY") -> None:
        arn = f"arn:aws:network-firewall:{self.region}:{ACCOUNT}:firewall/{name}"
        self.firewalls[arn] = {
            "UpdateToken": "token-1",
            "Firewall": {
                "FirewallName": name,
                "FirewallArn": arn,
                "FirewallPolicyArn": policy_arn,
                "VpcId": vpc_id,
                "SubnetMappings": [{"SubnetId": f"subnet-{name}"}],
                "FirewallId": f"id-{name}",
            },
            "FirewallStatus": {"Status": status, "ConfigurationSyncStateSummary": "IN_SYNC"},
        }

    def respond(self, operation: str, params: dict) -> tuple[int, dict]:
        if operation == "ListFirewalls":
            listed = [
                {"FirewallName": item["Firewall"]["FirewallName"], "FirewallArn": arn}
                for arn, item in self.firewalls.items()
                if not params.get("VpcIds") or item["Firewall"]["VpcId"] in params["VpcIds"]
            ]
            return 200, self.page(listed, "Firewalls", params)
        found = {"DescribeFirewall": self.firewalls, "DescribeFirewallPolicy": self.policies}.get(operation)
        if found is None:
            return super().respond(operation, params)
        arn = params.get("FirewallArn") or params.get("FirewallPolicyArn")
        if arn not in found:
            return 400, {"__type": "com.amazonaws.networkfirewall#ResourceNotFoundException", "message": arn}
        return 200, found[arn]


@contextmanager
def local_network_firewall(region: str = "eu-west-1") -> Iterator[LocalNetworkFirewall]:
    with serving_json_protocol(LocalNetworkFirewall(region=region), json_version="1.0") as service:
        yield service
