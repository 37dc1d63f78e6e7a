"""ECR: images are scanned for vulnerabilities when pushed, and tags cannot be moved to other images."""

from __future__ import annotations

import re

from scanners.checks.base import MissingData, Result, check, field, listed

REPOSITORY = "aws.ecr.repository"


def matches(pattern: str, name: str) -> bool:
    """An ECR repository filter: `*` stands for any run of characters, everything else is literal."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name) is not None


def covering_rules(scanning: dict, name: str) -> list[dict]:
    return [
        rule
        for rule in scanning.get("rules") or []
        if rule.get("frequency") in {"SCAN_ON_PUSH", "CONTINUOUS_SCAN"}
        and any(matches(pattern, name) for pattern in rule.get("filters") or [])
    ]


@check(
    id="ecr_repository_scan_on_push",
    title="ECR repository images are scanned for vulnerabilities when pushed",
    resource=REPOSITORY,
    severity="medium",
    controls=("iso27001-2022:A.8.8", "iso27001-2013:A.12.6.1", "soc2-2017:CC7.1"),
    remediation="""Turn on enhanced scanning for the registry (ECR > Private registry > Scanning, or
    `aws ecr put-registry-scanning-configuration --scan-type ENHANCED` with a rule whose filter is `*`), which
    scans on push and again when new vulnerabilities are published; at least turn on basic scan on push.""",
)
def repository_scan_on_push(repository: dict) -> Result:
    scanning = field(repository, "registry_scanning")
    name = field(repository, "repository_name")
    scan_type = scanning.get("scan_type")
    if scan_type not in {"BASIC", "ENHANCED"}:
        raise MissingData(f"the registry's scan type is unknown: {scan_type!r}")
    rules = covering_rules(scanning, name)
    if scan_type == "ENHANCED":
        # With enhanced scanning the registry's rules decide alone; the repository's own flag is ignored.
        if rules:
            return Result.passed(f"enhanced scanning ({rules[0]['frequency']}) covers the repository")
        return Result.failed("enhanced scanning is on, but no registry rule covers this repository")
    if rules:
        return Result.passed("a registry rule scans its images on push")
    if field(repository, "scan_on_push"):
        return Result.passed("images are scanned on push")
    return Result.failed("images are never scanned on push")


@check(
    id="ecr_repository_tags_immutable",
    title="ECR repository tags are immutable",
    resource=REPOSITORY,
    severity="low",
    controls=("iso27001-2022:A.8.19", "iso27001-2013:A.12.5.1", "soc2-2017:CC8.1"),
    remediation="""Make the tags immutable (`aws ecr put-image-tag-mutability --image-tag-mutability
    IMMUTABLE`) and deploy by a unique tag or by digest, so a released tag always names the image that was
    reviewed and scanned.""",
)
def repository_tags_immutable(repository: dict) -> Result:
    mutability = field(repository, "tag_mutability")
    if mutability == "IMMUTABLE":
        return Result.passed("tags cannot be overwritten")
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        exclusions = field(repository, "tag_mutability_exclusions")
        return Result.passed(f"tags cannot be overwritten, except those matching {listed(exclusions)}")
    return Result.failed(f"tags can be moved to another image ({mutability})")
