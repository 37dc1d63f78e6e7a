"""Page speed at scale, on PostgreSQL: p50/p95 and query counts of the main pages and API lists.

Builds, in a throwaway database (`bench_<your database>_<findings>`), the three catalogs with 20,000
evidence items (40,000 evidence-control links, a quarter superseded), 5,000 tickets and 5,000 documents
(each linked to two controls), 200 exemptions, 90 days of snapshots, and the scanner's own rows:
5 cloud accounts x 3 regions, each with about 20,000 latest results (CheckStatus) and as many scan runs
as it takes to reach `--findings` Finding rows (200,000: two runs per account; 2,000,000: twenty).

The resources are real collected documents: the demo account is seeded into an in-process moto
server and every AWS collector reads it; each document is then copied into the bench accounts and
regions with its uid (account id, region, a copy number) varied, and every row's status and reason
is what the check returned when run on that copy (`check.run(document)`). The latest run's findings
are written with bulk_create; earlier runs repeat them with one INSERT ... SELECT per run.

Then it asks each page ~30 times with the Django test Client, logged in as the CISO, and prints p50,
p95 and the SQL query count per page, with the load average. Target: p95 under 100 ms.

With `--gunicorn`, it also starts gunicorn (`--workers`, 3 as in the Dockerfile) on the built database
and drives it over HTTP from `--clients` threads at once (requests, the CISO's session cookie), each
asking every page `--requests` times: p50/p95 per page under that load, and requests per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_pagesbench .venv/bin/python benchmarks/pages.py
    (--findings 2000000, --requests N, --keepdb to reuse the built database on the next run,
     --gunicorn [--workers 3 --clients 4], --only A,B to measure only the pages whose URL contains A or B)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Membership, Role  # noqa: E402
from compliance.catalog import load_catalogs  # noqa: E402
from compliance.dashboard import snapshot_take  # noqa: E402
from compliance.models import (  # noqa: E402
    Control,
    ControlState,
    ControlStatus,
    DailySnapshot,
    Document,
    DocumentLink,
    Exemption,
    Ticket,
    TicketLink,
)
from evidence.models import Evidence  # noqa: E402
from evidence.services import evidence_summary_refresh  # noqa: E402
from scanners import engine  # noqa: E402
from scanners.checks import base as checks  # noqa: E402
from scanners.collectors.base import GLOBAL_REGION  # noqa: E402
from scanners.models import CheckStatus, CloudAccount, Finding, Resource, RunState, ScanRun  # noqa: E402

EVIDENCE, TICKETS, DOCUMENTS, EXEMPTIONS = 20_000, 5_000, 5_000, 200
ACCOUNTS, REGIONS, LATEST_PER_ACCOUNT = 5, ("eu-west-1", "us-east-1", "eu-central-1"), 20_000
MOTO_ACCOUNT_ID = "123456789012"  # the account moto answers as
TARGET_P95_MS = 100
BATCH = 5_000


def member(username: str, role: Role):
    user = get_user_model().objects.create_user(username, password="x")
    Membership.objects.create(user=user, role=role)
    return user


def build(rng: random.Random, findings: int) -> None:
    now = timezone.now()
    load_catalogs()
    ciso = member("ciso", Role.CISO)
    engineers = [member(f"engineer{i}", Role.ENGINEER) for i in range(10)]
    member("auditor", Role.AUDITOR)
    controls = list(Control.objects.all())
    for control in controls:
        control.status = rng.choice(ControlStatus.values)
        control.owner = rng.choice(engineers)
        control.applicable = control.status != ControlStatus.NOT_APPLICABLE
    Control.objects.bulk_update(controls, ["status", "owner", "applicable"])
    ControlState.objects.bulk_create(
        [
            ControlState(control=c, automated_status=rng.choice(["passing", "failing", "error", "none"]))
            for c in controls
        ],
        update_conflicts=True,
        unique_fields=["control"],
        update_fields=["automated_status"],
    )
    build_evidence(rng, controls, engineers, now)
    build_register(rng, controls, engineers, ciso, now)
    build_findings(findings, now)
    for days_ago in range(90):
        snapshot_take(day=timezone.localdate() - timedelta(days=days_ago))


def build_evidence(rng, controls, engineers, now) -> None:
    through = Evidence.controls.through
    items = []
    for index in range(EVIDENCE):
        collected = now - timedelta(days=rng.uniform(0, 730))
        kind = rng.choice(["link", "note", "automated"])
        body = f"evidence {index}"
        items.append(
            Evidence(
                kind=kind,
                title=f"Evidence {index}: {rng.choice(['access review', 'SG export', 'backup test', 'policy'])}",
                description=body if kind != "link" else "",
                url=f"https://wiki.example/{index}" if kind == "link" else "",
                sha256=hashlib.sha256(body.encode()).hexdigest(),
                collected_at=collected,
                valid_until=collected + timedelta(days=365),
                collected_by=rng.choice(engineers) if kind != "automated" else None,
                produced_by="scan of demo-aws" if kind == "automated" else "",
            )
        )
    created = Evidence.objects.bulk_create(items, batch_size=BATCH)  # bulk_create skips the immutability guard
    links = []
    for item in created:
        for control in rng.sample(controls, 2):
            links.append(through(evidence_id=item.pk, control_id=control.pk))
    through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    # A quarter of the items are corrections that supersede an older one (set with SQL: the ORM refuses).
    older, newer = created[: EVIDENCE // 4], created[EVIDENCE // 4 : EVIDENCE // 2]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Evidence._meta.db_table} SET supersedes_id = %s WHERE id = %s",
            [(old.pk, new.pk) for old, new in zip(older, newer, strict=True)],
        )
    evidence_summary_refresh()


def build_register(rng, controls, engineers, ciso, now) -> None:
    documents = Document.objects.bulk_create(
        [Document(title=f"Document {i}", owner=rng.choice(engineers)) for i in range(DOCUMENTS)], batch_size=BATCH
    )
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                system="jira", key=f"SEC-{i}", title=f"Ticket {i}", state=rng.choice(["open", "In Progress", "Done"])
            )
            for i in range(TICKETS)
        ],
        batch_size=BATCH,
    )
    DocumentLink.objects.bulk_create(
        [DocumentLink(document=d, control=c, linked_by=ciso) for d in documents for c in rng.sample(controls, 2)],
        batch_size=BATCH,
    )
    TicketLink.objects.bulk_create(
        [TicketLink(ticket=t, control=c, linked_by=ciso) for t in tickets for c in rng.sample(controls, 2)],
        batch_size=BATCH,
    )
    exemptions = Exemption.objects.bulk_create(
        [
            Exemption(
                title=f"Exemption {i}",
                reason="Accepted risk",
                requested_by=ciso,
                approved_by=ciso,
                approved_at=now,
                expires_at=now + timedelta(days=rng.randint(1, 200)),
            )
            for i in range(EXEMPTIONS)
        ]
    )
    Exemption.controls.through.objects.bulk_create(
        [Exemption.controls.through(exemption_id=e.pk, control_id=rng.choice(controls).pk) for e in exemptions]
    )


def collected_documents() -> list[dict]:
    """Every document the AWS collectors read from the seeded demo account (what a scan would judge)."""
    from scanners.aws import ClientFactory
    from scanners.collectors.base import SERVICE_GROUPS, CollectionError
    from scanners.demo import seed_demo_account
    from scanners.demo_cloud import DEMO_REGIONS, demo_cloud_start
    from scanners.recording import doc_as_dict

    server = demo_cloud_start()
    try:
        seed_demo_account(regions=DEMO_REGIONS)
        engine.registries_load()
        factory, documents = ClientFactory(role_arn="", external_id=""), []
        for group in (g for g in SERVICE_GROUPS.values() if g.provider == "aws"):
            for region in DEMO_REGIONS[:1] if group.is_global else DEMO_REGIONS:
                for item in group.collect(factory, region):
                    if not isinstance(item, CollectionError):
                        documents.append(doc_as_dict(item))
    finally:
        server.stop()
    return documents


def copies_of(document: dict, *, account_id: str, region: str, copy: int) -> dict:
    """The same configuration as another resource: the account id, the region and the uid's tail varied."""
    text = json.dumps(document).replace(MOTO_ACCOUNT_ID, account_id)
    if document["region"] != GLOBAL_REGION:
        text = text.replace(document["region"], region)
    varied = json.loads(text)
    if copy:
        varied["uid"] = f"{varied['uid']}-{copy}"
    return varied


