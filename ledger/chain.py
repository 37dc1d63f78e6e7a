"""Appending to the chain. Tracked rows are append-only: each is recorded once, when it is inserted,
in the same transaction, with the chain head locked so that entries are numbered and linked in commit order.

Domain apps register their models in AppConfig.ready() (`track(Model)`); every django-simple-history
Historical* model is tracked by ledger's own ready(). Writes that send no signal (bulk_create, simple_history's
bulk_*_with_history) are covered by running them inside `ledger_batch()`, which appends at its end, in one
bulk_create, every tracked row written inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db import connections, models, router, transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import m2m_changed, post_save
from simple_history.models import HistoricalChanges
from simple_history.signals import post_create_historical_m2m_records

from ledger.canonical import content_hash, entry_hash, stored_hashes
from ledger.models import GENESIS, LedgerEntry, LedgerHead

HEAD = 1
BATCH_SIZE = 2000

_tracked: dict[type[models.Model], None] = {}  # an ordered set
_batch: ContextVar[bool] = ContextVar("ledger_batch", default=False)


def track(model: type[models.Model]) -> None:
    """Record every row inserted into this model's table from now on. Call it from AppConfig.ready()."""
    if model in _tracked:
        return
    _tracked[model] = None
    post_save.connect(_row_saved, sender=model, dispatch_uid=f"ledger:{model._meta.label}")


def track_links(through: type[models.Model]) -> None:
    """Record the rows of a many-to-many table (evidence <-> control): `.add()` and `.set()` send m2m_changed,
    not post_save, so the rows they inserted are read back and appended in the same transaction."""
    track(through)
    m2m_changed.connect(_links_added, sender=through, dispatch_uid=f"ledger:links:{through._meta.label}")


def _links_added(sender, instance, action: str, model, pk_set, using: str, **kwargs) -> None:
    if action != "post_add" or not pk_set or _batch.get():
        return
    column_to = {field.related_model: field.attname for field in sender._meta.fields if field.many_to_one}
    rows = sender._base_manager.using(using).filter(
        **{column_to[type(instance)]: instance.pk, f"{column_to[model]}__in": pk_set}
    )
    ledger_append_many(rows.order_by("pk"), using=using)


def track_history_models() -> None:
    for model in apps.get_models():
        if issubclass(model, HistoricalChanges):
            track(model)
    post_create_historical_m2m_records.connect(_m2m_history_created, dispatch_uid="ledger:m2m-history")


def tracked_models() -> list[type[models.Model]]:
    return list(_tracked)


def _row_saved(sender, instance, created: bool, raw: bool = False, using: str | None = None, **kwargs) -> None:
    if created and not raw and not _batch.get():
        ledger_append_many([instance], using=using)


def _m2m_history_created(sender, created_rows, **kwargs) -> None:
    if not _batch.get():
        ledger_append_many(created_rows)


def _locked_head(using: str) -> LedgerHead:
    heads = LedgerHead.objects.using(using).select_for_update()
    head = heads.filter(pk=HEAD).first()
    if head is None:  # a fresh (or flushed) database; the head is only a cache of the last entry
        last = LedgerEntry.objects.using(using).order_by("-seq").first()
        LedgerHead.objects.using(using).get_or_create(
            pk=HEAD, defaults={"seq": last.seq if last else 0, "entry_hash": last.entry_hash if last else GENESIS}
        )
        head = heads.get(pk=HEAD)
    return head


def ledger_append_many(rows: Iterable[models.Model], *, using: str | None = None) -> int:
    """Append these saved rows (untracked ones are ignored) under one lock of the head, in one bulk_create."""
    return _append([(row._meta.db_table, row.pk, content_hash(row)) for row in rows if type(row) in _tracked], using)


def _append(items: list[tuple[str, int, str]], using: str | None) -> int:
    """Chain (table, row id, content hash) items after the head, which stays locked until the transaction ends."""
    if not items:
        return 0
    using = using or router.db_for_write(LedgerEntry)
    with transaction.atomic(using=using, savepoint=False):
        head = _locked_head(using)
        seq, prev, entries = head.seq, head.entry_hash, []
        for table, row_id, content in items:
            seq += 1
            digest = entry_hash(seq, table, row_id, content, prev)
            entries.append(LedgerEntry(seq=seq, table_name=table, row_id=row_id, content_hash=content, prev_hash=prev))
            entries[-1].entry_hash = prev = digest
        LedgerEntry.objects.using(using).bulk_create(entries, batch_size=BATCH_SIZE)
        LedgerHead.objects.using(using).filter(pk=HEAD).update(seq=seq, entry_hash=prev)
    return len(entries)


def _high_marks(using: str) -> dict[type[models.Model], int]:
    """The largest primary key of every tracked table, in one query."""
    tracked = list(_tracked)
    quote = connections[using].ops.quote_name
    columns = [f"(SELECT MAX({quote(m._meta.pk.column)}) FROM {quote(m._meta.db_table)})" for m in tracked]
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}")  # noqa: S608 - table names from model metadata
        values = cursor.fetchone()
    return {model: value or 0 for model, value in zip(tracked, values, strict=True)}


def _unrecorded(model: type[models.Model], *, after: int, using: str) -> list[tuple[str, int, str]]:
    """(table, pk, content hash) of the rows of a tracked table past `after` that have no entry, in pk order."""
    table = model._meta.db_table
    recorded = LedgerEntry.objects.using(using).filter(table_name=table, row_id=OuterRef("pk"))
    rows = model._base_manager.using(using).filter(pk__gt=after).filter(~Exists(recorded))
    return [(table, pk, digest) for pk, digest in stored_hashes(model, rows, chunk_size=BATCH_SIZE)]


@contextmanager
def ledger_batch(using: str = "default"):
    """Defer appends to the end of the block and catch up the rows that bulk writes inserted without a signal.

    Use it inside the transaction that writes the rows (below @transaction.atomic), so they are appended
    in that same transaction. Nested batches leave the work to the outermost.
    """
    if _batch.get():
        yield
        return
    before = _high_marks(using)
    token = _batch.set(True)
    try:
        yield
    finally:
        _batch.reset(token)
    after = _high_marks(using)
    grown = [model for model, mark in before.items() if after[model] > mark]
    _append([item for model in grown for item in _unrecorded(model, after=before[model], using=using)], using)


def ledger_adopt(using: str = "default") -> int:
    """Append every row of the tracked tables that has no entry (when tracking starts on a table that has rows)."""
    return _append([item for model in _tracked for item in _unrecorded(model, after=0, using=using)], using)
