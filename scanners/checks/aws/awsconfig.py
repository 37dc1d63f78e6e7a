"""AWS Config: a recorder records every resource type and delivers what it records, in every region."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, check, field, listed

ALL_TYPES = "ALL_SUPPORTED_RESOURCE_TYPES"


def records_everything(recorder: dict) -> bool:
    return bool(recorder.get("all_supported")) and recorder.get("strategy") in (None, ALL_TYPES)


@check(
    id="awsconfig_recorder_records_all_resources",
    title="AWS Config records every resource type in the region and delivers the records",
    resource="aws.config.region",
    severity="medium",
    controls=("iso27001-2022:A.8.9", "iso27001-2013:A.12.1.2", "soc2-2017:CC7.1"),
    remediation="""Set up AWS Config in the region (console > AWS Config > Get started, or
    `aws configservice put-configuration-recorder` with `allSupported=true`, then `put-delivery-channel` to an
    S3 bucket and `start-configuration-recorder`); deploy it to every region with a CloudFormation StackSet
    or AWS Organizations.""",
)
def recorder_records_all_resources(region: dict) -> Result:
    recorders = field(region, "recorders")
    if not recorders:
        return Result.failed("no configuration recorder in the region")
    complete = [item for item in recorders if records_everything(item)]
    if not complete:
        return Result.failed(f"recorder {listed(item.get('name') for item in recorders)} does not record every type")
    running = [item for item in complete if item.get("recording") is True]
    if not running:
        if any(item.get("recording") is None for item in complete):
            raise MissingData("the recorder's status was not in the answer")
        return Result.failed(f"recorder {listed(item.get('name') for item in complete)} is stopped")
    if not field(region, "delivery_channels"):
        return Result.failed("the recorder has no delivery channel, so nothing it records is kept")
    if running[0].get("last_status") == "Failure":
        return Result.failed(f"recorder {running[0].get('name')} last failed to record")
    return Result.passed(f"recorder {running[0].get('name')} records every resource type")
