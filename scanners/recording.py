"""Writing what a unit saw: resources, findings and the latest result per pair, all in bulk and idempotent.

Every write is an upsert on a natural key, so a unit that runs twice (a re-delivered task, a worker
that died after writing) leaves the same rows as a unit that ran once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from scanners.checks import base as checks
from scanners.collectors.base import ResourceDoc
from scanners.models import CheckStatus, Finding, FindingStatus, Resource, ScanRun, ScanUnit

BATCH = 1000
RESOURCE_FIELDS = ["type", "region", "name", "tags", "config", "placeholder", "last_seen", "gone_at"]


def doc_as_dict(doc: ResourceDoc) -> dict:
    """What a check receives: the collector's document as plain data.

    Shallow on purpose (dataclasses.asdict deep-copies, a sixth of a 10,000-resource scan): checks
    are pure functions and never change what they read.
    """
    return {field.name: getattr(doc, field.name) for field in fields(doc)}


def resources_upsert(
    *, run: ScanRun, docs: Sequence[ResourceDoc], seen_at: datetime, placeholder: bool = False
) -> list[Resource]:
    """Insert or refresh the inventory rows; first_seen stays, gone_at clears when a resource is back."""
    unique = {doc.uid: doc for doc in docs}  # one statement may not touch the same row twice
    rows = [
        Resource(
            account_id=run.account_id,
            uid=doc.uid,
            type=doc.type,
            region=doc.region,
            name=doc.name[:300],
            tags=doc.tags,
            config=doc.config,
            placeholder=placeholder,
            first_seen=seen_at,
            last_seen=seen_at,
        )
        for doc in unique.values()
    ]
    saved = Resource.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["account", "uid"], update_fields=RESOURCE_FIELDS, batch_size=BATCH
    )
    if any(row.pk is None for row in saved):  # databases that cannot return ids from an upsert
        ids = dict(Resource.objects.filter(account_id=run.account_id, uid__in=unique).values_list("uid", "pk"))
        for row in saved:
            row.pk = ids[row.uid]
    return saved


def docs_record(*, run: ScanRun, docs: Sequence[ResourceDoc], seen_at: datetime) -> int:
    """Upsert the documents as resources, judge each with the checks of its type, record the results.

    Each check judges with the settings the run was planned with (`run.check_settings`), else its defaults.
    """
    resources = {row.uid: row for row in resources_upsert(run=run, docs=docs, seen_at=seen_at)}
    results = []
    for doc in {doc.uid: doc for doc in docs}.values():
        document = doc_as_dict(doc)
        for check in checks.checks_for(doc.type):
            result = check.run(document, run.check_settings.get(check.id))
            results.append((check, resources[doc.uid], doc.region, result.status, result.reason))
    results_record(run=run, results=results, checked_at=seen_at)
    return len(resources)


def unreadable_record(
    *, run: ScanRun, resource_types: Iterable[str], region: str, reason: str, seen_at: datetime
) -> None:
    """A read that failed: every check of those types gets an error on a placeholder for the whole scope."""
    placeholders = [
        ResourceDoc(
            uid=f"{region}/{resource_type}",
            type=resource_type,
            region=region,
            name=f"every {resource_type} in {region}",
            tags={},
            config={"unreadable": reason},
        )
        for resource_type in resource_types
        if checks.checks_for(resource_type)
    ]
    if not placeholders:
        return
    saved = resources_upsert(run=run, docs=placeholders, seen_at=seen_at, placeholder=True)
    results = [
        (check, row, region, checks.Status.ERROR, f"could not be read: {reason}")
        for row in saved
        for check in checks.checks_for(row.type)
    ]
    results_record(run=run, results=results, checked_at=seen_at)


def results_record(*, run: ScanRun, results: list[tuple], checked_at: datetime) -> None:
    """Findings of this run, and the latest result per (account, check, resource) that pages read."""
    findings = [
        Finding(
            run_id=run.pk,
            check_id=check.id,
            resource_id=resource.pk,
            region=region,
            status=FindingStatus(status),
            reason=reason,
            details={"severity": check.severity, "resource_type": check.resource_type},
        )
        for check, resource, region, status, reason in results
    ]
    Finding.objects.bulk_create(
        findings,
        update_conflicts=True,
        unique_fields=["run", "check_id", "resource"],
        update_fields=["region", "status", "reason", "details"],
        batch_size=BATCH,
    )
    latest = [
        CheckStatus(
            account_id=run.account_id,
            check_id=finding.check_id,
            resource_id=finding.resource_id,
            region=finding.region,
            status=finding.status,
            reason=finding.reason,
            run_id=run.pk,
            checked_at=checked_at,
        )
        for finding in findings
    ]
    CheckStatus.objects.bulk_create(
        latest,
        update_conflicts=True,
        unique_fields=["account", "check_id", "resource"],
        update_fields=["region", "status", "reason", "run", "checked_at"],
        batch_size=BATCH,
    )


def gone_mark(*, run: ScanRun, units: Iterable[ScanUnit], global_services: set[str]) -> int:
    """Resources this run could have seen but did not are gone; only scopes that were read completely count.

    A unit that failed to read a type says nothing about whether its resources still exist.
    """
    scope = Q()
    for unit in units:
        if not unit.types_read:
            continue
        covered = Q(type__in=unit.types_read)
        scope |= covered if unit.service in global_services else covered & Q(region=unit.region)
    if not scope:
        return 0
    gone = (
        Resource.objects.filter(account_id=run.account_id, gone_at__isnull=True, last_seen__lt=run.started_at)
        .filter(scope)
        .update(gone_at=timezone.now())
    )
    # The latest-result table describes what exists now; the findings keep the history.
    CheckStatus.objects.filter(account_id=run.account_id, resource__gone_at__isnull=False).delete()
    return gone
