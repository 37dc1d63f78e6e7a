"""ECR in one region: its repositories (scan on push, tag mutability) and the registry's scanning setting."""

from __future__ import annotations

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
    settings_uid,
)

REPOSITORY = "aws.ecr.repository"
REGISTRY = "aws.ecr.registry"


@service_group(name="ecr", resource_types=(REPOSITORY, REGISTRY))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    ecr = factory.client("ecr", region)
    reads = SubReads()
    # Whether a repository is scanned depends on the registry's setting too, so every document carries it.
    scanning = reads("registry_scanning", lambda: registry_scanning(ecr))
    yield from collected((REPOSITORY,), region, lambda: repositories(ecr, region, scanning, reads.errors))
    yield from collected((REGISTRY,), region, lambda: [registry(factory, region, scanning, reads.errors)])


def registry_scanning(ecr) -> dict:
    configuration = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    return {
        "scan_type": configuration.get("scanType"),
        "rules": [
            {
                "frequency": rule.get("scanFrequency"),
                "filters": [item.get("filter") for item in rule.get("repositoryFilters", [])],
            }
            for rule in configuration.get("rules", [])
        ],
    }


def repositories(ecr, region: str, scanning: dict | None, errors: dict) -> Iterator[ResourceDoc]:
    for repository in listing(ecr, "describe_repositories", "repositories"):
        exclusions = repository.get("imageTagMutabilityExclusionFilters") or []
        yield document(
            uid=repository["repositoryArn"],
            type=REPOSITORY,
            region=region,
            name=repository["repositoryName"],
            config={
                "repository_name": repository["repositoryName"],
                "uri": repository.get("repositoryUri"),
                "scan_on_push": bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush")),
                "tag_mutability": repository.get("imageTagMutability"),
                "tag_mutability_exclusions": [item.get("filter") for item in exclusions],
                "encryption": (repository.get("encryptionConfiguration") or {}).get("encryptionType"),
                "registry_scanning": scanning,
                "errors": dict(errors),
            },
        )


def registry(factory: ClientFactory, region: str, scanning: dict | None, errors: dict) -> ResourceDoc:
    return document(
        uid=settings_uid(factory.account_id(), region, "ecr-registry"),
        type=REGISTRY,
        region=region,
        name=f"ECR registry in {region}",
        config={"registry_scanning": scanning, "errors": dict(errors)},
    )
