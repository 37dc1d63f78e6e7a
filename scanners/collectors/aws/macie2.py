"""Amazon Macie in one region: whether it is on, and its sensitive data discovery (classification) jobs."""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from scanners.aws import ClientFactory, error_code
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
    settings_uid,
)

REGION = "aws.macie2.region"
# Macie's own statuses are ENABLED and PAUSED; an account without a Macie session has none.
NOT_ENABLED = "NOT_ENABLED"


@service_group(name="macie2", resource_types=(REGION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((REGION,), region, lambda: [macie_settings(factory, region)])


def macie_settings(factory: ClientFactory, region: str) -> ResourceDoc:
    """A session that cannot be read fails the whole region; jobs that cannot be listed fail only their check."""
    macie = factory.client("macie2", region)
    status = macie_status(macie)
    reads = SubReads()
    jobs: list[dict] | None = []
    if status != NOT_ENABLED:
        jobs = reads(
            "classification_jobs",
            lambda: [job_summary(item) for item in listing(macie, "list_classification_jobs", "items")],
        )
    return document(
        uid=settings_uid(factory.account_id(), region, "macie2"),
        type=REGION,
        region=region,
        name=f"Amazon Macie in {region}",
        config={"macie_status": status, "classification_jobs": jobs, "errors": reads.errors},
    )


def macie_status(macie) -> str:
    try:
        return macie.get_macie_session()["status"]
    except ClientError as exc:
        if is_not_enabled(exc):
            return NOT_ENABLED
        raise


def is_not_enabled(exc: ClientError) -> bool:
    """AWS refuses GetMacieSession with AccessDeniedException "Macie is not enabled" where Macie is off; an IAM
    denial has the same code and another message, so the message decides. ResourceNotFoundException says
    there is no session to describe."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return code == "ResourceNotFoundException" or (
        code == "AccessDeniedException" and "Macie is not enabled" in message
    )


def job_summary(job: dict) -> dict:
    return {"id": job.get("jobId"), "name": job.get("name"), "type": job.get("jobType"), "status": job.get("jobStatus")}
