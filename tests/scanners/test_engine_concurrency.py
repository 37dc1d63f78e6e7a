"""`scan_run_sync` runs a scan's units on threads: the same results as one after another, really at once."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scanners import engine
from scanners.models import CheckStatus, Finding, RunState, ScanRun, UnitState

# The units' threads have their own connections: they see only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def scan(account, concurrency: int) -> ScanRun:
    run = ScanRun.objects.create(account=account)
    return engine.scan_run_sync(run_id=run.pk, concurrency=concurrency)


def outcome(run: ScanRun) -> dict:
    return {
        "state": run.state,
        "units": sorted(run.units.values_list("service", "region", "state", "errors")),
        "findings": sorted(run.findings.values_list("check_id", "resource__uid", "region", "status", "reason")),
        "latest": sorted(CheckStatus.objects.values_list("check_id", "resource__uid", "status", "reason")),
    }


def seed(cloud) -> None:
    cloud.seed_default()
    cloud.add("fake.volume", "us-east-1", "vol-2", encrypted=False)
    cloud.add("fake.user", "global", "user/bob", mfa=True)
    cloud.add("fake.security_group", "us-east-1", "sg-broken")  # no open_ssh: its check is an error
    cloud.break_read("fake-network", "eu-west-1", ("fake.volume",), reason="access denied: DescribeVolumes")


def test_units_on_threads_give_the_same_results_as_one_after_another(fake_cloud, cloud_account):
    seed(fake_cloud)
    serial = outcome(scan(cloud_account, concurrency=1))
    concurrent = outcome(scan(cloud_account, concurrency=4))
    assert concurrent == serial
    assert serial["state"] == RunState.PARTIAL
    assert ("fake_sg_no_open_ssh", "sg-broken", "us-east-1", "error") in [f[:4] for f in serial["findings"]]
    assert Finding.objects.count() == 2 * len(serial["findings"])


def test_units_really_run_at_the_same_time(fake_cloud, cloud_account):
    fake_cloud.seed_default()
    # Each of the three units waits for the other two to start: one after another, the barrier breaks.
    every_unit_started = threading.Barrier(3, timeout=10)
    fake_cloud.on_collect = lambda service, region: every_unit_started.wait()

    run = scan(cloud_account, concurrency=3)

    assert run.state == RunState.SUCCEEDED, run.units.values_list("errors", flat=True)
    assert set(run.units.values_list("state", flat=True)) == {UnitState.SUCCEEDED}
    assert (run.units_done, run.units_total) == (3, 3)
    assert run.findings.count() == 4


def test_with_one_thread_the_units_run_one_after_another(fake_cloud, cloud_account):
    fake_cloud.seed_default()
    threads = set()
    fake_cloud.on_collect = lambda service, region: threads.add(threading.get_ident())

    run = scan(cloud_account, concurrency=1)

    assert run.state == RunState.SUCCEEDED
    assert threads == {threading.get_ident()}


def test_units_on_threads_against_sqlite_as_make_run_scans(tmp_path):
    """SQLite has one writer at a time and ignores SELECT ... FOR UPDATE: the threads wait for the lock,
    and exactly one of them finishes the run. In a process of its own, on a new SQLite file."""
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'scan.sqlite3'}", "CONTROLTRACE_TESTING": "true"})
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.scanners.sqlite_scan"], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {"state": "succeeded", "units": ["succeeded"] * 9, "errors": [], "findings": 2400}
    assert runs == [expected, expected]
