"""Running a scan: plan units, run each unit once, finish the run after the last one.

A run is split into units (one service group in one region; global groups once, in the home region)
so that Celery workers on many machines can share it. Each step claims its work with one atomic
UPDATE, so a re-delivered task (acks_late) or a second worker does nothing twice; a claim older than
the lease is taken over, because its worker died. The unit that completes a run finishes it; the
finishing check locks the run row, so exactly one finisher runs however the units interleave. This
needs no Celery result backend (a chord would) and works the same in-process and on real workers.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import botocore.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from scanners import automation, recording
from scanners.aws import ClientFactory, shared_factory
from scanners.collectors import base as collectors
from scanners.collectors.base import CollectionError, read_error_text
from scanners.github import GitHubClient
from scanners.models import (
    FINISHED_STATES,
    CheckSetting,
    CloudAccount,
    Provider,
    Resource,
    RunState,
    ScanRun,
    ScanUnit,
    UnitState,
)

logger = logging.getLogger(__name__)

# Errors worth another attempt: the network or the database went away for a moment.
RETRYABLE = (botocore.exceptions.ConnectionError, OperationalError, InterfaceError)
REGISTRY_MODULES = (
    "scanners.collectors.aws",
    "scanners.checks.aws",
    "scanners.collectors.github",
    "scanners.checks.github",
)
DISCOVERY_REGION = "us-east-1"
DOC_BATCH = 500


def registries_load() -> None:
    """Importing the collectors and checks of every source (AWS, GitHub) registers them."""
    for name in REGISTRY_MODULES:
        importlib.import_module(name)


def client_factory_for(account: CloudAccount) -> ClientFactory | GitHubClient:
    """What the account's collectors read through; both answer `account_id()`, which planning uses to reach it.

    An AWS account's factory is the process's shared one: a worker's units of the account reuse its clients."""
    if account.provider == Provider.GITHUB:
        return GitHubClient.from_environment(account.account_id)
    return shared_factory(role_arn=account.role_arn, external_id=account.external_id)


def error_text(exc: BaseException) -> str:
    return read_error_text(exc)


def regions_resolve(account: CloudAccount, factory) -> list[str]:
    """The configured regions, or every region enabled for the account; the first is the home region."""
    if not account.scans_all_regions:
        return list(account.regions)
    regions = factory.client("ec2", DISCOVERY_REGION).describe_regions()["Regions"]
    names = sorted(region["RegionName"] for region in regions)
    return sorted(names, key=lambda name: name != DISCOVERY_REGION)  # global services live in us-east-1


def _fallback_regions(account: CloudAccount) -> list[str]:
    """Where to record errors when the account could not even be asked for its regions."""
    if not account.scans_all_regions:
        return list(account.regions)
    known = Resource.objects.filter(account=account).exclude(region="global").values_list("region", flat=True)
    return sorted(set(known)) or [DISCOVERY_REGION]


def _units_for(run: ScanRun, regions: list[str]) -> list[ScanUnit]:
    """The groups of the account's provider: global ones once, in the home region (the first); regional
    groups in every region. A GitHub organisation has one region, `global`."""
    units = []
    for group in collectors.SERVICE_GROUPS.values():
        if group.provider != run.account.provider:
            continue
        for region in regions[:1] if group.is_global else regions:
            units.append(ScanUnit(run=run, region=region, service=group.name))
    return units


def _lease_expired_before():
    return timezone.now() - timedelta(seconds=settings.SCAN_UNIT_LEASE_SECONDS)


def _plan_claim(run_id: int, now) -> bool:
    """Take the queued run; or take over a run whose planner died before it created the units."""
    died = Q(state=RunState.RUNNING, units_total=0, started_at__lt=_lease_expired_before())
    claimable = ScanRun.objects.filter(Q(state=RunState.QUEUED) | died, pk=run_id)
    return bool(claimable.update(state=RunState.RUNNING, started_at=now))


def scan_plan(*, run_id: int, final_attempt: bool = True) -> list[int]:
    """Claim the queued run, reach the account, and create its units; returns the units left to do.

    A re-delivered plan task finds the run already running and returns the units nobody has claimed.
    A planner that fails gives the run back for the retry, or on its last attempt fails it with the reason.
    """
    registries_load()
    now = timezone.now()
    if not _plan_claim(run_id, now):
        return list(ScanUnit.objects.filter(run_id=run_id, state=UnitState.QUEUED).values_list("pk", flat=True))
    try:
        run = ScanRun.objects.select_related("account").get(pk=run_id)
        _check_settings_snapshot(run)
        return _plan_units(run, final_attempt)
    except RETRYABLE as exc:
        if not final_attempt:
            _on_fresh_connection(
                lambda: ScanRun.objects.filter(pk=run_id, state=RunState.RUNNING, started_at=now).update(
                    state=RunState.QUEUED, started_at=None
                )
            )
            raise
        run_fail(run_id=run_id, reason=f"planning failed: {error_text(exc)}")
    except Exception as exc:  # noqa: BLE001 - a run that cannot be planned fails with the reason, never silently
        logger.exception("planning scan %s failed", run_id)
        run_fail(run_id=run_id, reason=f"planning failed: {error_text(exc)}")
    return []


