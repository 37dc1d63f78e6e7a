"""Amazon Inspector: scanning is on for EC2, ECR and Lambda, and no critical finding stays open for long."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, Setting, check, field, listed, none_open_too_long, timestamp

REGION = "aws.inspector2.region"
REQUIRED_TYPES = {"ec2": "EC2", "ecr": "ECR", "lambda": "Lambda"}
VULNERABILITIES = ("iso27001-2022:A.8.8", "iso27001-2013:A.12.6.1", "soc2-2017:CC7.1")


def status_of(region: dict, kind: str) -> str:
    status = field(region, "account_status").get(kind)
    if status is None:
        raise MissingData(f"Inspector's {REQUIRED_TYPES.get(kind, kind)} scanning state was not in the answer")
    return status


@check(
    id="inspector2_enabled",
    title="Amazon Inspector scans EC2, ECR and Lambda in the region",
    resource=REGION,
    severity="high",
    controls=VULNERABILITIES,
    remediation="""Activate Amazon Inspector for EC2, ECR and Lambda in every region you use (console >
    Amazon Inspector > Activate, or `aws inspector2 enable --resource-types EC2 ECR LAMBDA`); in an
    organisation, let the delegated administrator turn it on for every member account.""",
)
def inspector_enabled(region: dict) -> Result:
    states = {name: status_of(region, kind) for kind, name in REQUIRED_TYPES.items()}
    off = [f"{name} ({state})" for name, state in states.items() if state != "ENABLED"]
    if off:
        return Result.failed(f"Inspector does not scan {listed(off)}")
    return Result.passed("Inspector scans EC2, ECR and Lambda")


@check(
    id="inspector2_no_old_critical_findings",
    title="No critical Amazon Inspector finding stays open beyond the patch window",
    resource=REGION,
    severity="high",
    controls=VULNERABILITIES,
    remediation="""Patch or rebuild the affected instances, images and functions (Inspector names the fixed
    package version), or record a risk acceptance with a suppression rule and an exemption; critical
    vulnerabilities should be fixed within the patch window your vulnerability policy sets.""",
    settings={"max_age_days": Setting(30, "Days an active critical finding may stay open before it is a failure")},
)
def no_old_critical_findings(region: dict, settings: dict) -> Result:
    if not any(status_of(region, kind) == "ENABLED" for kind in REQUIRED_TYPES):
        return Result.not_applicable("Inspector scans nothing in the region, so it has no findings to judge")
    return none_open_too_long(
        field(region, "critical_findings"),
        now=timestamp(field(region, "collected_at"), "collection time"),
        max_age_days=settings["max_age_days"],
        opened_at=lambda finding: timestamp(finding.get("first_observed"), f"first sighting of {finding.get('title')}"),
        describe=lambda finding: f"{finding.get('title')} on {listed(finding.get('resources') or [])}",
        what="active critical findings",
    )
