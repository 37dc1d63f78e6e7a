"""GuardDuty: threat detection on in every region, with malware scanning of EC2 volumes."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, check, field, listed


def enabled_detectors(region: dict) -> list[dict]:
    detectors = field(region, "detectors")
    unknown = [item.get("id") for item in detectors if not item.get("status")]
    if unknown:
        raise MissingData(f"the status of detector {unknown[0]} was not reported")
    return [item for item in detectors if item["status"] == "ENABLED"]


@check(
    id="guardduty_enabled",
    title="GuardDuty is enabled in the region",
    resource="aws.guardduty.region",
    severity="high",
    controls=(
        "iso27001-2022:A.8.16",
        "iso27001-2013:A.12.4.1",
        "soc2-2017:CC7.2",
        "soc2-2017:CC7.3",
    ),
    remediation="""Enable GuardDuty in every region, including those you do not use (an intruder will), and
    from a delegated administrator account where you use AWS Organizations; send its findings to Security Hub
    or to the team on call.""",
)
def guardduty_enabled(region: dict) -> Result:
    detectors = field(region, "detectors")
    enabled = enabled_detectors(region)
    if enabled:
        return Result.passed(f"detector {listed(item['id'] for item in enabled)} is enabled")
    if detectors:
        return Result.failed(f"GuardDuty is suspended: detector {listed(item['id'] for item in detectors)}")
    return Result.failed("GuardDuty not enabled: no detector in the region")


@check(
    id="guardduty_malware_protection",
    title="GuardDuty scans EC2 volumes for malware in the region",
    resource="aws.guardduty.region",
    severity="medium",
    controls=(
        "iso27001-2022:A.8.7",
        "iso27001-2013:A.12.2.1",
        "soc2-2017:CC6.8",
    ),
    remediation="""Turn on GuardDuty Malware Protection for EC2 (feature EBS_MALWARE_PROTECTION) so that the
    volumes of an instance with a suspicious finding are scanned for malware.""",
)
def guardduty_malware_protection(region: dict) -> Result:
    enabled = enabled_detectors(region)
    if not enabled:
        return Result.failed("GuardDuty not enabled, so nothing scans for malware")
    statuses = {item["id"]: item.get("malware_protection") for item in enabled}
    if any(status == "ENABLED" for status in statuses.values()):
        return Result.passed("malware protection for EC2 is on")
    if any(status is None for status in statuses.values()):
        raise MissingData("the detector did not report its malware protection feature")
    return Result.failed(f"malware protection for EC2 is off on detector {listed(statuses)}")
