"""Every evidence item and history record is appended to the chain in the transaction that writes it,
on the one-by-one paths (signals) and on the bulk paths (which send none)."""

import hashlib
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from compliance.models import Control, Document, DocumentLink, Ticket, TicketLink
from compliance.services import control_bulk_update, links_bulk_delete, records_bulk_create
from evidence.models import Evidence
from evidence.services import evidence_add
from ledger.canonical import content_hash
from ledger.chain import tracked_models
from ledger.models import GENESIS, LedgerEntry, LedgerHead
from ledger.verify import ledger_verify
from scanners import engine
from scanners.models import ScanRun
from tests.scanners.conftest import celery_in_process, cloud_account, fake_cloud  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def entries_of(model) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(table_name=model._meta.db_table).order_by("seq"))


def test_evidence_and_history_rows_are_chained_as_they_are_written(recorded):
    evidence = recorded["evidence"]
    assert [(e.row_id, e.content_hash) for e in entries_of(Evidence)] == [(i.pk, content_hash(i)) for i in evidence]
    document_history = recorded["document"].history.get()
    [entry] = entries_of(Document.history.model)
    assert (entry.row_id, entry.content_hash) == (document_history.pk, content_hash(document_history))
    assert len(entries_of(Ticket.history.model)) == 1

    chain = list(LedgerEntry.objects.order_by("seq"))
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == GENESIS
    for before, entry in zip(chain, chain[1:], strict=False):
        assert entry.prev_hash == before.entry_hash
    body = f"{entry.seq}|{entry.table_name}|{entry.row_id}|{entry.content_hash}|{entry.prev_hash}"
    assert entry.entry_hash == hashlib.sha256(body.encode()).hexdigest()
    head = LedgerHead.objects.get()
    assert (head.seq, head.entry_hash) == (chain[-1].seq, chain[-1].entry_hash)
    assert ledger_verify().summary() == f"Ledger intact through entry {len(chain)}."


def test_the_content_hash_is_of_sorted_keys_iso_dates_and_the_files_sha256(control, engineer):
    item = evidence_add(controls=[control], title="Runbook", actor=engineer, url="https://wiki/runbook")
    stored = Evidence.objects.get(pk=item.pk)
    document = json.loads(stored_canonical(stored))
    assert list(document) == sorted(document)
    assert document["sha256"] == hashlib.sha256(b"https://wiki/runbook").hexdigest()
    assert document["collected_at"] == stored.collected_at.isoformat() and document["collected_at"].endswith("+00:00")
    assert (
        LedgerEntry.objects.get(table_name="evidence_evidence", row_id=item.pk).content_hash
        == hashlib.sha256(stored_canonical(stored)).hexdigest()
    )


def stored_canonical(instance) -> bytes:
    from ledger.canonical import canonical_bytes

    model = type(instance)
    return canonical_bytes(model, [getattr(instance, f.attname) for f in model._meta.concrete_fields])


def test_a_rolled_back_write_leaves_no_entry(control, engineer):
    before = LedgerEntry.objects.count()  # the engineer's role, granted above
    with pytest.raises(RuntimeError), transaction.atomic():
        evidence_add(controls=[control], title="Draft", actor=engineer, url="https://wiki/draft")
        raise RuntimeError("the rest of the workflow failed")
    assert LedgerEntry.objects.count() == before
    assert ledger_verify().intact


def test_every_historical_model_is_tracked():
    tracked = {model._meta.label for model in tracked_models()}
    assert "evidence.Evidence" in tracked
    assert {
        "compliance.HistoricalControl",
        "compliance.HistoricalDocument",
        "compliance.HistoricalTicketLink",
    } <= tracked


def test_bulk_creates_updates_and_deletes_are_chained_in_one_insert(ciso, catalogs):
    documents = [Document(title=f"Procedure {i}", kind="procedure") for i in range(30)]
    tickets = [Ticket(system="jira", key=f"SEC-{i}") for i in range(30)]
    with CaptureQueriesContext(connection) as queries:
        records_bulk_create(records=documents + tickets, actor=ciso, reason="import")
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "ledger_ledgerentry"')]
    assert len(inserts) == 1
    assert len(entries_of(Document.history.model)) == 30 and len(entries_of(Ticket.history.model)) == 30

    controls = list(Control.objects.order_by("pk")[:20])
    links = [TicketLink(ticket=tickets[i], control=controls[i], linked_by=ciso) for i in range(20)]
    records_bulk_create(records=links, actor=ciso)
    result = control_bulk_update(control_ids=[c.pk for c in controls], actor=ciso, status="in_progress")
    links_bulk_delete(links=links[:5], actor=ciso, reason="cleanup")

    assert result.updated == 20 and len(entries_of(Control.history.model)) == 20
    link_history = TicketLink.history.model
    assert len(entries_of(link_history)) == 25 == link_history.objects.count()
    assert {e.row_id for e in entries_of(link_history)} == set(link_history.objects.values_list("pk", flat=True))
    assert not entries_of(DocumentLink.history.model)
    assert ledger_verify().intact


def test_a_scans_evidence_is_chained_in_one_insert(fake_cloud, cloud_account, catalogs):  # noqa: F811
    fake_cloud.seed_default()
    run = ScanRun.objects.create(account=cloud_account)
    with CaptureQueriesContext(connection) as queries:
        engine.scan_run_sync(run_id=run.pk)
    items = Evidence.objects.filter(produced_by=f"scan {run.pk} of prod")
    assert items.count() == 5  # A.8.20, A.8.24, A.8.5, CC6.6 and A.13.1.1 (equal to A.8.20)
    assert {e.row_id for e in entries_of(Evidence)} == set(items.values_list("pk", flat=True))
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "ledger_ledgerentry"')]
    assert len(inserts) == 1
    assert ledger_verify().intact
