"""GuardDuty in one region: one document with the region's detector, its status and its features."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
)

REGION = "aws.guardduty.region"
MALWARE_FEATURE = "EBS_MALWARE_PROTECTION"


@service_group(name="guardduty", resource_types=(REGION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((REGION,), region, lambda: [guardduty_settings(factory, region)])


def guardduty_settings(factory: ClientFactory, region: str) -> ResourceDoc:
    """A detector that cannot be read fails the whole region: its checks become errors, not guesses."""
    guardduty = factory.client("guardduty", region)
    detectors = [
        detector_summary(detector_id, guardduty.get_detector(DetectorId=detector_id))
        for detector_id in listing(guardduty, "list_detectors", "DetectorIds")
    ]
    return document(
        uid=settings_uid(factory.account_id(), region, "guardduty"),
        type=REGION,
        region=region,
        name=f"GuardDuty in {region}",
        config={"detectors": detectors, "errors": {}},
    )


def detector_summary(detector_id: str, detector: dict) -> dict:
    features = {item["Name"]: item.get("Status") for item in detector.get("Features") or [] if item.get("Name")}
    return {
        "id": detector_id,
        "status": detector.get("Status"),
        "features": features,
        "malware_protection": malware_protection(features, detector.get("DataSources") or {}),
    }


def malware_protection(features: dict, data_sources: dict) -> str | None:
    """ENABLED or DISABLED as the detector reports it; None when its answer does not say."""
    if MALWARE_FEATURE in features:
        return features[MALWARE_FEATURE]
    # Detectors described through the older data-sources shape report it here instead.
    scan = (data_sources.get("MalwareProtection") or {}).get("ScanEc2InstanceWithFindings") or {}
    return (scan.get("EbsVolumes") or {}).get("Status")
