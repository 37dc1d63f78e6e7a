"""Faults during a scan, with a real Celery worker, Redis and PostgreSQL: a worker killed mid-unit, its
database connections terminated mid-unit. Each run must finish within a bounded time with every
finding once, none lost and no false pass.

The worker runs with a 3-second unit lease (so a 6-second broker visibility timeout, see settings) and
the gated fake cloud of tests.scanners.fault_worker_fakes, which holds one unit while the test breaks
something. How to run only these: `pytest tests/scanners/test_faults.py` (docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from scanners.models import FINISHED_STATES, RunState, ScanRun, UnitState
from scanners.services import cloud_account_create, scan_request

pytestmark = pytest.mark.integration

LEASE_SECONDS = 3
WAIT_SECONDS = 150  # generous: two cores shared by the whole suite; a healthy run takes a few seconds
EXPECTED_FINDINGS = {
    ("fake_sg_no_open_ssh", "sg-open", "fail"),
    ("fake_sg_no_open_ssh", "sg-closed", "pass"),
    ("fake_volume_encrypted", "vol-1", "pass"),
    ("fake_user_has_mfa", "user/alice", "fail"),
}


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Gate:
    """The gated unit waits while `closed` exists; `entered` has a line per attempt that reached it."""

    def __init__(self, path: Path):
        self.path = path
        (path / "closed").touch()

    def attempts(self) -> int:
        entered = self.path / "entered"
        return len(entered.read_text().split()) if entered.exists() else 0

    def wait_entered(self, workers: Workers) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while self.attempts() == 0:
            workers.assert_alive()
            assert time.monotonic() < deadline, f"the gated unit was never reached; see {workers.logs}"
            time.sleep(0.1)

    def open(self) -> None:
        (self.path / "closed").unlink()


class Workers:
    """Celery worker processes on one private queue, as production runs them, stopped after the test."""

    def __init__(self, redis_url: str, logs: Path, gate: Gate):
        self.redis_url, self.logs, self.gate = redis_url, logs, gate
        self.queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.processes: list[tuple[subprocess.Popen, object]] = []

    def start(self) -> subprocess.Popen:
        root = Path(settings.BASE_DIR)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "SCAN_UNIT_LEASE_SECONDS": str(LEASE_SECONDS),
            "FAULT_GATE_DIR": str(self.gate.path),
            "PYTHONPATH": str(root),
        }
        log = (self.logs / f"worker-{self.queue}-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue, "--pool=solo",
             "-I", "tests.scanners.fault_worker_fakes", "--without-gossip", "--without-mingle", "-l", "INFO"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.processes.append((process, log))
        return process

    def assert_alive(self) -> None:
        for process, _ in self.processes:
            if process.returncode is None:
                assert process.poll() is None, f"a Celery worker exited; see {self.logs}/worker-{self.queue}-*.log"

    def send_plan(self, run: ScanRun) -> None:
        with Celery(broker=self.redis_url, set_as_current=False) as sender:
            sender.send_task("scanners.scan_account", args=[run.pk], queue=self.queue)

    def wait_finished(self, run: ScanRun) -> ScanRun:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            self.assert_alive()
            run.refresh_from_db()
            if run.state in FINISHED_STATES:
                return run
            time.sleep(0.25)
        raise AssertionError(f"scan {run.pk} did not finish in {WAIT_SECONDS}s; see {self.logs}")

    def stop(self) -> None:
        for process, log in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


@pytest.fixture
def workers(transactional_db, redis_url, artifacts_dir, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process can only share the test database on PostgreSQL (CI runs on it)")
    started = Workers(redis_url, artifacts_dir, Gate(tmp_path))
    yield started
    started.stop()


@pytest.fixture
def queued_run(transactional_db, catalogs) -> ScanRun:
    account = cloud_account_create(name="prod", regions="eu-west-1,us-east-1")
    return scan_request(account=account, enqueue=False)


def assert_scanned_once_and_completely(run: ScanRun) -> None:
    assert (run.state, run.errors) == (RunState.SUCCEEDED, [])
    assert run.units_done == run.units_total == 3  # each unit counted once
    assert set(run.units.values_list("state", flat=True)) == {UnitState.SUCCEEDED}
    findings = list(run.findings.values_list("check_id", "resource__uid", "status"))
    assert len(findings) == len(EXPECTED_FINDINGS) and set(findings) == EXPECTED_FINDINGS


def test_a_worker_killed_mid_unit_has_the_unit_redone_by_another_worker(workers, queued_run):
    first = workers.start()
    workers.send_plan(queued_run)
    workers.gate.wait_entered(workers)

    first.send_signal(signal.SIGKILL)  # no clean-up, no ack: as if the machine died
    first.wait(timeout=30)
    workers.gate.open()
    workers.start()  # Redis gives the unacknowledged unit to it once the visibility timeout has passed

    run = workers.wait_finished(queued_run)

    assert_scanned_once_and_completely(run)
    gated = run.units.get(service="fake-network", region="eu-west-1")
    assert gated.attempts == 2 and workers.gate.attempts() == 2


def test_database_connections_terminated_mid_unit_are_replaced_and_the_unit_retried(workers, queued_run):
    workers.start()
    workers.send_plan(queued_run)
    workers.gate.wait_entered(workers)

    with connection.cursor() as cursor:  # only this test database's sessions, and not the test's own
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchall(), "the worker held no connection to terminate"
    # Held past a third of the lease, the unit's first query is its lease renewal, outside any transaction:
    # nothing but the engine replaces the dead connection before the unit is released for the retry.
    time.sleep(LEASE_SECONDS / 3 + 0.5)
    workers.gate.open()

    run = workers.wait_finished(queued_run)

    assert_scanned_once_and_completely(run)
    gated = run.units.get(service="fake-network", region="eu-west-1")
    assert gated.attempts == 2 and workers.gate.attempts() == 2
