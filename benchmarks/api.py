"""Requests per second and p95 latency of the API's list endpoints on a register of realistic size.

Builds, in a throw-away test database, the pages benchmark's size: the three catalogs, 20,000 evidence items,
5,000 tickets and 5,000 documents (each linked to one to three controls), owners, per-control state and 200,000
findings over five scans of one account (with the latest result per check and resource). Then times
the list endpoints with a personal token, either in-process with Django's test Client (default), or over HTTP against
a live threaded server with several client threads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_api .venv/bin/python benchmarks/api.py
    DATABASE_URL=... .venv/bin/python benchmarks/api.py --live --threads 4 --requests 200
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

ENDPOINTS = [
    "/api/controls/",
    "/api/controls/?framework=iso27001-2022&automated_status=failing",
    "/api/evidence/",
    "/api/evidence/?control=iso27001-2022:A.8.20",
    "/api/tickets/",
    "/api/documents/",
    "/api/findings/",
    "/api/findings/?status=fail&control=iso27001-2022:A.8.20",
]


def build(evidence: int, tickets: int, documents: int, findings: int) -> str:
    """The register at size; returns a CISO's API token."""
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Role
    from accounts.tokens import api_token_create
    from compliance.catalog import load_catalogs
    from compliance.models import AutomatedStatus, Control, ControlState, Document, DocumentLink, Ticket, TicketLink
    from evidence.models import Evidence
    from evidence.services import evidence_summary_refresh

    rng = random.Random(27001)
    load_catalogs()
    User = get_user_model()
    ciso = User.objects.create_user("bench-ciso")
    Membership.objects.create(user=ciso, role=Role.CISO)
    engineers = [User(username=f"engineer{i}") for i in range(20)]
    User.objects.bulk_create(engineers)
    Membership.objects.bulk_create([Membership(user=u, role=Role.ENGINEER) for u in engineers])
    controls = list(Control.objects.all())
    for control in controls:
        control.owner = rng.choice(engineers)
    Control.objects.bulk_update(controls, ["owner"], batch_size=500)
    statuses = [AutomatedStatus.PASSING, AutomatedStatus.FAILING, AutomatedStatus.NONE]
    states = [
        ControlState(control=c, automated_status=rng.choice(statuses), checks_failed=rng.randint(0, 3))
        for c in controls
    ]
    ControlState.objects.bulk_create(
        states, update_conflicts=True, unique_fields=["control"], update_fields=["automated_status", "checks_failed"]
    )

    def linked(model, items, field):
        rows = []
        for item in items:
            for control in rng.sample(controls, rng.randint(1, 3)):
                rows.append(model(**{field: item}, control=control, linked_by=rng.choice(engineers)))
        model.objects.bulk_create(rows, batch_size=2000)

    docs = Document.objects.bulk_create(
        [Document(title=f"Document {i}", kind="policy", url=f"https://wiki.example/{i}") for i in range(documents)],
        batch_size=2000,
    )
    linked(DocumentLink, docs, "document")
    ticket_rows = Ticket.objects.bulk_create(
        [Ticket(system="jira", key=f"SEC-{i}", title=f"Ticket {i}", state="open") for i in range(tickets)],
        batch_size=2000,
    )
    linked(TicketLink, ticket_rows, "ticket")
    now = timezone.now()
    items = Evidence.objects.bulk_create(
        [
            Evidence(
                kind="link",
                title=f"Evidence {i}",
                url=f"https://ci.example/runs/{i}",
                sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                collected_at=now - timedelta(minutes=i),
                valid_until=now + timedelta(days=365) - timedelta(minutes=i),
                collected_by=rng.choice(engineers),
            )
            for i in range(evidence)
        ],
        batch_size=2000,
    )
    through = Evidence.controls.through
    through.objects.bulk_create(
        [through(evidence=e, control=c) for e in items for c in rng.sample(controls, rng.randint(1, 3))],
        batch_size=5000,
    )
    evidence_summary_refresh()
    findings_build(findings, rng)
    return api_token_create(user=ciso, name="benchmark").secret


FINDING_RUNS = 5  # every resource was scanned this many times; the latest run's results are current


