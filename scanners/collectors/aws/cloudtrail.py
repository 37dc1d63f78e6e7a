"""CloudTrail in one region: the trails whose home is this region, and one document listing every trail
that records this region (its own, and multi-region trails from elsewhere)."""

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

TRAIL = "aws.cloudtrail.trail"
REGION = "aws.cloudtrail.region"


@service_group(name="cloudtrail", resource_types=(TRAIL, REGION))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((TRAIL, REGION), region, lambda: trails(factory, region))


def trails(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    # DescribeTrails has no paginator; with shadow trails it also lists multi-region trails from elsewhere.
    found = factory.client("cloudtrail", region).describe_trails(includeShadowTrails=True).get("trailList", [])
    covering = []
    for trail in found:
        reads = SubReads()
        home = trail.get("HomeRegion") or region
        # The trail's status is asked in its home region, where AWS keeps it.
        status = reads("logging", lambda trail=trail, home=home: trail_status(factory, home, trail["TrailARN"]))
        summary = {
            "name": trail["Name"],
            "arn": trail["TrailARN"],
            "home_region": home,
            "multi_region": bool(trail.get("IsMultiRegionTrail")),
            "organization": bool(trail.get("IsOrganizationTrail")),
            "logging": status,
            "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
            "s3_bucket": trail.get("S3BucketName"),
            "cloudwatch_log_group": trail.get("CloudWatchLogsLogGroupArn"),
            "kms_key_id": trail.get("KmsKeyId"),
            "include_global_events": bool(trail.get("IncludeGlobalServiceEvents")),
            "errors": reads.errors,
        }
        covering.append(summary)
        if home == region:
            yield document(uid=trail["TrailARN"], type=TRAIL, region=region, name=trail["Name"], config=summary)
    account_id = factory.account_id()
    yield document(
        uid=settings_uid(account_id, region, "cloudtrail"),
        type=REGION,
        region=region,
        name=f"CloudTrail coverage of {region}",
        config={"trails": covering, "errors": {}},
    )


def trail_status(factory: ClientFactory, home_region: str, trail_arn: str) -> bool:
    return bool(factory.client("cloudtrail", home_region).get_trail_status(Name=trail_arn).get("IsLogging"))