def build_findings(findings: int, now) -> None:
    """Accounts, resources, latest results and run history of real checks run on real documents."""
    templates = collected_documents()

    def documents_of(account_id: str, copies: int) -> list[dict]:
        documents = {}  # two demo regions' settings documents may land on one uid in a bench region
        for copy in range(copies):
            for template in templates:
                for region in [GLOBAL_REGION] if template["region"] == GLOBAL_REGION else REGIONS:
                    document = copies_of(template, account_id=account_id, region=region, copy=copy)
                    documents.setdefault(document["uid"], document)
        return list(documents.values())

    results_per_copy = sum(len(checks.checks_for(d["type"])) for d in documents_of(MOTO_ACCOUNT_ID, 1))
    copies = -(-LATEST_PER_ACCOUNT // results_per_copy)
    runs_per_account = max(1, round(findings / (ACCOUNTS * copies * results_per_copy)))
    print(
        f"{len(templates)} collected documents, {results_per_copy} results per copy in 3 regions: "
        f"{copies} copies, {runs_per_account} runs per account"
    )
    for index in range(ACCOUNTS):
        account = CloudAccount.objects.create(
            name=f"bench-{index}", account_id=f"{210000000000 + index}", regions=list(REGIONS)
        )
        runs = ScanRun.objects.bulk_create(
            [ScanRun(account=account, state=RunState.SUCCEEDED) for _ in range(runs_per_account)]
        )
        for age, run in enumerate(reversed(runs)):  # a daily scan: the last run is today's
            when = now - timedelta(days=age)
            ScanRun.objects.filter(pk=run.pk).update(created_at=when, started_at=when, finished_at=when)
        record_results(account, documents_of(account.account_id, copies), runs, now)


def record_results(account, documents: list[dict], runs: list, now) -> None:
    resources = Resource.objects.bulk_create(
        [
            Resource(
                account=account,
                uid=d["uid"],
                type=d["type"],
                region=d["region"],
                name=d["name"][:300],
                tags=d["tags"],
                config=d["config"],
                first_seen=now,
                last_seen=now,
            )
            for d in documents
        ],
        batch_size=BATCH,
    )
    latest_run, findings, latest = runs[-1], [], []
    for resource, document in zip(resources, documents, strict=True):
        for check in checks.checks_for(document["type"]):
            result = check.run(document)
            details = {"severity": check.severity, "resource_type": check.resource_type}
            common = {"check_id": check.id, "resource": resource, "region": resource.region, "reason": result.reason}
            findings.append(Finding(run=latest_run, status=result.status, details=details, **common))
            latest.append(CheckStatus(account=account, run=latest_run, checked_at=now, status=result.status, **common))
    Finding.objects.bulk_create(findings, batch_size=BATCH)
    CheckStatus.objects.bulk_create(latest, batch_size=BATCH)
    columns = "check_id, resource_id, region, status, reason, details"
    with connection.cursor() as cursor:
        for run in runs[:-1]:  # earlier scans of the same documents found the same
            cursor.execute(
                f"INSERT INTO {Finding._meta.db_table} (run_id, {columns}) "
                f"SELECT %s, {columns} FROM {Finding._meta.db_table} WHERE run_id = %s",
                [run.pk, latest_run.pk],
            )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(client: Client, url: str, requests: int) -> dict:
    """Wall-clock p50/p95 (what a user waits, PostgreSQL included) and this process's CPU p50 (Python and
    templates only, which the other processes sharing the machine's cores cannot inflate)."""
    queries = []
    with connection.execute_wrapper(lambda execute, *args: queries.append(args[0]) or execute(*args)):
        client.get(url)
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "p50": statistics.median(wall),
        "p95": percentile(wall, 0.95),
        "cpu": statistics.median(cpu),
        "queries": len(queries),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=200_000, help="Finding rows to build (every run kept)")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keepdb", action="store_true", help="keep (and reuse) the built test database")
    parser.add_argument("--gunicorn", action="store_true", help="also measure through gunicorn and HTTP clients")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (--gunicorn)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (--gunicorn)")
    parser.add_argument("--only", default="", help="comma-separated parts of the URLs to measure; all by default")
    args = parser.parse_args()
    # No setup_test_environment(): it instruments template rendering for tests and would inflate the times.
    if connection.vendor != "postgresql":
        print("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    real_name = connection.settings_dict["NAME"]
    # Not `test_<name>`: that one is pytest's, and a test run must not find (or drop) benchmark data.
    connection.settings_dict["TEST"]["NAME"] = f"bench_{real_name}_{args.findings}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb, serialize=False)
    if args.keepdb and not ScanRun.objects.filter(state=RunState.SUCCEEDED).exists():  # an unfinished build
        connection.close()
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        if not Evidence.objects.exists():
            started = time.perf_counter()
            build(random.Random(27001), args.findings)
            print(f"built the data in {time.perf_counter() - started:.0f} s")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        pages = [url for url in bench_pages() if not args.only or any(part in url for part in args.only.split(","))]
        status = report(pages, args.requests)
        if args.gunicorn:
            status |= report_gunicorn(pages, args.requests, workers=args.workers, clients=args.clients)
        return status
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(real_name, verbosity=0)


def deep(url: str) -> str:
    """The 500th page of 100 latest results: by its cursor where the list is paged by cursor, else by number."""
    try:
        from config.keyset import cursor_after
        from scanners.models import RESULTS_ORDER
    except ImportError:  # a checkout from before keyset pagination
        return f"{url}?page=500"
    before = CheckStatus.objects.order_by(*RESULTS_ORDER)[499 * 100 - 1]
    return f"{url}?cursor={cursor_after(before, RESULTS_ORDER)}"


def bench_pages() -> list[str]:
    control = Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref="A.8.20")
    latest_run = ScanRun.objects.filter(account__name="bench-0").latest("created_at")
    resource = Resource.objects.filter(account__name="bench-0").order_by("pk")[Resource.objects.count() // 10]
    return [
        control.get_absolute_url(),
        deep("/scans/findings/"),
        deep("/api/findings/"),
        "/api/run-findings/",
        latest_run.get_absolute_url(),
        "/scans/findings/",
        "/scans/findings/?group=check",
        "/scans/findings/?group=resource&status=fail",
        "/scans/resources/",
        f"/scans/resources/{resource.pk}/",
        "/api/resources/",
        "/api/findings/",
        "/",
        "/controls/",
        "/evidence/",
        "/api/evidence/",
        "/audit/",
        "/audit/soa/",
    ]


def served(url: str) -> bool:
    """Pages added after a checkout being measured (a before/after pair) are left out of it."""
    from django.urls import Resolver404, resolve

    try:
        resolve(url.split("?")[0])
    except Resolver404:
        return False
    return True


def warm_up(client: Client, pages: list[str]) -> None:
    """Every page once, as a running server would have served them, then the loaded heap frozen as
    config/wsgi.py freezes it in each gunicorn worker."""
    import gc

    for url in pages:
        for _ in range(3):
            assert client.get(url).status_code == 200, url
    gc.collect()
    gc.freeze()


def report(pages: list[str], requests: int) -> int:
    counts = {
        "findings": Finding.objects.count(),
        "latest results": CheckStatus.objects.count(),
        "resources": Resource.objects.count(),
        "scan runs": ScanRun.objects.count(),
        "evidence": Evidence.objects.count(),
        "tickets": Ticket.objects.count(),
        "documents": Document.objects.count(),
        "snapshots": DailySnapshot.objects.count(),
    }
    print(", ".join(f"{n} {what}" for what, n in counts.items()))
    client = Client()
    client.force_login(get_user_model().objects.get(username="ciso"))
    pages = [url for url in pages if served(url)]
    warm_up(client, pages)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'page':<44}{'p50 ms':>8}{'p95 ms':>8}{'cpu p50':>9}{'queries':>9}{'load':>6}")
    slow = []
    for url in pages:
        m = measure(client, url, requests)
        shown = url if len(url) <= 42 else url[:39] + "..."
        print(f"{shown:<44}{m['p50']:>8.1f}{m['p95']:>8.1f}{m['cpu']:>9.1f}{m['queries']:>9}{os.getloadavg()[0]:>6.1f}")
        if m["p95"] >= TARGET_P95_MS:
            slow.append(url)
    verdict = "met" if not slow else "MISSED on " + ", ".join(slow)
    print(f"{requests} requests per page; target p95 < {TARGET_P95_MS} ms: {verdict}")
    return 1 if slow else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(workers: int) -> tuple[subprocess.Popen, str]:
    """gunicorn as the Dockerfile runs it, on the benchmark's database; the settings are the in-process
    run's (config.test_settings: no TLS redirect, and API throttles that four busy clients do not trip)."""
    port = free_port()
    settings = connection.settings_dict
    login = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    database = f"postgres://{login}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": database, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(workers)]
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [*command, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    import requests

    deadline = time.monotonic() + 120  # three workers importing the app on a loaded machine
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                return server, base
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    server.wait(timeout=30)
    raise RuntimeError("gunicorn did not answer /healthz within two minutes")


def drive(base: str, url: str, cookie: str, *, clients: int, requests_each: int) -> dict:
    """`clients` threads at once, each asking `url` `requests_each` times on its own connection."""
    import requests

    samples: list[float] = []
    failures: list[str] = []

    def client() -> None:
        with requests.Session() as session:
            session.headers["Cookie"] = f"sessionid={cookie}"
            for _ in range(requests_each):
                started = time.perf_counter()
                response = session.get(base + url, timeout=60, allow_redirects=False)
                samples.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    failures.append(f"{url}: {response.status_code}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError("; ".join(failures[:3]))
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "rps": len(samples) / elapsed,
    }


def report_gunicorn(pages: list[str], requests: int, *, workers: int, clients: int) -> int:
    client = Client()
    client.force_login(get_user_model().objects.get(username="ciso"))
    cookie = client.cookies["sessionid"].value
    pages = [url for url in pages if served(url)]
    server, base = gunicorn_start(workers)
    try:
        for url in pages:  # every worker loads its templates and caches once, as a running server has
            drive(base, url, cookie, clients=workers, requests_each=2)
        print(f"\ngunicorn, {workers} workers, {clients} clients at once, {requests} requests each per page")
        print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        print(f"{'page':<44}{'p50 ms':>8}{'p95 ms':>8}{'req/s':>8}{'load':>6}")
        slow = []
        for url in pages:
            m = drive(base, url, cookie, clients=clients, requests_each=requests)
            shown = url if len(url) <= 42 else url[:39] + "..."
            print(f"{shown:<44}{m['p50']:>8.1f}{m['p95']:>8.1f}{m['rps']:>8.1f}{os.getloadavg()[0]:>6.1f}")
            if m["p95"] >= TARGET_P95_MS:
                slow.append(url)
    finally:
        server.terminate()
        server.wait(timeout=30)
    verdict = "met" if not slow else "MISSED on " + ", ".join(slow)
    print(f"gunicorn: target p95 < {TARGET_P95_MS} ms: {verdict}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
