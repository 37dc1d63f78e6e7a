"""Changes made behind the application's back, with raw SQL on the database, are caught and named."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from compliance.models import Document
from evidence.models import Evidence
from ledger.models import LedgerEntry
from ledger.verify import CONTENT_CHANGED, ENTRY_ALTERED, ROW_DELETED, ROW_WITHOUT_ENTRY, ledger_verify

pytestmark = pytest.mark.django_db


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def entry_for(model, row_id: int) -> LedgerEntry:
    return LedgerEntry.objects.get(table_name=model._meta.db_table, row_id=row_id)


def test_an_intact_ledger_says_so(recorded, capsys):
    call_command("verify_ledger")
    assert capsys.readouterr().out.strip() == f"Ledger intact through entry {LedgerEntry.objects.count()}."


def test_a_history_record_edited_with_sql_is_named(recorded):
    record = recorded["document"].history.get()
    sql("UPDATE compliance_historicaldocument SET title = %s WHERE history_id = %s", "Lax policy", record.pk)

    verdict = ledger_verify()

    problem = verdict.first_problem
    assert (problem.kind, problem.table, problem.row_id) == (
        CONTENT_CHANGED,
        "compliance_historicaldocument",
        record.pk,
    )
    assert problem.seq == entry_for(Document.history.model, record.pk).seq
    assert verdict.intact_through == problem.seq - 1
    with pytest.raises(CommandError, match=rf"entry {problem.seq} \(compliance_historicaldocument row {record.pk}\)"):
        call_command("verify_ledger")


def test_an_evidence_row_deleted_with_sql_is_named(recorded):
    item = recorded["evidence"][0]
    # The ORM refuses (PROTECT, an immutable model); SQL does not. Its control links go first.
    sql("DELETE FROM evidence_evidence_controls WHERE evidence_id = %s", item.pk)
    sql("DELETE FROM evidence_evidence WHERE id = %s", item.pk)

    problem = ledger_verify().first_problem

    assert (problem.kind, problem.table, problem.row_id) == (ROW_DELETED, "evidence_evidence", item.pk)
    assert problem.seq == entry_for(Evidence, item.pk).seq


def test_an_entry_whose_hash_was_rewritten_is_named(recorded):
    entry = entry_for(Evidence, recorded["evidence"][1].pk)
    sql("UPDATE ledger_ledgerentry SET entry_hash = %s WHERE seq = %s", "f" * 64, entry.seq)

    verdict = ledger_verify()

    assert (verdict.first_problem.kind, verdict.first_problem.seq) == (ENTRY_ALTERED, entry.seq)
    assert f"entry {entry.seq} (evidence_evidence row" in verdict.summary()


def test_an_entry_rewritten_to_match_an_edited_row_still_breaks_the_chain(recorded):
    """Changing the row and its entry's content hash together is caught by the entry's own hash."""
    item = recorded["evidence"][0]
    sql("UPDATE evidence_evidence SET title = %s WHERE id = %s", "Other runbook", item.pk)
    from ledger.canonical import content_hash

    new_hash = content_hash(Evidence.objects.get(pk=item.pk))
    sql(
        "UPDATE ledger_ledgerentry SET content_hash = %s WHERE table_name = %s AND row_id = %s",
        new_hash,
        "evidence_evidence",
        item.pk,
    )

    problem = ledger_verify().first_problem

    assert (problem.kind, problem.seq, problem.row_id) == (ENTRY_ALTERED, entry_for(Evidence, item.pk).seq, item.pk)


def test_a_row_written_around_the_ledger_is_named(recorded):
    history = Document.history.model
    row = recorded["document"].history.get()
    row.history_id, row.title = None, "Slipped in"
    [row] = history.objects.bulk_create([row])  # bulk_create sends no signal

    problem = ledger_verify().first_problem

    assert (problem.kind, problem.seq, problem.table, problem.row_id) == (
        ROW_WITHOUT_ENTRY,
        None,
        "compliance_historicaldocument",
        row.pk,
    )


def test_rows_written_before_tracking_began_are_adopted_once(recorded, capsys):
    history = Document.history.model
    row = recorded["document"].history.get()
    row.history_id, row.title = None, "Imported before the ledger"
    history.objects.bulk_create([row])
    assert ledger_verify().first_problem.kind == ROW_WITHOUT_ENTRY

    call_command("ledger_adopt")

    assert capsys.readouterr().out.strip() == "1 row(s) appended to the ledger."
    assert ledger_verify().intact


def test_an_evidence_link_to_a_control_removed_with_sql_is_named(recorded):
    item = recorded["evidence"][0]
    link = Evidence.controls.through.objects.filter(evidence=item).first()
    sql("DELETE FROM evidence_evidence_controls WHERE id = %s", link.pk)

    problem = ledger_verify().first_problem

    assert (problem.kind, problem.table, problem.row_id) == (ROW_DELETED, "evidence_evidence_controls", link.pk)


def test_an_audit_event_edited_with_sql_is_named(recorded, ciso):
    from compliance.events import audit_event_record
    from compliance.models import AuditVerb

    with transaction.atomic():
        event = audit_event_record(verb=next(iter(AuditVerb)), actor=ciso, subject=recorded["document"])
    sql("UPDATE compliance_auditevent SET actor_id = NULL WHERE id = %s", event.pk)

    problem = ledger_verify().first_problem

    assert (problem.kind, problem.table, problem.row_id) == (CONTENT_CHANGED, "compliance_auditevent", event.pk)
