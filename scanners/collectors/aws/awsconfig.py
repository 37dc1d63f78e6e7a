"""AWS Config in one region: its configuration recorders, whether they are recording, and where they deliver."""

from __future__ import annotations

from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    service_group,
    settings_uid,
)

REGION = "aws.config.region"


@service_group(name="awsconfig", resource_types=(REGION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((REGION,), region, lambda: [config_settings(factory, region)])


def config_settings(factory: ClientFactory, region: str) -> ResourceDoc:
    client = factory.client("config", region)
    reads = SubReads()
    recorders = reads("recorders", lambda: client.describe_configuration_recorders()["ConfigurationRecorders"])
    statuses = reads(
        "recorders", lambda: client.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    )
    channels = reads("delivery_channels", lambda: client.describe_delivery_channels()["DeliveryChannels"])
    return document(
        uid=settings_uid(factory.account_id(), region, "config"),
        type=REGION,
        region=region,
        name=f"AWS Config in {region}",
        config={
            "recorders": recorder_summaries(recorders, statuses) if "recorders" not in reads.errors else None,
            "delivery_channels": channel_summaries(channels) if channels is not None else None,
            "errors": reads.errors,
        },
    )


def channel_summaries(channels: list[dict]) -> list[dict]:
    return [
        {"name": item.get("name"), "s3_bucket": item.get("s3BucketName"), "sns_topic": item.get("snsTopicARN")}
        for item in channels
    ]


def recorder_summaries(recorders: list[dict], statuses: list[dict]) -> list[dict]:
    status_by_name = {item.get("name"): item for item in statuses}
    summaries = []
    for recorder in recorders:
        group = recorder.get("recordingGroup") or {}
        status = status_by_name.get(recorder.get("name"), {})
        summaries.append(
            {
                "name": recorder.get("name"),
                "all_supported": bool(group.get("allSupported")),
                "strategy": (group.get("recordingStrategy") or {}).get("useOnly"),
                "include_global_types": bool(group.get("includeGlobalResourceTypes")),
                "resource_types": group.get("resourceTypes") or [],
                "excluded_types": (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or [],
                "recording": status.get("recording"),
                "last_status": status.get("lastStatus"),
            }
        )
    return summaries
