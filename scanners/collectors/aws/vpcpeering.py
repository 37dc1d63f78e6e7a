"""VPC peering connections in one region, with the tags of the VPCs on both sides.

A connection between two regions of the account is listed in both; it is documented once, in the
requester's region (or in the accepter's, when the requester is another account's VPC).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    tag_dict,
)

CONNECTION = "aws.vpcpeering.connection"


@service_group(name="vpcpeering", resource_types=(CONNECTION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((CONNECTION,), region, lambda: peering_connections(factory, region))


def peering_connections(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    account_id = factory.account_id()
    ec2 = factory.client("ec2", region)
    found = [
        item
        for item in listing(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections")
        if documented_here(item, region, account_id)
    ]
    reads = SubReads()
    tags = reads("vpc_tags", lambda: own_vpc_tags(factory, found, account_id))
    for item in found:
        ident = item["VpcPeeringConnectionId"]
        own_tags = tag_dict(item.get("Tags"))
        yield document(
            uid=f"arn:aws:ec2:{region}:{account_id}:vpc-peering-connection/{ident}",
            type=CONNECTION,
            region=region,
            name=own_tags.get("Name") or ident,
            tags=own_tags,
            config={
                "peering_id": ident,
                "status": (item.get("Status") or {}).get("Code"),
                "account_id": account_id,
                "requester": side(item.get("RequesterVpcInfo") or {}),
                "accepter": side(item.get("AccepterVpcInfo") or {}),
                "vpc_tags": None if tags is None else {vpc: tags[vpc] for vpc in vpcs_of(item) if vpc in tags},
                "errors": dict(reads.errors),
            },
        )


def documented_here(item: dict, region: str, account_id: str) -> bool:
    requester = item.get("RequesterVpcInfo") or {}
    if requester.get("OwnerId", account_id) == account_id:
        return requester.get("Region", region) == region
    return (item.get("AccepterVpcInfo") or {}).get("Region", region) == region


def own_vpc_tags(factory: ClientFactory, connections: list[dict], account_id: str) -> dict[str, dict]:
    """Tags of this account's VPCs on either side of the connections, read in each VPC's own region."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for item in connections:
        for info in (item.get("RequesterVpcInfo") or {}, item.get("AccepterVpcInfo") or {}):
            if info.get("OwnerId") == account_id and info.get("VpcId") and info.get("Region"):
                wanted[info["Region"]].add(info["VpcId"])
    tags: dict[str, dict] = {}
    for vpc_region, vpc_ids in wanted.items():
        ec2 = factory.client("ec2", vpc_region)
        # A filter, unlike VpcIds, does not refuse the whole call when one VPC has since been deleted.
        in_question = [{"Name": "vpc-id", "Values": sorted(vpc_ids)}]
        for vpc in listing(ec2, "describe_vpcs", "Vpcs", Filters=in_question):
            tags[vpc["VpcId"]] = tag_dict(vpc.get("Tags"))
    return tags


def vpcs_of(item: dict) -> list[str]:
    return [(item.get(end) or {}).get("VpcId") for end in ("RequesterVpcInfo", "AccepterVpcInfo")]


def side(info: dict) -> dict:
    return {
        "vpc_id": info.get("VpcId"),
        "owner_id": info.get("OwnerId"),
        "region": info.get("Region"),
        "cidr_block": info.get("CidrBlock"),
    }
