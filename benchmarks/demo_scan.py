"""The demo account's scan: how many checks per service, and how long a scan of the seeded account takes.

    .venv/bin/python benchmarks/demo_scan.py              # three scans of the demo account, in-process
    .venv/bin/python benchmarks/demo_scan.py --scans 5

It also prints how long `scan_conclude` took (statuses and automated evidence) and what the last scan's
automated evidence weighs (items and bytes).

It starts a moto server in this process, seeds it with `scanners.demo` (what `make run` shows), creates
the `demo-aws` account on a new SQLite database (unless DATABASE_URL is set) and times `scan_run_sync`,
the same engine `scan --sync` runs. The first scan also writes the inventory; the later ones update it.
It uses only names that existed before issue 10, so it also measures an older checkout:
`git worktree add /tmp/before 4a957b9 && cp benchmarks/demo_scan.py /tmp/before/benchmarks/`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment() -> dict:
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='ct-bench-demo-')}/bench.sqlite3"
    env.update({"CONTROLTRACE_TESTING": "true", "MEDIA_ROOT": tempfile.mkdtemp(prefix="ct-bench-media-")})
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=3)
    args = parser.parse_args()
    env = environment()
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "load_catalogs"], env=env, check=True, stdout=subprocess.DEVNULL)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from scanners import engine
    from scanners.checks import base as checks
    from scanners.demo_cloud import DEMO_REGIONS, demo_cloud_start
    from scanners.models import ScanRun
    from scanners.services import cloud_account_create

    server = demo_cloud_start()
    try:
        from scanners.demo import seed_demo_account

        started = time.perf_counter()
        seed_demo_account(regions=DEMO_REGIONS)
        seeded = time.perf_counter() - started
        engine.registries_load()
        per_service = Counter(check.service for check in checks.all_checks())
        account = cloud_account_create(name="demo-aws", regions=list(DEMO_REGIONS))
        concluding = conclude_timed()
        timings, findings, evidence = [], 0, []
        for _ in range(args.scans):
            run = ScanRun.objects.create(account=account)
            started = time.perf_counter()
            run = engine.scan_run_sync(run_id=run.pk)
            timings.append(time.perf_counter() - started)
            findings = run.findings.count()
            evidence.append(evidence_written(run))
        collection = collection_times(engine, DEMO_REGIONS)
    finally:
        server.stop()

    print(f"checks: {sum(per_service.values())} over {len(per_service)} services")
    print("  " + ", ".join(f"{service} {count}" for service, count in sorted(per_service.items())))
    print(f"regions: {', '.join(DEMO_REGIONS)}; seeding moto {seeded:.1f} s; findings per scan: {findings}")
    print(f"scan s: {', '.join(f'{t:.2f}' for t in timings)}; median {statistics.median(timings):.2f}")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; cores: {os.cpu_count()}")
    print("collection alone, s per service group (all regions): " + ", ".join(f"{n} {t:.2f}" for t, n in collection))
    print(f"scan_conclude s: {', '.join(f'{t:.2f}' for t in concluding)}; median {statistics.median(concluding):.2f}")
    print("automated evidence per scan (items, bytes): " + "; ".join(f"{n} items, {b:,}" for n, b in evidence))


def conclude_timed() -> list[float]:
    """Time every `scan_conclude` (statuses and automated evidence) the scans call; returns the list it fills."""
    from scanners import automation

    timings, conclude = [], automation.scan_conclude

    def timed(**kwargs):
        started = time.perf_counter()
        conclude(**kwargs)
        timings.append(time.perf_counter() - started)

    automation.scan_conclude = timed
    return timings


def evidence_written(run) -> tuple[int, int]:
    """How many automated evidence items the run stored, and the bytes it added: its reports, and the shared
    results files (evidence parts, where the checkout has them) stored during the run, not those it reused."""
    from django.db.models import Count, Sum

    from evidence import models

    made = models.Evidence.objects.filter(produced_by=f"scan {run.pk} of {run.account.name}")
    totals = made.aggregate(items=Count("pk"), size=Sum("size"))
    size = totals["size"] or 0
    if hasattr(models, "EvidencePart"):
        stored = models.EvidencePart.objects.filter(created_at__gte=run.created_at)  # the scans run one at a time
        size += stored.aggregate(size=Sum("size"))["size"] or 0
    return totals["items"], size


def collection_times(engine, regions) -> list[tuple[float, str]]:
    """Each AWS service group's collection on its own, slowest first: where a scan's reading time goes."""
    from scanners.aws import ClientFactory
    from scanners.collectors.base import SERVICE_GROUPS

    factory, times = ClientFactory(), []
    for name, group in SERVICE_GROUPS.items():
        if getattr(group, "provider", "aws") != "aws":
            continue
        started = time.perf_counter()
        for region in regions[:1] if group.is_global else regions:
            list(group.collect(factory, region))
        times.append((time.perf_counter() - started, name))
    return sorted(times, reverse=True)


if __name__ == "__main__":
    main()
