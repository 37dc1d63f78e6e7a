"""Fixtures shared by the register's tests."""

import pytest
from django.utils import timezone

from compliance.register_io import RegisterInvalid, import_register, parse_register
from scanners import automation, engine, recording
from scanners.checks import base as checks
from scanners.collectors.base import ResourceDoc
from scanners.models import RunState, ScanRun


@pytest.fixture
def problems(ciso):
    """(row, column, message) of every problem the import reports for a file."""

    def collect(path) -> list[tuple]:
        with pytest.raises(RegisterInvalid) as caught:
            import_register(parse_register(path), actor=ciso)
        return [(e.row, e.column, e.message) for e in caught.value.errors]

    return collect


@pytest.fixture
def cloud_account(db):
    from scanners.services import cloud_account_create

    return cloud_account_create(name="prod", regions="eu-west-1", schedule="")


def scanned(account, results: dict[str, list[str]]) -> ScanRun:
    """A finished scan: each real check judged one resource per status listed (`{"check": ["fail", "pass"]}`)."""
    engine.registries_load()
    now = timezone.now()
    run = ScanRun.objects.create(account=account, state=RunState.SUCCEEDED, started_at=now, finished_at=now)
    docs, planned = [], []
    for check_id, statuses in results.items():
        check = checks.REGISTRY[check_id]
        for index, status in enumerate(statuses):
            uid = f"{check_id}-{index}"
            docs.append(
                ResourceDoc(uid=uid, type=check.resource_type, region="eu-west-1", name=uid, tags={}, config={})
            )
            planned.append((check, uid, status))
    resources = {row.uid: row for row in recording.resources_upsert(run=run, docs=docs, seen_at=now)}
    rows = [(check, resources[uid], "eu-west-1", status, f"{check.id} {status}") for check, uid, status in planned]
    recording.results_record(run=run, results=rows, checked_at=now)
    ScanRun.objects.filter(pk=run.pk).update(units_done=1, units_total=1)  # as the engine counts a unit done
    automation.scan_conclude(run=run)
    return run
