"""CloudWatch alarms on CloudTrail events: one document for the account.

It follows each multi-region trail to the log group it delivers to, and lists that group's metric filters
with the alarms on each filter's metric. Which filter watches which event is the checks' judgement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    GLOBAL_REGION,
    CollectionError,
    ResourceDoc,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
)

ALARMS = "aws.cloudwatch.security_alarms"


@service_group(name="cloudwatch", is_global=True, resource_types=(ALARMS,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((ALARMS,), GLOBAL_REGION, lambda: [security_alarms(factory, region)])


def security_alarms(factory: ClientFactory, region: str) -> ResourceDoc:
    # With shadow trails, any region lists the multi-region trails of every home region.
    found = factory.client("cloudtrail", region).describe_trails(includeShadowTrails=True).get("trailList", [])
    trails = delivering_trails(found)
    filters: list[dict] = []
    alarms: dict[str, dict] = {}
    for group_region, group_name in sorted({(trail["log_group_region"], trail["log_group"]) for trail in trails}):
        if group_region not in alarms:
            alarms[group_region] = alarms_by_metric(factory.client("cloudwatch", group_region))
        logs = factory.client("logs", group_region)
        for item in listing(logs, "describe_metric_filters", "metricFilters", logGroupName=group_name):
            filters.append(filter_summary(item, group_region, alarms[group_region]))
    return document(
        uid=settings_uid(factory.account_id(), GLOBAL_REGION, "security-alarms"),
        type=ALARMS,
        region=GLOBAL_REGION,
        name="CloudWatch alarms on CloudTrail events",
        config={"trails": trails, "filters": filters, "errors": {}},
    )


def delivering_trails(found: list[dict]) -> list[dict]:
    """The multi-region trails that deliver to CloudWatch Logs, once each."""
    trails = {}
    for trail in found:
        arn = trail.get("CloudWatchLogsLogGroupArn")
        if trail.get("IsMultiRegionTrail") and arn:
            group_region, group_name = log_group_of(arn)
            trails[trail["TrailARN"]] = {
                "name": trail["Name"],
                "arn": trail["TrailARN"],
                "home_region": trail.get("HomeRegion"),
                "log_group": group_name,
                "log_group_region": group_region,
            }
    return sorted(trails.values(), key=lambda item: item["arn"])


def log_group_of(arn: str) -> tuple[str, str]:
    """Region and name from arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*"""
    parts = arn.split(":", 6)
    return parts[3], parts[6].removesuffix(":*")


def alarms_by_metric(cloudwatch) -> dict[tuple[str, str], list[dict]]:
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for alarm in listing(cloudwatch, "describe_alarms", "MetricAlarms"):
        summary = {
            "name": alarm["AlarmName"],
            "actions_enabled": bool(alarm.get("ActionsEnabled")),
            "alarm_actions": alarm.get("AlarmActions") or [],
        }
        for metric in alarm_metrics(alarm):
            found[metric].append(summary)
    return found


def alarm_metrics(alarm: dict) -> set[tuple[str, str]]:
    """The (namespace, name) of every metric an alarm watches, alone or inside metric math."""
    metrics = set()
    if alarm.get("MetricName"):
        metrics.add((alarm.get("Namespace", ""), alarm["MetricName"]))
    for query in alarm.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        if metric.get("MetricName"):
            metrics.add((metric.get("Namespace", ""), metric["MetricName"]))
    return metrics


def filter_summary(item: dict, region: str, alarms: dict[tuple[str, str], list[dict]]) -> dict:
    metrics = [
        (transformation.get("metricNamespace", ""), transformation.get("metricName", ""))
        for transformation in item.get("metricTransformations") or []
    ]
    return {
        "name": item["filterName"],
        "log_group": item.get("logGroupName"),
        "region": region,
        "pattern": item.get("filterPattern", ""),
        "metrics": [{"namespace": namespace, "name": name} for namespace, name in metrics],
        "alarms": [alarm for metric in metrics for alarm in alarms.get(metric, [])],
    }
