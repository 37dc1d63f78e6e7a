"""Scans run in the background of the web process when there is no broker (the demo, `make run`).

With a broker the "Scan now" request only queues the run for the Celery workers. Without one, Celery runs
tasks eagerly, inside the request, which held the button for the whole scan; here the run goes to a small
pool of threads instead, so the request returns at once and the page follows the run's progress.

A background run is the same `scan_run_sync` that `manage.py scan --sync` uses: the claims and the locked
finishing check that let many workers share a run make threads safe too, and SQLite's IMMEDIATE transactions
(config/settings.py) make a writer wait for the lock instead of failing. Each thread closes its own database
connections when its run ends.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.db import connection, connections

from config.celery import app as celery_app
from scanners import engine

logger = logging.getLogger(__name__)

MAX_RUNS_AT_ONCE = 2  # runs of different accounts; each run already spreads its units over SCAN_SYNC_CONCURRENCY

_pool = ThreadPoolExecutor(max_workers=MAX_RUNS_AT_ONCE, thread_name_prefix="scan-run")
_lock = threading.Lock()
_running: dict[int, Future] = {}


def runs_in_process() -> bool:
    """No broker to hand the run to: Celery would run it inside the caller (task_always_eager)."""
    return bool(celery_app.conf.task_always_eager)


def scan_start(*, run_id: int) -> Future | None:
    """Run the queued run on a background thread; None when this process already runs it.

    Inside a transaction (a test's) another thread could not see the run's uncommitted rows, so the run
    happens here, before returning, as engine.scan_run_sync would do with its units."""
    if connection.in_atomic_block:
        engine.scan_run_sync(run_id=run_id)
        return None
    with _lock:
        if run_id in _running:
            return None
        future = _running[run_id] = _pool.submit(_run, run_id)
    return future


def _run(run_id: int) -> None:
    try:
        engine.scan_run_sync(run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - a run nobody will retry must end, saying why, not stay "running"
        logger.exception("background scan %s failed", run_id)
        engine.run_fail(run_id=run_id, reason=f"failed: {engine.error_text(exc)}")
    finally:
        connections.close_all()  # this thread's connections; the pool's thread may serve another run later
        with _lock:
            _running.pop(run_id, None)


def wait_all(timeout: float) -> bool:
    """Wait for the runs this process is running to end (a clean shutdown, a test's teardown); False on timeout."""
    with _lock:
        futures = list(_running.values())
    done, pending = wait(futures, timeout=timeout)
    return not pending
