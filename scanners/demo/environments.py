"""Environment separation and web filtering: Organizations, VPC peering, an internet-routed VPC."""

from __future__ import annotations

from scanners.demo.common import ACCOUNT


def environment_vpc(ec2, name: str, cidr: str, environment: str) -> str:
    tags = [{"Key": "Name", "Value": name}, {"Key": "environment", "Value": environment}]
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]["VpcId"]


def seed_organization(session) -> list[str]:
    """The demo account, tagged production, sits in Workloads/Prod beside an empty Workloads/Dev, and SCPs are on
    at the root: yet nothing beyond FullAWSAccess guards Prod. (One organization per account: each check shows
    one side. No member account is created: moto would give each one an IAM of its own, slow to reset.)"""
    organizations = session.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    workloads = organizations.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]
    prod = organizations.create_organizational_unit(ParentId=workloads["Id"], Name="Prod")["OrganizationalUnit"]
    organizations.create_organizational_unit(ParentId=workloads["Id"], Name="Dev")
    organizations.move_account(AccountId=ACCOUNT, SourceParentId=root, DestinationParentId=prod["Id"])
    organizations.tag_resource(ResourceId=ACCOUNT, Tags=[{"Key": "environment", "Value": "production"}])
    return ["Workloads/Prod", "Workloads/Dev"]


def seed_peering(ec2) -> list[str]:
    """The shop's production VPC peers with production reporting (fine) and with a development VPC (not)."""
    shop = environment_vpc(ec2, "shop-prod", "10.30.0.0/16", "production")
    reporting = environment_vpc(ec2, "shop-reporting", "10.31.0.0/16", "production")
    development = environment_vpc(ec2, "shop-dev", "10.32.0.0/16", "dev")
    for name, peer in (("shop-to-reporting", reporting), ("shop-to-dev", development)):
        tags = [{"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "Name", "Value": name}]}]
        connection = ec2.create_vpc_peering_connection(VpcId=shop, PeerVpcId=peer, TagSpecifications=tags)
        ec2.accept_vpc_peering_connection(
            VpcPeeringConnectionId=connection["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        )
    return ["shop-prod", "shop-reporting", "shop-dev", "shop-to-reporting", "shop-to-dev"]


def seed_internet_routed_vpc(ec2) -> list[str]:
    """A storefront VPC routed to an internet gateway. moto has no DNS Firewall, so its web filtering check is
    an error in the demo (never a pass); VPCs without such a route are not applicable."""
    storefront = environment_vpc(ec2, "storefront", "10.40.0.0/16", "production")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=storefront)
    main_table = [{"Name": "vpc-id", "Values": [storefront]}, {"Name": "association.main", "Values": ["true"]}]
    table = ec2.describe_route_tables(Filters=main_table)["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    return ["storefront"]