def _check_settings_snapshot(run: ScanRun) -> None:
    """Every unit of the run judges with the account's settings as they are now, whatever is changed mid-scan."""
    run.check_settings = CheckSetting.objects.filter(account_id=run.account_id).overrides()
    run.save(update_fields=["check_settings"])


def _plan_units(run: ScanRun, final_attempt: bool) -> list[int]:
    account = run.account
    try:
        factory = client_factory_for(account)
        reached_id = factory.account_id()
        regions = regions_resolve(account, factory)
    except RETRYABLE as exc:
        if not final_attempt:
            raise
        return _plan_unreachable(run, error_text(exc))
    except Exception as exc:  # noqa: BLE001 - an account we cannot reach is a failed run, not a crash
        return _plan_unreachable(run, error_text(exc))
    if reached_id and not account.account_id:
        CloudAccount.objects.filter(pk=account.pk).update(account_id=reached_id)
    with transaction.atomic():
        units = ScanUnit.objects.bulk_create(_units_for(run, regions), ignore_conflicts=True)
        total = run.units.count()
        ScanRun.objects.filter(pk=run.pk).update(units_total=total)
    if not units:
        ScanRun.objects.filter(pk=run.pk).update(
            errors=[{"region": "", "service": "", "reason": "no service groups are installed to scan"}]
        )
    return list(run.units.filter(state=UnitState.QUEUED).values_list("pk", flat=True))


def run_fail(*, run_id: int, reason: str) -> bool:
    """End an unfinished run as failed, saying why; over a fresh connection if the old one died."""

    def fail() -> int:
        return (
            ScanRun.objects.filter(pk=run_id)
            .exclude(state__in=FINISHED_STATES)
            .update(
                state=RunState.FAILED,
                finished_at=timezone.now(),
                errors=[{"region": "", "service": "", "reason": reason}],
            )
        )

    return bool(_on_fresh_connection(fail))


def _on_fresh_connection(write: Callable[[], int]) -> int | None:
    """Run a small write that must not be lost to the failure being handled: that failure may have
    been the database connection itself (a restart, pg_terminate_backend), so a dead connection is
    replaced first. If the database is still away, None: the lease runs out and the sweeper takes over."""
    for attempt in range(2):
        if not connection.in_atomic_block and connection.connection is not None and not connection.is_usable():
            connection.close()  # the next query connects again
        try:
            return write()
        except RETRYABLE:
            logger.warning("write after a failure did not reach the database (attempt %s)", attempt + 1)
    return None


def _plan_unreachable(run: ScanRun, reason: str) -> list[int]:
    """Every unit fails with the reason, so every check of the account becomes an error, never a pass."""
    ScanRun.objects.filter(pk=run.pk).update(errors=[{"region": "", "service": "account", "reason": reason}])
    claimed_at = timezone.now()
    with transaction.atomic():
        units = _units_for(run, _fallback_regions(run.account))
        for unit in units:
            unit.state, unit.claimed_at = UnitState.RUNNING, claimed_at
        ScanUnit.objects.bulk_create(units, ignore_conflicts=True)
        ScanRun.objects.filter(pk=run.pk).update(units_total=run.units.count())
    for unit in run.units.filter(state=UnitState.RUNNING, claimed_at=claimed_at).select_related("run"):
        outcome = UnitOutcome()
        _unreadable(unit, outcome, _group_types(unit.service), unit.region, reason)
        _unit_complete(unit, outcome)
    return []


def _group_types(service: str) -> tuple[str, ...]:
    group = collectors.SERVICE_GROUPS.get(service)
    return group.resource_types if group else ()


@dataclass
class UnitOutcome:
    failed_types: set[str] = field(default_factory=set)
    errors: list[dict] = field(default_factory=list)
    resources_seen: int = 0


class LeaseLost(Exception):
    """Another worker took the unit over: this one stops without completing it."""


