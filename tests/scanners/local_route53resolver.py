"""A local stand-in for the Route 53 Resolver DNS Firewall API, over real HTTP on 127.0.0.1.

moto does not implement DNS Firewall, so collector tests point `AWS_ENDPOINT_URL_ROUTE53RESOLVER` here. It
answers the operations the collector reads in the shapes of botocore's route53resolver service model (JSON
protocol: the operation is in `X-Amz-Target: Route53Resolver.<Operation>`), pages every list by two items with
`NextToken`, and answers an injected failure with AWS's JSON error document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.scanners.local_json_service import LocalJsonService, serving_json_protocol

ACCOUNT = "123456789012"
MANAGED_OWNER = "Route 53 Resolver DNS Firewall"
MANAGED_LISTS = (
    "AWSManagedDomainsMalwareDomainList",
    "AWSManagedDomainsBotnetCommandandControl",
    "AWSManagedDomainsAggregateThreatList",
    "AWSManagedDomainsAmazonGuardDutyThreatList",
)
CREATED = "2026-11-02T09:30:00.000000Z"  # the API sends its times as ISO 8601 strings


@dataclass
class LocalResolver(LocalJsonService):
    region: str = "eu-west-1"
    domain_lists: list[dict] = field(default_factory=list)
    rules: dict[str, list[dict]] = field(default_factory=dict)
    associations: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        for index, name in enumerate(MANAGED_LISTS):
            self.domain_lists.append(self._domain_list(f"rslvr-fdl-managed{index}", name, MANAGED_OWNER))

    def _domain_list(self, ident: str, name: str, owner: str | None = None) -> dict:
        item = {
            "Id": ident,
            "Arn": f"arn:aws:route53resolver:{self.region}:{ACCOUNT}:firewall-domain-list/{ident}",
            "Name": name,
            "CreatorRequestId": f"request-{ident}",
        }
        if owner:
            item["ManagedOwnerName"] = owner
        return item

    def own_domain_list(self, name: str) -> str:
        """A customer-made list (no ManagedOwnerName); returns its id."""
        ident = f"rslvr-fdl-own{len(self.domain_lists)}"
        self.domain_lists.append(self._domain_list(ident, name))
        return ident

    def list_id(self, name: str) -> str:
        return next(item["Id"] for item in self.domain_lists if item["Name"] == name)

    def rule_group(self, group_id: str, *rules: tuple[str, str]) -> str:
        """A rule group whose rules are (domain list id, action) pairs, in priority order."""
        self.rules[group_id] = [
            {
                "FirewallRuleGroupId": group_id,
                "FirewallDomainListId": list_id,
                "Name": f"rule-{index}",
                "Priority": (index + 1) * 10,
                "Action": action,
                **({"BlockResponse": "NODATA"} if action == "BLOCK" else {}),
                "CreatorRequestId": f"request-{group_id}-{index}",
                "CreationTime": CREATED,
                "ModificationTime": CREATED,
            }
            for index, (list_id, action) in enumerate(rules)
        ]
        return group_id

    def associate(self, group_id: str, vpc_id: str, *, status: str = "COMPLETE", priority: int = 101) -> None:
        ident = f"rslvr-frgassoc-{len(self.associations)}"
        self.associations.append(
            {
                "Id": ident,
                "Arn": f"arn:aws:route53resolver:{self.region}:{ACCOUNT}:firewall-rule-group-association/{ident}",
                "FirewallRuleGroupId": group_id,
                "VpcId": vpc_id,
                "Name": f"{group_id}-on-{vpc_id}",
                "Priority": priority,
                "MutationProtection": "DISABLED",
                "Status": status,
                "StatusMessage": "Finished rule group association update",
                "CreatorRequestId": f"request-{ident}",
                "CreationTime": CREATED,
                "ModificationTime": CREATED,
            }
        )

    def respond(self, operation: str, params: dict) -> tuple[int, dict]:
        if operation == "ListFirewallDomainLists":
            return 200, self.page(self.domain_lists, "FirewallDomainLists", params)
        if operation == "ListFirewallRuleGroupAssociations":
            wanted = {
                key: params[key] for key in ("VpcId", "FirewallRuleGroupId", "Status", "Priority") if key in params
            }
            matching = [item for item in self.associations if all(item[key] == value for key, value in wanted.items())]
            return 200, self.page(matching, "FirewallRuleGroupAssociations", params)
        if operation == "ListFirewallRules":
            group_id = params.get("FirewallRuleGroupId")
            if group_id not in self.rules:
                return 400, {"__type": "ResourceNotFoundException", "Message": f"no rule group {group_id}"}
            return 200, self.page(self.rules[group_id], "FirewallRules", params)
        return super().respond(operation, params)


@contextmanager
def local_route53resolver(region: str = "eu-west-1") -> Iterator[LocalResolver]:
    with serving_json_protocol(LocalResolver(region=region), json_version="1.1") as resolver:
        yield resolver
