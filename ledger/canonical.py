"""A row's canonical content: the same bytes whether read from the instance just saved or from the database.

One JSON object of every concrete column (by attname), keys sorted, no spaces, UTF-8; datetimes in UTC ISO 8601,
dates ISO, decimals at the column's scale, files by their stored name (evidence rows also carry the file's
SHA-256 in their own `sha256` column).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.db import models


def _plain(field: models.Field, value):
    if value is None:
        return None
    if isinstance(field, models.FileField):
        return str(value)  # a FieldFile's name, or the stored text; "" when empty
    if isinstance(field, models.JSONField):
        return value
    value = field.to_python(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal(1).scaleb(-(field.decimal_places or 0))))
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def fields_of(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def canonical_bytes(fields: list[models.Field], values: Iterable) -> bytes:
    document = {field.attname: _plain(field, value) for field, value in zip(fields, values, strict=True)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(instance: models.Model) -> str:
    fields = fields_of(type(instance))
    return hashlib.sha256(canonical_bytes(fields, (getattr(instance, f.attname) for f in fields))).hexdigest()


def stored_hashes(model: type[models.Model], queryset=None, chunk_size: int = 2000) -> Iterator[tuple[int, str]]:
    """(pk, content hash) of each stored row, in pk order, streamed."""
    fields = fields_of(model)
    pk_index = fields.index(model._meta.pk)
    rows = (queryset if queryset is not None else model._base_manager.all()).order_by("pk")
    for values in rows.values_list(*(f.attname for f in fields)).iterator(chunk_size=chunk_size):
        yield values[pk_index], hashlib.sha256(canonical_bytes(fields, values)).hexdigest()


def entry_hash(seq: int, table: str, row_id: int, content: str, prev: str) -> str:
    """What chains the entries; docs/ledger.md repeats this line for offline checks."""
    return hashlib.sha256(f"{seq}|{table}|{row_id}|{content}|{prev}".encode()).hexdigest()
