"""Amazon Macie: on in the region, with a recurring job that finds sensitive data in S3."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, check, field, listed

REGION = "aws.macie2.region"
NOT_ENABLED = "NOT_ENABLED"
DATA_DISCOVERY = ("iso27001-2022:A.8.11", "iso27001-2022:A.5.12", "iso27001-2013:A.8.2.1", "soc2-2017:C1.1")
# A recurring job between runs is IDLE; PAUSED (quota), USER_PAUSED and CANCELLED jobs do not run.
RUNS_ON_SCHEDULE = ("RUNNING", "IDLE")


def status_of(region: dict) -> str:
    status = field(region, "macie_status")
    if status not in ("ENABLED", "PAUSED", NOT_ENABLED):
        raise MissingData(f"Macie status {status!r} is not one AWS documents")
    return status


@check(
    id="macie2_enabled",
    title="Amazon Macie is enabled in the region",
    resource=REGION,
    severity="medium",
    controls=DATA_DISCOVERY,
    remediation="""Enable Amazon Macie in every region that holds S3 data (console > Amazon Macie > Get
    started, or `aws macie2 enable-macie`); in an organisation, let the delegated administrator enable it for
    member accounts. A PAUSED account keeps its settings but runs nothing: resume it.""",
)
def macie_enabled(region: dict) -> Result:
    status = status_of(region)
    if status == "ENABLED":
        return Result.passed("Macie is enabled")
    if status == "PAUSED":
        return Result.failed("Macie is suspended (PAUSED): it discovers nothing")
    return Result.failed("Macie is not enabled in the region")


@check(
    id="macie2_recurring_classification_job",
    title="A recurring Amazon Macie classification job looks for sensitive data",
    resource=REGION,
    severity="medium",
    controls=DATA_DISCOVERY,
    remediation="""Create a scheduled (daily, weekly or monthly) sensitive data discovery job over the
    buckets that may hold personal or confidential data, and resume or recreate jobs that were paused or
    cancelled; feed its findings to the people who own the data.""",
)
def recurring_classification_job(region: dict) -> Result:
    status = status_of(region)
    if status == NOT_ENABLED:
        return Result.failed("Macie is not enabled, so no classification job runs")
    if status == "PAUSED":
        return Result.failed("Macie is suspended (PAUSED), so its classification jobs do not run")
    jobs = field(region, "classification_jobs")
    recurring = [job for job in jobs if job.get("type") == "SCHEDULED"]
    running = [job.get("name") for job in recurring if job.get("status") in RUNS_ON_SCHEDULE]
    if running:
        return Result.passed(f"recurring job {listed(running)} runs on schedule")
    if any(not job.get("status") for job in recurring):
        raise MissingData("the status of a recurring classification job was not reported")
    if recurring:
        stopped = [f"{job.get('name')} ({job.get('status')})" for job in recurring]
        return Result.failed(f"recurring jobs do not run: {listed(stopped)}")
    if jobs:
        return Result.failed(f"no recurring job: {len(jobs)} one-time jobs only")
    return Result.failed("no classification job")
