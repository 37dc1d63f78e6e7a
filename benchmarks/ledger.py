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
    from django.db.models.signals import post_save
    from simple_history.utils import bulk_create_with_history

    from accounts.models import Membership, Role
    from compliance.catalog import load_catalogs
    from compliance.models import Control, Document
    from compliance.services import document_create, records_bulk_create
    from evidence.services import evidence_add
    from ledger.chain import (
        _row_saved,  # to switch the ledger off for the baseline
        ledger_batch,
    )
    from ledger.models import GENESIS, LedgerEntry, LedgerHead
    from ledger.verify import ledger_verify

    load_catalogs()
    ciso = get_user_model().objects.create_user("ciso")
    Membership.objects.create(user=ciso, role=Role.CISO)
    control = Control.objects.first()
    print(f"database: {connection.vendor}")

    # One at a time: a document added through the service, its history row appended by the signal.
    history_model = Document.history.model

    def add_documents(prefix: str) -> float:
        start = time.perf_counter()
        for i in range(ONE_BY_ONE):
            document_create(actor=ciso, title=f"{prefix} {i}", kind="runbook")
        return (time.perf_counter() - start) / ONE_BY_ONE * 1000

    uid = f"ledger:{history_model._meta.label}"
    post_save.disconnect(sender=history_model, dispatch_uid=uid)
    without = add_documents("Unrecorded")
    post_save.connect(_row_saved, sender=history_model, dispatch_uid=uid)
    with_ledger = add_documents("Runbook")
    print(
        f"one by one: document_create {without:.2f} ms without the ledger, {with_ledger:.2f} ms with it "
        f"(+{with_ledger - without:.2f} ms per row)"
    )
    LedgerEntry.objects.all().delete()  # the rows added without it would read as unrecorded
    history_model.objects.all().delete()
    LedgerHead.objects.update(seq=0, entry_hash=GENESIS)

    # In bulk: simple_history's bulk create alone, then the register import's path (its batch appends).
    def bulk(prefix: str, service: bool) -> float:
        documents = [Document(title=f"{prefix} {i}", kind="procedure") for i in range(BULK)]
        start = time.perf_counter()
        if service:
            records_bulk_create(records=documents, actor=ciso)
        else:
            with transaction.atomic():
                bulk_create_with_history(documents, Document, batch_size=1000, default_user=ciso)
        return time.perf_counter() - start

    without = bulk("Unrecorded", service=False)
    unrecorded = list(history_model.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as captured:
        with_ledger = bulk("Procedure", service=True)
    ledger_queries = sum("ledger_" in q["sql"] for q in captured.captured_queries)
    print(
        f"bulk of {BULK:,}: bulk_create_with_history {without:.2f} s; records_bulk_create with its batch "
        f"{with_ledger:.2f} s ({ledger_queries} ledger queries, +{(with_ledger - without) / BULK * 1e6:.0f} µs per row)"
    )
    history_model.objects.filter(pk__in=unrecorded).delete()

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
