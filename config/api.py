"""Plumbing every app's API shares."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter

# Always understood: DRF's format suffix, and `page`, which a cursor-paged list refuses with its own message.
ALWAYS_KNOWN = {"format", "page"}


def known_parameters(view) -> set[str]:
    """The query words a list endpoint understands: its filters, its ordering and its paging."""
    known = set(ALWAYS_KNOWN)
    filterset_class = DjangoFilterBackend().get_filterset_class(view, view.get_queryset())
    if filterset_class is not None:
        known |= set(filterset_class.base_filters)
    for backend in view.filter_backends:
        if issubclass(backend, OrderingFilter):
            known.add(backend.ordering_param)
    paginator = view.paginator
    if paginator is not None:
        for name in ("page_query_param", "page_size_query_param", "cursor_query_param"):
            if word := getattr(paginator, name, None):
                known.add(word)
    return known


class UnknownParametersRefused(BaseFilterBackend):
    """A list asked with a query word it does not understand answers 400 naming the words it does, rather than
    silently ignoring it (`?search=` on a list without search returned everything)."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        known = known_parameters(view)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError(
                {word: [f"Unknown query parameter; this list takes: {', '.join(sorted(known))}."] for word in unknown}
            )
        return queryset
