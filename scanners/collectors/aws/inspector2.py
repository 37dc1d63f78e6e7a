"""Amazon Inspector in one region: which resource types it scans, and its active critical findings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from scanners.aws import ClientFactory
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

REGION = "aws.inspector2.region"
SCANNED_TYPES = ("ec2", "ecr", "lambda", "lambdaCode")
ACTIVE_CRITICAL = {
    "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
    "severity": [{"comparison": "EQUALS", "value": "CRITICAL"}],
}


class AccountNotInAnswer(Exception):
    """BatchGetAccountStatus named the account as failed, or did not name it at all."""


@service_group(name="inspector2", resource_types=(REGION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((REGION,), region, lambda: [inspector_settings(factory, region)])


def inspector_settings(factory: ClientFactory, region: str) -> ResourceDoc:
    inspector = factory.client("inspector2", region)
    account_id = factory.account_id()
    reads = SubReads()
    collected_at = datetime.now(UTC)
    status = reads("account_status", lambda: account_status(inspector, account_id))
    findings = reads(
        "critical_findings",
        lambda: [
            finding_summary(item)
            for item in listing(inspector, "list_findings", "findings", filterCriteria=ACTIVE_CRITICAL)
        ],
    )
    return document(
        uid=settings_uid(account_id, region, "inspector2"),
        type=REGION,
        region=region,
        name=f"Amazon Inspector in {region}",
        config={
            "account_status": status,
            "critical_findings": findings,
            "collected_at": collected_at,
            "errors": reads.errors,
        },
    )


def account_status(inspector, account_id: str) -> dict[str, str | None]:
    answer = inspector.batch_get_account_status(accountIds=[account_id])
    for account in answer.get("accounts", []):
        if account.get("accountId") == account_id:
            states = account.get("resourceState") or {}
            return {kind: (states.get(kind) or {}).get("status") for kind in SCANNED_TYPES}
    for failed in answer.get("failedAccounts", []):
        if failed.get("accountId") == account_id:
            raise AccountNotInAnswer(f"{failed.get('errorCode')}: {failed.get('errorMessage')}")
    raise AccountNotInAnswer(f"BatchGetAccountStatus did not answer for account {account_id}")


def finding_summary(finding: dict) -> dict:
    return {
        "arn": finding.get("findingArn"),
        "title": finding.get("title"),
        "first_observed": finding.get("firstObservedAt"),
        "resources": [item.get("id") for item in finding.get("resources", [])],
    }
