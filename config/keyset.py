"""Keyset (cursor) pagination, for the pages and the API lists that grow without bound (findings, evidence).

A page is asked for by the position of the row before it (or after it, going back), never by a row
number: `WHERE (status, check_id, resource_id, id) > (...) ORDER BY ... LIMIT 101` reads 101 rows of an
index however deep the page, where OFFSET reads and throws away every row before it. The ordering is
a tuple of columns all ascending or all descending, ending in a unique column, with an index that
matches it; the cursor is that tuple, encoded. Totals are not counted (COUNT(*) reads every row):
a list shows the planner's estimate, said as "about", unless the whole list fits on one page (on SQLite,
the embedded database of one small register, the exact count stands in for the estimate).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import HttpRequest, HttpResponseRedirect
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.utils.urls import replace_query_param


class InvalidCursor(ValueError):
    """A cursor this list did not hand out (edited, truncated, or from another list)."""


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    count: int | None = None  # the whole list's length, when it fits on this page
    about: int | None = None  # otherwise an estimate of it (see estimated_count)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _encode(direction: str, values: list) -> str:
    text = json.dumps([direction, values], default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, fields: list) -> tuple[str, list]:
    try:
        direction, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if direction in ("after", "before") and len(values) == len(fields):
            return direction, [model_field.to_python(value) for model_field, value in zip(fields, values, strict=True)]
    except (ValueError, TypeError, DjangoValidationError) as exc:  # to_python refuses with a ValidationError
        raise InvalidCursor(cursor) from exc
    raise InvalidCursor(cursor)


def cursor_after(row, ordering: tuple[str, ...]) -> str:
    """The cursor of the page that starts after `row` (a link into the middle of a list)."""
    fields = [row._meta.get_field(name.lstrip("-")) for name in ordering]
    return _encode("after", [getattr(row, model_field.attname) for model_field in fields])


def keyset_page(queryset: QuerySet, *, ordering: tuple[str, ...], cursor: str | None, size: int) -> KeysetPage:
    """One page of `queryset` in `ordering` (names of concrete fields, all "x" or all "-x") from `cursor`."""
    descending = ordering[0].startswith("-")
    if any(name.startswith("-") != descending for name in ordering):
        raise ValueError(f"a keyset ordering goes one way: {ordering}")
    names = [name.lstrip("-") for name in ordering]
    fields = [queryset.model._meta.get_field(name) for name in names]
    columns = Tuple(*(F(name) for name in names))
    direction = "after"
    if cursor:
        direction, values = _decode(cursor, fields)
        forward = (direction == "after") != descending
        queryset = queryset.filter(TupleGreaterThan(columns, values) if forward else TupleLessThan(columns, values))
    backwards = direction == "before"
    if backwards:
        ordering = tuple(name[1:] if descending else f"-{name}" for name in ordering)
    rows = list(queryset.order_by(*ordering)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(rows)

    def key(row) -> list:
        return [getattr(row, model_field.attname) for model_field in fields]

    if rows:
        if more or backwards:
            page.next_cursor = _encode("after", key(rows[-1]))
        if (more and backwards) or (cursor and not backwards):
            page.previous_cursor = _encode("before", key(rows[0]))
    return page


def estimated_count(queryset: QuerySet) -> int:
    """The planner's estimate of the rows of `queryset` on PostgreSQL; elsewhere (the embedded SQLite
    database, a single small register) the exact count."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count()
    try:
        sql, params = queryset.select_related(None).order_by().query.sql_with_params()
    except EmptyResultSet:  # queryset.none(), or a filter no row can match
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def keyset_page_with_total(queryset: QuerySet, *, ordering: tuple[str, ...], cursor: str | None, size: int):
    """A page, and how long the list is: exact when it fits on one page, otherwise the planner's estimate.

    The estimate is asked for either way, so that a list costs the same number of queries at any size.
    """
    page = keyset_page(queryset, ordering=ordering, cursor=cursor, size=size)
    about = estimated_count(queryset)
    if page.has_other_pages:
        page.about = about
    else:
        page.count = len(page.rows)
    return page


def page_number_redirect(request: HttpRequest) -> HttpResponseRedirect | None:
    """Links from before keyset paging (`?page=N`) open the first page of the same filtered list:
    positions in a list are not numbered any more, and a deep OFFSET is what made those pages slow."""
    if "page" not in request.GET:
        return None
    query = request.GET.copy()
    query.pop("page")
    return HttpResponseRedirect(f"{request.path}?{query.urlencode()}" if query else request.path)


class KeysetPagination(CursorPagination):
    """DRF's cursor pagination (`next`, `previous`, `results`; no count) on a whole-tuple position.

    DRF's own keeps only the first ordering field in the cursor and skips ties by OFFSET, which reads
    every row of a large tie (every "pass" result); here the cursor holds the whole tuple. The
    ordering is the view's `keyset_ordering`; `?page=` is refused with a 400 that says to follow `next`.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        if "page" in request.query_params:
            raise ValidationError({"page": "This list is paged by cursor: follow the `next` and `previous` links."})
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        try:
            self.page = keyset_page(
                queryset,
                ordering=view.keyset_ordering,
                cursor=request.query_params.get(self.cursor_query_param),
                size=self.page_size,
            )
        except InvalidCursor as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        self.has_next = self.page.next_cursor is not None
        self.has_previous = self.page.previous_cursor is not None
        self.display_page_controls = self.template is not None and self.page.has_other_pages
        return self.page.rows

    def get_next_link(self):
        if not self.page.next_cursor:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, self.page.next_cursor)

    def get_previous_link(self):
        if not self.page.previous_cursor:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, self.page.previous_cursor)
