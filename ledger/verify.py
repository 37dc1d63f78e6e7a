"""Checking the chain and the tracked tables against it, streamed in batches (memory does not grow with N).

Two passes over one snapshot: the entries in order (each entry's hash recomputed and linked to the one
before), then each tracked table merged with its entries by primary key (the row's content hash
recomputed). The first problem found, by entry number, is the verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from ledger.canonical import entry_hash, stored_hashes
from ledger.chain import BATCH_SIZE, tracked_models
from ledger.models import GENESIS, LedgerEntry, LedgerHead

CONTENT_CHANGED = "content changed"
ROW_DELETED = "row deleted"
ENTRY_ALTERED = "entry altered"
ENTRY_MISSING = "entry missing"
ROW_WITHOUT_ENTRY = "row without entry"
HEAD_MISMATCH = "head does not match the last entry"
ANCHOR_MISMATCH = "chain differs from the anchored head"
KEPT_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    kind: str
    seq: int | None  # the entry concerned; None for a row that has no entry
    table: str
    row_id: int | None
    detail: str

    def describe(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "no entry"
        row = f"{self.table} row {self.row_id}" if self.row_id is not None else self.table
        return f"{where} ({row}): {self.kind}. {self.detail}"


@dataclass
class Verdict:
    entries: int = 0
    head_seq: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def intact(self) -> bool:
        return self.problem_count == 0

    @property
    def first_problem(self) -> Problem | None:
        ordered = sorted(self.problems, key=lambda p: (p.seq is None, p.seq or 0, p.table, p.row_id or 0))
        return ordered[0] if ordered else None

    @property
    def intact_through(self) -> int:
        first = self.first_problem
        return self.entries if first is None or first.seq is None else first.seq - 1

    def summary(self) -> str:
        if self.intact:
            return f"Ledger intact through entry {self.entries}."
        first = self.first_problem
        return f"Ledger broken: {first.describe()} ({self.problem_count} problem(s) in all)"

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(problem)


def _entries(table: str | None = None) -> Iterator[tuple]:
    entries = LedgerEntry.objects.all()
    if table is None:
        columns = ("seq", "table_name", "row_id", "content_hash", "prev_hash", "entry_hash")
        return entries.order_by("seq").values_list(*columns).iterator(chunk_size=BATCH_SIZE)
    rows = entries.filter(table_name=table).order_by("row_id", "seq").values_list("row_id", "seq", "content_hash")
    return rows.iterator(chunk_size=BATCH_SIZE)


def check_chain(verdict: Verdict) -> None:
    expected_seq, prev = 1, GENESIS
    for seq, table, row_id, content, prev_hash, digest in _entries():
        if seq != expected_seq:
            gone = f"Entries {expected_seq} to {seq - 1} are gone."
            verdict.add(Problem(ENTRY_MISSING, expected_seq, table, None, gone))
        elif prev_hash != prev or entry_hash(seq, table, row_id, content, prev_hash) != digest:
            why = "its link to the entry before" if prev_hash != prev else "its own hash"
            verdict.add(Problem(ENTRY_ALTERED, seq, table, row_id, f"The entry no longer matches {why}."))
        expected_seq, prev = seq + 1, digest
        verdict.entries = seq
    head = LedgerHead.objects.first()
    verdict.head_seq = head.seq if head else 0
    if head is not None and (head.seq, head.entry_hash) != (verdict.entries, prev):
        verdict.add(Problem(HEAD_MISMATCH, head.seq, "ledger_ledgerhead", None, f"The head names entry {head.seq}."))


def check_table(verdict: Verdict, model) -> None:
    """Merge the table's rows (by pk) with its entries (by row id); both streams are sorted."""
    table = model._meta.db_table
    rows, entries = stored_hashes(model, chunk_size=BATCH_SIZE), _entries(table)
    row, entry = next(rows, None), next(entries, None)
    while row is not None or entry is not None:
        if entry is None or (row is not None and row[0] < entry[0]):
            verdict.add(Problem(ROW_WITHOUT_ENTRY, None, table, row[0], "The row was written outside the ledger."))
            row = next(rows, None)
            continue
        row_id, seq, recorded = entry
        entry = next(entries, None)
        while entry is not None and entry[0] == row_id:  # recorded twice: the latest entry counts
            row_id, seq, recorded = entry
            entry = next(entries, None)
        if row is None or row[0] > row_id:
            verdict.add(Problem(ROW_DELETED, seq, table, row_id, "The row recorded by this entry is gone."))
            continue
        if row[1] != recorded:
            detail = f"Recorded content hash {recorded[:12]}…, the row now hashes to {row[1][:12]}…."
            verdict.add(Problem(CONTENT_CHANGED, seq, table, row_id, detail))
        row = next(rows, None)


def check_anchor(verdict: Verdict, anchored: tuple[str, dict] | None) -> None:
    """A chain rewritten from some entry on, head included, is consistent in itself: the anchor is not."""
    if anchored is None:
        return
    key, head = anchored
    entry = LedgerEntry.objects.filter(seq=head["seq"]).values_list("entry_hash", flat=True).first()
    if entry != head["entry_hash"]:
        detail = f"The head anchored as {key} names entry {head['seq']} with hash {head['entry_hash'][:12]}…"
        verdict.add(Problem(ANCHOR_MISMATCH, head["seq"], "ledger_ledgerentry", None, detail))


def ledger_verify(*, anchored: tuple[str, dict] | None = None) -> Verdict:
    """The chain and every tracked table, read in one snapshot; and the chain against an anchored head if given."""
    verdict = Verdict()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _repeatable_read_if_outermost()
        check_chain(verdict)
        for model in tracked_models():
            check_table(verdict, model)
        check_anchor(verdict, anchored)
    return verdict


def _repeatable_read_if_outermost() -> None:
    # Rows and entries read by different statements must come from one snapshot, or a row committed
    # between the two reads would look deleted (or unrecorded). Only possible as the transaction's first statement.
    conn = transaction.get_connection()
    if len(conn.atomic_blocks) == 1:
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
