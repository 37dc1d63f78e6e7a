"""The ledger at scale: appending one row at a time, appending 10,000 in bulk, and verifying 100,000 entries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_ledger .venv/bin/python benchmarks/ledger.py

Runs in a throwaway database (`<name>_bench`, or in memory on SQLite) that it creates and drops. The rows are
real: documents added through the register's services, so each has its simple_history record, and
evidence items added through evidence_add.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

ONE_BY_ONE = 1_000
BULK = 10_000
VERIFY = 100_000
EVIDENCE = 1_000


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Role
    from compliance.catalog import load_catalogs
    from compliance.models import Control, Document
    from compliance.services import document_create, records_bulk_create
    from evidence.services import evidence_add
    from ledger.chain import ledger_append_many, ledger_batch
    from ledger.models import LedgerEntry
    from ledger.verify import ledger_verify

    load_catalogs()
    ciso = get_user_model().objects.create_user("ciso")
    Membership.objects.create(user=ciso, role=Role.CISO)
    control = Control.objects.first()
    print(f"database: {connection.vendor}")

    # One at a time: a document added through the service, its history row appended by the signal.
    start = time.perf_counter()
    for i in range(ONE_BY_ONE):
        document_create(actor=ciso, title=f"Runbook {i}", kind="runbook")
    with_ledger = time.perf_counter() - start
    history = list(Document.history.model.objects.order_by("pk")[:ONE_BY_ONE])
    start = time.perf_counter()
    for row in history:  # the append alone, each in its own transaction, as the signal does it
        with transaction.atomic():
            ledger_append_many([row])
    append_only = time.perf_counter() - start
    print(
        f"one by one: document_create {with_ledger / ONE_BY_ONE * 1000:.2f} ms each (with its append); "
        f"the append alone {append_only / ONE_BY_ONE * 1000:.2f} ms per row"
    )

    # In bulk: the register import's path, and the append alone.
    documents = [Document(title=f"Procedure {i}", kind="procedure") for i in range(BULK)]
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        records_bulk_create(records=documents, actor=ciso)
        bulk_total = time.perf_counter() - start
    ledger_queries = sum("ledger_" in q["sql"] for q in captured.captured_queries)
    rows = list(Document.history.model.objects.order_by("-pk")[:BULK])
    start = time.perf_counter()
    with transaction.atomic():
        ledger_append_many(rows)
    bulk_append = time.perf_counter() - start
    print(
        f"bulk of {BULK:,}: records_bulk_create {bulk_total:.2f} s with its batch ({ledger_queries} ledger "
        f"queries); the append alone {bulk_append:.2f} s ({bulk_append / BULK * 1e6:.0f} µs per row)"
    )

    start = time.perf_counter()
    with transaction.atomic(), ledger_batch():
        for i in range(EVIDENCE):
            evidence_add(
                controls=[control],
                title=f"Scan report {i}",
                produced_by="bench",
                description=f"r{i}",
                refresh_summary=False,
            )
    print(f"{EVIDENCE:,} evidence items in one batch: {time.perf_counter() - start:.2f} s")

    missing = VERIFY - LedgerEntry.objects.count()
    for start_at in range(0, missing, BULK):
        size = min(BULK, missing - start_at)
        records_bulk_create(
            records=[Document(title=f"Record {start_at + i}", kind="record") for i in range(size)], actor=ciso
        )
    entries = LedgerEntry.objects.count()
    before = rss_mib()
    start = time.perf_counter()
    verdict = ledger_verify()
    seconds = time.perf_counter() - start
    print(
        f"verify {entries:,} entries: {seconds:.2f} s ({verdict.summary()}); "
        f"peak RSS {before:.0f} MiB before, {rss_mib():.0f} MiB after"
    )


if __name__ == "__main__":
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        main()
    finally:
        teardown_databases(old_config, verbosity=0)