def scan_unit_execute(*, unit_id: int, final_attempt: bool = True, factory: ClientFactory | None = None) -> None:
    """Collect one service group in one region, judge, record; then finish the run if this was the last unit.

    `factory`: the clients to read through, shared by the units of an in-process scan; else the unit makes its own.
    """
    registries_load()
    now = timezone.now()
    claimable = Q(state=UnitState.QUEUED) | Q(state=UnitState.RUNNING, claimed_at__lt=_lease_expired_before())
    claimed = ScanUnit.objects.filter(claimable, pk=unit_id, run__state=RunState.RUNNING).update(
        state=UnitState.RUNNING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed:
        unit = ScanUnit.objects.select_related("run__account").get(pk=unit_id)
        try:
            outcome = unit_collect(unit, factory)
        except LeaseLost:
            return
        except RETRYABLE as exc:
            if not final_attempt:
                _unit_release(unit)
                raise
            outcome = _unit_crashed(unit, exc)
        except Exception as exc:  # noqa: BLE001 - one broken collector must not stop the run
            logger.exception("scan unit %s failed", unit)
            outcome = _unit_crashed(unit, exc)
        _unit_complete(unit, outcome)
    run_id = ScanUnit.objects.filter(pk=unit_id).values_list("run_id", flat=True).first()
    if run_id is not None:
        run_finish_if_done(run_id=run_id)


def _unit_release(unit: ScanUnit) -> None:
    """Give the unit back so the retry can claim it at once (else it waits for the lease to run out)."""
    _on_fresh_connection(
        lambda: ScanUnit.objects.filter(pk=unit.pk, state=UnitState.RUNNING, claimed_at=unit.claimed_at).update(
            state=UnitState.QUEUED, claimed_at=None
        )
    )


def _lease_renew(unit: ScanUnit) -> None:
    """Keep the claim while the unit works: renewed after a third of the lease; lost if taken over."""
    now = timezone.now()
    if now - unit.claimed_at < timedelta(seconds=settings.SCAN_UNIT_LEASE_SECONDS / 3):
        return
    held = ScanUnit.objects.filter(pk=unit.pk, state=UnitState.RUNNING, claimed_at=unit.claimed_at)
    if not held.update(claimed_at=now):
        raise LeaseLost(f"{unit} was taken over by another worker")
    unit.claimed_at = now


def unit_collect(unit: ScanUnit, factory: ClientFactory | None = None) -> UnitOutcome:
    group = collectors.SERVICE_GROUPS.get(unit.service)
    if group is None:
        raise LookupError(f"no service group named {unit.service!r} is installed")
    run, outcome, batch = unit.run, UnitOutcome(), []
    factory = factory or client_factory_for(run.account)
    for item in group.collect(factory, unit.region):
        if unit.claimed_at is not None:
            _lease_renew(unit)
        if isinstance(item, CollectionError):
            _unreadable(unit, outcome, item.resource_types, item.region, item.reason)
            continue
        batch.append(item)
        if len(batch) >= DOC_BATCH:
            outcome.resources_seen += recording.docs_record(run=run, docs=batch, seen_at=timezone.now())
            batch = []
    if batch:
        outcome.resources_seen += recording.docs_record(run=run, docs=batch, seen_at=timezone.now())
    return outcome


def _unreadable(unit: ScanUnit, outcome: UnitOutcome, types, region: str, reason: str) -> None:
    outcome.failed_types.update(types)
    outcome.errors.append({"region": region, "service": unit.service, "reason": reason})
    recording.unreadable_record(
        run=unit.run, resource_types=types, region=region, reason=reason, seen_at=timezone.now()
    )


def _unit_crashed(unit: ScanUnit, exc: BaseException) -> UnitOutcome:
    outcome = UnitOutcome()
    _unreadable(unit, outcome, _group_types(unit.service), unit.region, error_text(exc))
    return outcome


def _unit_complete(unit: ScanUnit, outcome: UnitOutcome) -> None:
    """Only the holder of the current claim completes the unit and counts it, so progress counts once."""
    group_types = set(_group_types(unit.service))
    read = sorted(group_types - outcome.failed_types)
    if not outcome.errors:
        state = UnitState.SUCCEEDED
    elif read:
        state = UnitState.PARTIAL
    else:
        state = UnitState.FAILED
    with transaction.atomic():
        done = ScanUnit.objects.filter(pk=unit.pk, state=UnitState.RUNNING, claimed_at=unit.claimed_at).update(
            state=state,
            finished_at=timezone.now(),
            types_read=read,
            errors=_unique(outcome.errors),
            resources_seen=outcome.resources_seen,
        )
        if done:
            ScanRun.objects.filter(pk=unit.run_id).update(units_done=F("units_done") + 1)


def _unique(errors: list[dict]) -> list[dict]:
    return [dict(item) for item in dict.fromkeys(tuple(sorted(e.items())) for e in errors)]


def run_finish_if_done(*, run_id: int) -> bool:
    """Finish the run once every unit is done: gone resources, run state, automated statuses and evidence."""
    with transaction.atomic():
        # The run's row only: locking the joined account row as well let two finishing units each hold one
        # of the two rows and wait for the other (PostgreSQL reported the deadlock).
        run = ScanRun.objects.select_for_update(of=("self",)).select_related("account").get(pk=run_id)
        if run.state != RunState.RUNNING or run.units_done < run.units_total:
            return False
        if not run.units_total and not run.errors:
            return False  # still being planned
        units = list(run.units.all())
        global_services = {name for name, group in collectors.SERVICE_GROUPS.items() if group.is_global}
        recording.gone_mark(run=run, units=units, global_services=global_services)
        run.state = _run_state(units)
        run.errors = run.errors if run.errors else _unique([e for unit in units for e in unit.errors])
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "errors", "finished_at"])
        automation.scan_conclude(run=run)
    return True


