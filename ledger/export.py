"""The ledger as an auditor takes it away: every entry up to the head, as JSON lines, and the head itself.

Entries are only ever appended, so the entries numbered up to the head read first are a consistent slice
even while others are being appended. docs/ledger.md has the few lines of Python that re-check it offline.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from typing import IO

from django.utils import timezone

from ledger.chain import BATCH_SIZE
from ledger.models import GENESIS, LedgerEntry, LedgerHead

ENTRIES_NAME = "ledger/entries.jsonl"
HEAD_NAME = "ledger/head.json"
COLUMNS = ("seq", "table_name", "row_id", "content_hash", "prev_hash", "entry_hash")


def ledger_slice_write(add: Callable[[str, IO[bytes] | bytes], object]) -> int:
    """Hand the entries (JSON lines) and the head (JSON) to `add(path, content)`; returns the head's entry number."""
    head = LedgerHead.objects.first()
    seq, digest = (head.seq, head.entry_hash) if head else (0, GENESIS)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        rows = LedgerEntry.objects.filter(seq__lte=seq).order_by("seq").values_list(*COLUMNS)
        for values in rows.iterator(chunk_size=BATCH_SIZE):
            out.write(json.dumps(dict(zip(COLUMNS, values, strict=True)), sort_keys=True).encode() + b"\n")
        out.seek(0)
        add(ENTRIES_NAME, out)
    head_doc = {"seq": seq, "entry_hash": digest, "exported_at": timezone.now().isoformat()}
    add(HEAD_NAME, json.dumps(head_doc, indent=2, sort_keys=True).encode())
    return seq
