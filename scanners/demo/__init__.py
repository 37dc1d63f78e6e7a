"""A demonstration AWS account with compliant and non-compliant resources side by side.

Plain boto3 calls against whatever endpoint the environment names (AWS_ENDPOINT_URL): `make run` points
it at a moto server. Every scan of the seeded account shows passes and failures for most checks, each
failure a realistic mistake (a public website bucket, SSH open to the world, a key never rotated...).
"""

from __future__ import annotations

import logging

import boto3

from scanners.demo.baseline import seed_baseline_protection, seed_network_baseline
from scanners.demo.common import MARKER_BUCKET, bucket_exists
from scanners.demo.edge import seed_session_manager, seed_web_protection
from scanners.demo.environments import seed_internet_routed_vpc, seed_organization, seed_peering
from scanners.demo.monitoring import seed_config_recorder, seed_inspector, seed_monitoring, seed_repositories
from scanners.demo.operations import seed_auto_scaling, seed_macie, seed_pipelines, seed_stacks, seed_storage_alarm
from scanners.demo.starting_set import (
    seed_backup_plan,
    seed_buckets,
    seed_compute,
    seed_databases,
    seed_identities,
    seed_keys,
    seed_load_balancers,
    seed_networks,
    seed_trails,
)

logger = logging.getLogger(__name__)


def seed_demo_account(regions: tuple[str, ...] = ("eu-west-1", "us-east-1")) -> dict[str, list[str]]:
    """Create the demo resources once; an account that already holds them is left as it is."""
    session = boto3.session.Session()
    home = regions[0]
    if bucket_exists(session.client("s3", region_name=home), MARKER_BUCKET):
        logger.info("demo account already seeded")
        return {}
    created: dict[str, list[str]] = {}
    created["s3"] = seed_buckets(session, home)
    created["iam"] = seed_identities(session.client("iam", region_name=home))
    created["cloudtrail"] = seed_trails(session, regions)
    for index, region in enumerate(regions):
        first = index == 0
        created.setdefault("vpc", []).extend(seed_networks(session, region, exposed_default_vpc=first))
        created.setdefault("ec2", []).extend(seed_compute(session, region, encrypt_by_default=first))
        created.setdefault("kms", []).extend(seed_keys(session.client("kms", region_name=region), retire_one=first))
        created.setdefault("inspector2", []).extend(seed_inspector(session, region, everything=first))
        if first:
            created["elbv2"] = seed_load_balancers(session, region)
            created["rds"] = seed_databases(session, region)
            created["backup"] = seed_backup_plan(session.client("backup", region_name=region))
            created["awsconfig"] = seed_config_recorder(session, region)
            created["ecr"] = seed_repositories(session.client("ecr", region_name=region))
    created["monitoring"] = seed_monitoring(session, regions)
    created["baseline_protection"] = seed_baseline_protection(session, regions)
    created["autoscaling"] = seed_auto_scaling(session, home)
    created["rds"] += seed_storage_alarm(session, home)
    created["macie2"] = seed_macie(session, regions)
    created["codepipeline"] = seed_pipelines(session, home)
    created["cloudformation"] = seed_stacks(session, home)
    created["network-baseline"] = seed_network_baseline(session, regions)
    created["web_protection"] = seed_web_protection(session, home)
    created["ssm"] = seed_session_manager(session, regions)
    created["organizations"] = seed_organization(session)
    created["vpcpeering"] = seed_peering(session.client("ec2", region_name=home))
    created["dnsfirewall"] = seed_internet_routed_vpc(session.client("ec2", region_name=home))
    return created