@dataclass
class Sweep:
    """What the sweeper found: runs to plan again, units to send again, runs it finished or abandoned."""

    plans: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    abandoned: int = 0


def scan_sweep() -> Sweep:
    """Find, from the database alone, the scan work that a lost message, a killed worker or a failed
    release left behind. Sending a unit or a plan twice is safe: every step claims its work first."""
    sweep = Sweep(abandoned=ScanRun.objects.abandon_stale())
    expired = _lease_expired_before()
    running = ScanRun.objects.filter(state=RunState.RUNNING)
    never_planned = Q(state=RunState.QUEUED, created_at__lt=expired)
    planner_died = Q(state=RunState.RUNNING, units_total=0, started_at__lt=expired)
    sweep.plans = list(ScanRun.objects.filter(never_planned | planner_died).values_list("pk", flat=True))
    # A unit whose worker died goes back to the queue; its late completion, if the worker was only slow, is refused.
    dead = ScanUnit.objects.filter(run__in=running, state=UnitState.RUNNING, claimed_at__lt=expired)
    dead_ids = list(dead.values_list("pk", flat=True))
    ScanUnit.objects.filter(pk__in=dead_ids, claimed_at__lt=expired).update(state=UnitState.QUEUED, claimed_at=None)
    progress = ScanUnit.objects.filter(run__in=running).filter(Q(claimed_at__gte=expired) | Q(finished_at__gte=expired))
    stalled = running.filter(started_at__lt=expired).exclude(pk__in=progress.values("run_id"))
    waiting = ScanUnit.objects.filter(run__in=stalled, state=UnitState.QUEUED).values_list("pk", flat=True)
    sweep.units = sorted(set(dead_ids) | set(waiting))
    for run_id in running.filter(units_total__gt=0, units_done__gte=F("units_total")).values_list("pk", flat=True):
        if run_finish_if_done(run_id=run_id):
            sweep.finished.append(run_id)
    return sweep


def _run_state(units: list[ScanUnit]) -> str:
    states = {unit.state for unit in units}
    if not units or states == {UnitState.FAILED}:
        return RunState.FAILED
    if states == {UnitState.SUCCEEDED}:
        return RunState.SUCCEEDED
    return RunState.PARTIAL


def scan_run_sync(*, run_id: int, concurrency: int | None = None) -> ScanRun:
    """The whole scan in this process, without Celery: `manage.py scan --sync`, `make run`, benchmarks.

    Units run on up to `concurrency` threads (SCAN_SYNC_CONCURRENCY), each exactly as a Celery worker runs
    it: the claims, leases and the locked finishing check that let many workers share a run make
    threads safe too. An AWS account's units share the process's ClientFactory for it, so each (service, region) client
    is made once per process (a Celery worker does the same, unit after unit).
    """
    unit_ids = scan_plan(run_id=run_id)
    workers = _sync_workers(concurrency, len(unit_ids))
    account = ScanRun.objects.select_related("account").get(pk=run_id).account
    factory = client_factory_for(account) if account.provider == Provider.AWS else None
    if workers == 1:
        for unit_id in unit_ids:
            scan_unit_execute(unit_id=unit_id, factory=factory)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan-unit") as pool:
            for _ in pool.map(lambda unit_id: _unit_on_thread(unit_id, factory), unit_ids):
                pass  # re-raises what a unit's thread raised, as the loop above would
    run_finish_if_done(run_id=run_id)
    return ScanRun.objects.select_related("account").get(pk=run_id)


def _sync_workers(concurrency: int | None, units: int) -> int:
    """Inside a transaction (a test, an atomic request) other threads could not see the run's uncommitted
    rows, so the units run one after another on this thread."""
    if connection.in_atomic_block:
        return 1
    wanted = settings.SCAN_SYNC_CONCURRENCY if concurrency is None else concurrency
    return max(1, min(wanted, units))


def _unit_on_thread(unit_id: int, factory: ClientFactory | None) -> None:
    try:
        scan_unit_execute(unit_id=unit_id, factory=factory)
    finally:
        connection.close()  # this thread's own connection: the pool's threads end with the scan
