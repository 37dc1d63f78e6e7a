"""CloudTrail trails and CloudWatch Logs log groups."""

from __future__ import annotations

from scanners.plan.reader import Plan, PlanResource
from scanners.plan.translate import doc, translates


@translates("aws_cloudtrail", "aws.cloudtrail.trail")
def trail(plan: Plan, resource: PlanResource) -> dict:
    name = resource.get("name")
    region = plan.region()
    summary = {
        "name": name,
        "arn": resource.get("arn"),
        "home_region": region,
        "multi_region": resource.get("is_multi_region_trail", unset=False),
        "organization": resource.get("is_organization_trail", unset=False),
        "logging": resource.get("enable_logging", unset=True),
        "log_file_validation": resource.get("enable_log_file_validation", unset=False),
        "s3_bucket": resource.get("s3_bucket_name"),
        "cloudwatch_log_group": resource.get("cloud_watch_logs_group_arn", unset=None),
        "kms_key_id": resource.get("kms_key_id", unset=None),
        "include_global_events": resource.get("include_global_service_events", unset=True),
    }
    return doc(
        resource=resource,
        type="aws.cloudtrail.trail",
        region=region,
        name=name,
        config=summary,
    )


@translates("aws_cloudwatch_log_group", "aws.logs.log_group")
def log_group(plan: Plan, resource: PlanResource) -> dict:
    # Terraform's 0 and AWS's missing retentionInDays both mean events never expire.
    days = resource.get("retention_in_days", unset=0)
    return doc(
        resource=resource,
        type="aws.logs.log_group",
        region=plan.region(),
        name=resource.get("name"),
        config={
            "retention_in_days": days or None if isinstance(days, int) else days,
            "stored_bytes": 0,
            "kms_key_id": resource.get("kms_key_id", unset=None),
        },
    )
