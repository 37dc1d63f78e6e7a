"""How long the OSCAL export takes for the full register after a scan of the demo account.

    .venv/bin/python benchmarks/oscal.py                 # the register + one scan of the demo account
    .venv/bin/python benchmarks/oscal.py --copies 20     # and 20 more accounts holding the same results

It seeds the demo account into an in-process moto server (what `make run` shows), scans it with the engine
`scan --sync` runs, and fills the register: every control owned and given a status, one in ten excluded
with a justification, and 500 documents each linked to two controls. `--copies N` adds N accounts whose
resources and latest results copy the demo account's (the export reads rows, whoever wrote them). Then
it builds and serialises each document three times and prints the median, its size and its query count.
SQLite in a temporary folder unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.demo_scan import environment  # noqa: E402  (SQLite in a temporary folder, tasks in-process)


def scan_demo_account():
    from scanners import engine
    from scanners.demo import seed_demo_account
    from scanners.demo_cloud import DEMO_REGIONS, demo_cloud_start
    from scanners.models import ScanRun
    from scanners.services import cloud_account_create

    server = demo_cloud_start()
    try:
        seed_demo_account(regions=DEMO_REGIONS)
        account = cloud_account_create(name="demo-aws", regions=list(DEMO_REGIONS))
        started = time.perf_counter()
        run = engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk)
        return run, time.perf_counter() - started
    finally:
        server.stop()


def fill_register() -> None:
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Role
    from compliance.models import Control, ControlStatus, Document, DocumentLink

    owners = []
    for number in range(10):
        user = get_user_model().objects.create_user(
            username=f"owner{number}", first_name="Owner", last_name=str(number)
        )
        Membership.objects.create(user=user, role=Role.ENGINEER)
        owners.append(user)
    controls = list(Control.objects.all())
    statuses = [ControlStatus.NOT_STARTED, ControlStatus.IN_PROGRESS, ControlStatus.IMPLEMENTED]
    for number, control in enumerate(controls):
        control.owner = owners[number % len(owners)]
        if number % 10 == 0:
            control.applicable, control.status = False, ControlStatus.NOT_APPLICABLE
            control.justification = "Outside the scope: no such activity here."
        else:
            control.status = statuses[number % 3]
    Control.objects.bulk_update(controls, ["owner", "applicable", "status", "justification"])
    documents = Document.objects.bulk_create(
        Document(title=f"Policy {n}", url=f"https://wiki.example/policy/{n}", version="1") for n in range(500)
    )
    DocumentLink.objects.bulk_create(
        DocumentLink(document=document, control=controls[(n * 7 + k) % len(controls)])
        for n, document in enumerate(documents)
        for k in (0, 1)
    )


def copy_results(run, copies: int) -> None:
    """`copies` more accounts with the demo account's resources and latest results, in bulk."""
    from scanners.models import CheckStatus, CloudAccount, Resource

    resources = list(Resource.objects.filter(account=run.account))
    statuses = list(CheckStatus.objects.filter(account=run.account))
    for number in range(copies):
        account = CloudAccount.objects.create(name=f"copy-{number}", regions=run.account.regions)
        clones = Resource.objects.bulk_create(
            Resource(
                account=account,
                uid=f"{resource.uid}#{number}",
                type=resource.type,
                region=resource.region,
                name=resource.name,
                first_seen=resource.first_seen,
                last_seen=resource.last_seen,
            )
            for resource in resources
        )
        clone_of = {resource.pk: clone.pk for resource, clone in zip(resources, clones, strict=True)}
        CheckStatus.objects.bulk_create(
            CheckStatus(
                account=account,
                check_id=status.check_id,
                resource_id=clone_of[status.resource_id],
                region=status.region,
                status=status.status,
                reason=status.reason,
                run_id=status.run_id,
                checked_at=status.checked_at,
            )
            for status in statuses
        )


def measure(document, repeats: int = 3) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, size, queries = [], 0, 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            size = len(document.json())
            timings.append(time.perf_counter() - started)
        queries = len(captured)
    return statistics.median(timings), size, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=0, help="more accounts holding the demo account's results")
    args = parser.parse_args()
    env = environment()
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "load_catalogs"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from compliance.models import Control, Document
    from oscal.export import package_documents
    from scanners.models import CheckStatus

    run, scan_seconds = scan_demo_account()
    fill_register()
    copy_results(run, args.copies)
    print(
        f"register: {Control.objects.count()} controls, {Document.objects.count()} documents; "
        f"scan of the demo account {scan_seconds:.1f} s; latest results: {CheckStatus.objects.count()}"
    )
    total = 0.0
    for document in package_documents(None):
        seconds, size, queries = measure(document)
        total += seconds
        print(f"  {document.file_name:<34} {seconds:7.2f} s  {size / 1024:9.0f} KiB  {queries:3d} queries")
    print(f"all nine documents (what the audit package adds): {total:.2f} s")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
