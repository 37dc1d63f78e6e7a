"""End to end: beat's scheduled task, sent through Redis, picked up by a real Celery worker process.

The worker uses the test's PostgreSQL database (committed rows: transactional_db) and the fake cloud
installed by tests.scanners.worker_fakes, so no AWS is needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django_celery_beat.models import PeriodicTask

from compliance.models import AutomatedStatus, ControlState
from evidence.models import Evidence
from scanners.models import FINISHED_STATES, RunState, ScanRun, Trigger
from scanners.services import cloud_account_create

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 90


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(transactional_db, redis_url, artifacts_dir):
    """Returns `start(fake_cloud)`: a worker process on its own queue, stopped after the test."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process can only share the test database on PostgreSQL (CI runs on it)")
    processes = []

    def start(*, fake_cloud: bool) -> tuple[str, subprocess.Popen]:
        queue = f"e2e-{uuid.uuid4().hex[:8]}"
        root = Path(settings.BASE_DIR)
        env = {
            **os.environ,  # with the `aws` fixture: the moto server's endpoint and throwaway credentials
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "PYTHONPATH": str(root),
        }
        fakes = ["-I", "tests.scanners.worker_fakes"] if fake_cloud else []
        log = (artifacts_dir / f"worker-{queue}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool=solo", *fakes,
             "--without-gossip", "--without-mingle", "-l", "INFO"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append((process, log))
        return queue, process

    yield start
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def run_as_beat_would(account, redis_url: str, queue: str, process) -> ScanRun:
    """Send the account's beat entry by name, as beat does when it is due, and wait for the run to finish."""
    beat_entry = PeriodicTask.objects.get(cloud_account=account)
    Celery(broker=redis_url).send_task(beat_entry.task, args=json.loads(beat_entry.args), queue=queue)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the Celery worker exited; see artifacts/worker-*.log"
        run = ScanRun.objects.filter(account=account, state__in=FINISHED_STATES).first()
        if run is not None:
            return run
        time.sleep(0.5)
    raise AssertionError(f"no scan finished within {DEADLINE_SECONDS}s; see artifacts/worker-{queue}.log")


def test_a_scheduled_scan_runs_on_a_worker_and_evidences_the_mapped_controls(start_worker, redis_url, catalogs):
    queue, process = start_worker(fake_cloud=True)
    account = cloud_account_create(name="prod", regions="eu-west-1,us-east-1", schedule="0 3 * * *")

    run = run_as_beat_would(account, redis_url, queue, process)

    assert (run.state, run.trigger, run.units_done, run.units_total) == (RunState.SUCCEEDED, Trigger.SCHEDULE, 3, 3)
    evidence = Evidence.objects.filter(produced_by=f"scan {run.pk} of prod", kind="automated")
    # The controls the fake checks name, and 2013 A.13.1.1, equal to A.8.20
    assert {c.ref for item in evidence for c in item.controls.all()} == {
        "A.8.20",
        "CC6.6",
        "A.8.24",
        "A.8.5",
        "A.13.1.1",
    }
    assert all(len(item.sha256) == 64 and item.valid_until > run.finished_at for item in evidence)
    mapped = ControlState.objects.get(control__framework__slug="iso27001-2013", control__ref="A.13.1.1")
    assert mapped.automated_status == AutomatedStatus.FAILING  # through the 2013 -> 2022 equal mapping


def test_a_worker_scans_a_simulated_aws_account_over_http(start_worker, aws, redis_url, catalogs, monkeypatch):
    """The real collectors and checks, in the worker, against the moto server: what production runs."""
    from scanners.demo import seed_demo_account

    monkeypatch.setenv("HTTP_PROXY", aws)  # S3 Control names the account in its host; moto answers as a proxy
    seed_demo_account(regions=("eu-west-1", "us-east-1"))
    queue, process = start_worker(fake_cloud=False)
    account = cloud_account_create(name="demo", regions="eu-west-1,us-east-1", schedule="0 3 * * *")

    run = run_as_beat_would(account, redis_url, queue, process)

    assert run.state == RunState.SUCCEEDED, run.errors
    assert run.findings.filter(check_id="vpc_security_group_no_open_admin_ports", status="fail").exists()
    assert run.findings.filter(check_id="s3_bucket_block_public_access", status="pass").exists()
    network = Evidence.objects.get(produced_by=f"scan {run.pk} of demo", controls__ref="A.8.20")
    assert len(network.sha256) == 64
    mapped = ControlState.objects.get(control__framework__slug="iso27001-2013", control__ref="A.13.1.1")
    assert mapped.automated_status == AutomatedStatus.FAILING  # the open SSH rule, named by the check itself


def test_a_worker_scans_a_github_organisation_served_over_http(
    start_worker, redis_url, catalogs, monkeypatch, artifacts_dir
):
    """The GitHub collectors and checks in the worker, against a local server answering GitHub's REST API;
    the worker reads the token from its environment, waits out a spent rate limit, and stores the token nowhere."""
    from scanners.services import github_org_add
    from tests.scanners.local_github import local_github, protection

    with local_github(max_per_page=1) as github:
        github.add_repo("api", protected=protection())
        github.add_repo("web", secret_scanning="disabled", alerts_enabled=False)
        github.add_alert("api", age_days=45)
        github.spend_budget_after(4, reset_in=1)  # the worker must wait for the reset, not be refused
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_TOKEN", github.token)
        monkeypatch.delenv("GITHUB_APP_ID", raising=False)
        queue, process = start_worker(fake_cloud=False)
        account = github_org_add(org="acme", schedule="0 3 * * *")

        run = run_as_beat_would(account, redis_url, queue, process)

    assert run.state == RunState.SUCCEEDED, run.errors
    assert (run.units_done, run.units_total) == (2, 2)
    # Each unit has its own client: the unit that did not see the budget spent is refused once, learns the
    # reset from the refusal, waits for it and reads on.
    assert len(github.refused_for_rate_limit) <= 1 and len(github.seen) > 4
    assert run.findings.get(check_id="github_org_requires_two_factor").status == "pass"
    assert run.findings.get(check_id="github_repo_default_branch_protected", resource__name="acme/web").status == "fail"
    alerts = run.findings.get(check_id="github_repo_no_old_critical_dependabot_alerts", resource__name="acme/api")
    assert alerts.status == "fail" and "(45 days)" in alerts.reason
    assert Evidence.objects.filter(produced_by=f"scan {run.pk} of github-acme", controls__ref="A.8.4").exists()
    assert github.token not in (artifacts_dir / f"worker-{queue}.log").read_text(encoding="utf-8")
