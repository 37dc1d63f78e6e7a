"""CloudTrail: every region recorded by a multi-region trail that logs, validates and delivers."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, check, field, listed

LOGGING = (
    "iso27001-2022:A.8.15",
    "iso27001-2022:A.8.16",
    "iso27001-2013:A.12.4.1",
    "iso27001-2013:A.12.4.3",
    "soc2-2017:CC7.2",
)


def shortcomings(trail: dict) -> list[str]:
    """What keeps a trail from being the account's audit log; an unread status raises MissingData."""
    problems = []
    if not trail.get("multi_region"):
        problems.append("single-region")
    if "logging" in (trail.get("errors") or {}):
        raise MissingData(f"status of trail {trail.get('name')} could not be read: {trail['errors']['logging']}")
    if not trail.get("logging"):
        problems.append("not logging")
    if not trail.get("log_file_validation"):
        problems.append("no log file validation")
    if not trail.get("s3_bucket") and not trail.get("cloudwatch_log_group"):
        problems.append("no delivery to S3 or CloudWatch Logs")
    return problems


@check(
    id="cloudtrail_multi_region_trail",
    title="A multi-region CloudTrail trail with log file validation records the region",
    resource="aws.cloudtrail.region",
    severity="high",
    controls=LOGGING,
    remediation="""Create one multi-region trail (an organization trail where you use AWS Organizations) with
    log file validation on, delivering to an S3 bucket in a separate logging account and to CloudWatch Logs
    for alerting.""",
)
def multi_region_trail(region: dict) -> Result:
    trails = field(region, "trails")
    if not trails:
        return Result.failed("no trail records this region")
    verdicts: dict[str, list[str] | str] = {}
    for trail in trails:
        try:
            verdicts[trail.get("name")] = shortcomings(trail)
        except MissingData as exc:
            verdicts[trail.get("name")] = str(exc)
    good = [name for name, problems in verdicts.items() if problems == []]
    if good:
        return Result.passed(f"recorded by {listed(good)}")
    unknown = [problems for problems in verdicts.values() if isinstance(problems, str)]
    if unknown:
        raise MissingData(unknown[0])
    described = [f"{name} ({', '.join(problems)})" for name, problems in verdicts.items()]
    return Result.failed(f"no trail qualifies: {listed(described)}")


@check(
    id="cloudtrail_trail_log_file_validation",
    title="CloudTrail trail validates its log files",
    resource="aws.cloudtrail.trail",
    severity="medium",
    controls=(
        "iso27001-2022:A.8.15",
        "iso27001-2013:A.12.4.2",
        "iso27001-2013:A.12.4.3",
        "soc2-2017:CC7.2",
    ),
    remediation="""Turn on log file validation (`aws cloudtrail update-trail --enable-log-file-validation`)
    so that digest files prove whether a log file was changed or deleted after delivery.""",
)
def trail_log_file_validation(trail: dict) -> Result:
    if field(trail, "log_file_validation"):
        return Result.passed("log file validation is on")
    return Result.failed("log file validation is off")


@check(
    id="cloudtrail_trail_logging",
    title="CloudTrail trail is logging",
    resource="aws.cloudtrail.trail",
    severity="high",
    controls=LOGGING,
    remediation="""Start logging on the trail (`aws cloudtrail start-logging`) and alert on StopLogging and
    DeleteTrail events, which are what an intruder does first.""",
)
def trail_logging(trail: dict) -> Result:
    if field(trail, "logging"):
        return Result.passed("the trail is logging")
    return Result.failed("the trail is not logging")
