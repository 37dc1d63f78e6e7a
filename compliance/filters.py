"""The register's filters: every one is a URL parameter, so a filtered view can be bookmarked and shared."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet

from accounts import roles
from compliance import state
from compliance.models import (
    AutomatedStatus,
    Control,
    ControlStatus,
    Document,
    DocumentKind,
    Framework,
    Ticket,
    TicketSystem,
)

YES_NO = [("yes", "Yes"), ("no", "No")]
EVIDENCE_CHOICES = [(state.FRESH, "Fresh"), (state.STALE, "Stale"), (state.MISSING, "Missing")]
EXEMPTION_CHOICES = [("active", "Covered by an active exemption"), ("none", "No active exemption")]


def search_input(placeholder: str) -> forms.TextInput:
    return forms.TextInput(attrs={"type": "search", "placeholder": placeholder, "autocomplete": "off"})


def group_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Themes, clauses and series, grouped by framework for the select; one query."""
    rows = Control.objects.order_by("framework__name", "group").values_list("framework__name", "group").distinct()
    grouped: dict[str, list[tuple[str, str]]] = {}
    for framework_name, group in rows:
        grouped.setdefault(framework_name, []).append((group, group))
    return list(grouped.items())


class StableOrderingFilter(django_filters.OrderingFilter):
    """Empty values (no owner, no review date) last in either direction, on every database; ties keep the
    register's order, so pages do not shuffle between requests."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        ordering = []
        for param in value:
            if param:
                name = self.get_ordering_value(param)
                field = F(name.lstrip("-"))
                ordering.append(field.desc(nulls_last=True) if name.startswith("-") else field.asc(nulls_last=True))
        return qs.order_by(*ordering, "framework__position", "sort_key", "pk")


class ControlFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search ref, title or summary", widget=search_input("A.8.20 or VPN")
    )
    framework = django_filters.ModelChoiceFilter(
        queryset=Framework.objects.all(), to_field_name="slug", empty_label="All frameworks"
    )
    group = django_filters.ChoiceFilter(label="Theme, clause or series", empty_label="All")
    status = django_filters.ChoiceFilter(choices=ControlStatus.choices, label="Status", empty_label="Any status")
    applicable = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_applicable", label="Applicable (SoA)", empty_label="Either"
    )
    owner = django_filters.ChoiceFilter(method="filter_owner", label="Owner", empty_label="Anyone")
    automated = django_filters.ChoiceFilter(
        choices=AutomatedStatus.choices, method="filter_automated", label="Automated checks", empty_label="Any"
    )
    evidence = django_filters.ChoiceFilter(
        choices=EVIDENCE_CHOICES, method="filter_evidence", label="Evidence", empty_label="Any"
    )
    exemption = django_filters.ChoiceFilter(
        choices=EXEMPTION_CHOICES, method="filter_exemption", label="Exemption", empty_label="Any"
    )
    sort = StableOrderingFilter(
        fields=(
            ("sort_key", "ref"),
            ("title", "title"),
            ("status", "status"),
            ("owner__username", "owner"),
            ("next_review", "review"),
        ),
        field_labels={"sort_key": "Ref", "owner__username": "Owner", "next_review": "Next review"},
        label="Sort by",
        empty_label="Framework and ref",
    )

    class Meta:
        model = Control
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["group"].extra["choices"] = group_choices()
        owners = [("me", "Me"), ("nobody", "Nobody")]
        owners += [(user.username, user.get_full_name() or user.username) for user in roles.eligible_owners()]
        self.filters["owner"].extra["choices"] = owners

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)

    def filter_applicable(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(applicable=value == "yes")

    def filter_owner(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "me":
            return queryset.filter(owner=self.request.user)
        if value == "nobody":
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner__username=value)

    def filter_automated(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(state.automated_filter(value))

    def filter_evidence(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(state.evidence_filter(value))

    def filter_exemption(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        covered = state.active_exemption_exists()
        return queryset.filter(covered if value == "active" else ~covered)


class ServesControlsMixin:
    """For lists annotated with `control_count`."""

    def filter_linked(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(control_count__gt=0) if value == "yes" else queryset.filter(control_count=0)


class DocumentFilter(ServesControlsMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", label="Search title", widget=search_input("policy")
    )
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices, empty_label="Any kind")
    linked = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_linked", label="Serves a control", empty_label="Either"
    )

    class Meta:
        model = Document
        fields: list[str] = []


class TicketFilter(ServesControlsMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search key or title", widget=search_input("SEC-12"))
    system = django_filters.ChoiceFilter(choices=TicketSystem.choices, empty_label="Any system")
    linked = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_linked", label="Serves a control", empty_label="Either"
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(key__icontains=value) | Q(title__icontains=value)) if value else queryset