def findings_build(findings: int, rng: random.Random) -> None:
    """`findings` Finding rows over FINDING_RUNS scans of one account, and the latest result per pair."""
    import scanners.checks.aws  # noqa: F401  (registers the checks)
    from scanners.checks.base import all_checks
    from scanners.models import CheckStatus, CloudAccount, Finding, Resource, ScanRun

    by_type: dict[str, list[str]] = {}
    for check in all_checks():
        by_type.setdefault(check.resource_type, []).append(check.id)
    types = sorted(by_type)
    now = timezone.now()
    account = CloudAccount.objects.create(name="bench", regions=["eu-west-1", "us-east-1", "ap-southeast-2"])
    runs = ScanRun.objects.bulk_create([ScanRun(account=account, state="succeeded") for _ in range(FINDING_RUNS)])
    per_resource = FINDING_RUNS * 3  # about three checks per resource type
    resources = Resource.objects.bulk_create(
        [
            Resource(
                account=account,
                uid=f"arn:bench:{i}",
                type=types[i % len(types)],
                region=account.regions[i % 3],
                name=f"resource-{i}",
                first_seen=now,
                last_seen=now,
            )
            for i in range(max(1, findings // per_resource))
        ],
        batch_size=5000,
    )
    rows, latest = [], []
    for resource in resources:
        for check_id in by_type[resource.type][:3]:
            for run in runs:
                status = rng.choice(["pass", "pass", "fail", "error"])
                rows.append(
                    Finding(
                        run=run,
                        check_id=check_id,
                        resource=resource,
                        region=resource.region,
                        status=status,
                        reason="benchmark",
                    )
                )
            latest.append(
                CheckStatus(
                    account=account,
                    check_id=check_id,
                    resource=resource,
                    region=resource.region,
                    status=status,
                    reason="benchmark",
                    run=runs[-1],
                    checked_at=now,
                )
            )
    Finding.objects.bulk_create(rows[:findings], batch_size=5000)
    CheckStatus.objects.bulk_create(latest, batch_size=5000)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def measure_in_process(token: str, requests: int) -> dict[str, tuple[float, float]]:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    results = {}
    for url in ENDPOINTS:
        assert client.get(url).status_code == 200, url  # warm up, and fail loudly rather than time errors
        samples = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200
        results[url] = (len(samples) / sum(samples), p95(samples))
    return results


def measure_live(token: str, requests: int, threads: int) -> dict[str, tuple[float, float]]:
    from django.test.testcases import LiveServerThread

    # Django's threaded live server (one thread per request), serving the API only: no static files wrapper.
    server = LiveServerThread("127.0.0.1", lambda handler: handler, connections_override={}, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://127.0.0.1:{server.port}"

    def fetch(url: str) -> float:
        start = time.perf_counter()
        request = urllib.request.Request(base + url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            assert response.status == 200
        return time.perf_counter() - start

    results = {}
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for url in ENDPOINTS:
                fetch(url)
                start = time.perf_counter()
                samples = list(pool.map(fetch, [url] * requests))
                results[url] = (requests / (time.perf_counter() - start), p95(samples))
    finally:
        server.terminate()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evidence", type=int, default=20_000)
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--documents", type=int, default=5_000)
    parser.add_argument("--findings", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per endpoint")
    parser.add_argument("--live", action="store_true", help="over HTTP against a live threaded server")
    parser.add_argument("--threads", type=int, default=4, help="client threads with --live")
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        token = build(args.evidence, args.tickets, args.documents, args.findings)
        print(
            f"built {args.evidence} evidence, {args.tickets} tickets, {args.documents} documents "
            f"on {connection.vendor} in {time.perf_counter() - started:.1f}s"
        )
        if args.live:
            results = measure_live(token, args.requests, args.threads)
            mode = f"live server, {args.threads} client threads"
        else:
            results = measure_in_process(token, args.requests)
            mode = "in-process test Client, one client"
        print(f"{args.requests} requests per endpoint, {mode}, page size 100")
        print(f"{'endpoint':<66} {'req/s':>8} {'p95 ms':>8}")
        for url, (rate, slowest) in results.items():
            print(f"{url:<66} {rate:>8.1f} {slowest * 1000:>8.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
