"""A row's canonical content: the same bytes whether read from the instance just saved or from the database.

One JSON object of every concrete column (by attname), keys sorted, no spaces, UTF-8; datetimes in UTC ISO 8601,
dates ISO, decimals at the column's scale, files by their stored name (evidence rows also carry the file's
SHA-256 in their own `sha256` column).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from uuid import UUID

from django.db import models


def _plain(field: models.Field, value):
    if value is None:
        return None
    if isinstance(field, models.FileField):
        return str(value)  # a FieldFile's name, or the stored text; "" when empty
    if isinstance(field, models.JSONField):
        # As stored: a value just saved may still hold what the field's encoder turns into text (datetimes).
        return json.loads(json.dumps(value, cls=field.encoder)) if field.encoder else value
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


PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.AutoField)


@cache
def converters(model: type[models.Model]) -> tuple[tuple[str, Callable], ...]:
    """(attname, value -> JSON-ready value) per column, chosen once per model, not once per value."""
    result = []
    for field in model._meta.concrete_fields:
        target = field.target_field if field.is_relation else field
        if isinstance(target, PLAIN_FIELDS) and not isinstance(field, models.FileField):
            to_python = target.to_python  # str, int or bool already: no other conversion applies
            result.append((field.attname, lambda v, f=to_python: None if v is None else f(v)))
        else:
            result.append((field.attname, lambda v, f=field: _plain(f, v)))
    return tuple(result)


def canonical_bytes(model: type[models.Model], values: Iterable) -> bytes:
    document = {name: convert(value) for (name, convert), value in zip(converters(model), values, strict=True)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(instance: models.Model) -> str:
    model = type(instance)
    return hashlib.sha256(canonical_bytes(model, (getattr(instance, n) for n, _ in converters(model)))).hexdigest()


def stored_hashes(model: type[models.Model], queryset=None, chunk_size: int = 2000) -> Iterator[tuple[int, str]]:
    """(pk, content hash) of each stored row, in pk order, streamed."""
    names = [name for name, _ in converters(model)]
    pk_index = names.index(model._meta.pk.attname)
    rows = (queryset if queryset is not None else model._base_manager.all()).order_by("pk")
    for values in rows.values_list(*names).iterator(chunk_size=chunk_size):
        yield values[pk_index], hashlib.sha256(canonical_bytes(model, values)).hexdigest()


def entry_hash(seq: int, table: str, row_id: int, content: str, prev: str) -> str:
    """What chains the entries; docs/ledger.md repeats this line for offline checks."""
    return hashlib.sha256(f"{seq}|{table}|{row_id}|{content}|{prev}".encode()).hexdigest()
