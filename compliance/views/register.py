"""The control register: filters in the URL, counts, pages of controls, and the CISO's bulk changes."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from accounts.decorators import manager_required, viewer_required
from compliance import services, state
from compliance.filters import ControlFilter
from compliance.forms import BulkChangeForm
from compliance.models import AutomatedStatus, Control, ControlStatus
from compliance.views.htmx import page_or_fragment, wants_fragment

PER_PAGE = 50
SORTABLE = [("ref", "Ref"), ("title", "Title"), ("status", "Status"), ("owner", "Owner"), ("review", "Next review")]
TEMPLATE = "compliance/control_list.html"
FRAGMENTS = {"register", "results"}


def _counts(controls) -> dict:
    """Everything the summary line shows, for the filtered set, in one query; the dashboard counts the same."""
    counts = controls.order_by().aggregate(**state.control_counts())
    counts["failing"] = counts[AutomatedStatus.FAILING]
    return counts


def _sort_columns(current: str) -> dict[str, dict]:
    """For each sortable column: the sort a click asks for (toggling direction) and its aria-sort."""
    columns = {}
    for name, label in SORTABLE:
        if current == name:
            columns[name] = {"label": label, "next": f"-{name}", "aria": "ascending"}
        elif current == f"-{name}":
            columns[name] = {"label": label, "next": name, "aria": "descending"}
        else:
            columns[name] = {"label": label, "next": name, "aria": "none"}
    return columns


def register_context(request: HttpRequest, bulk_form: BulkChangeForm | None = None, message: str = "") -> dict:
    controls = Control.objects.visible_to(request.user).select_related("framework", "owner")
    filterset = ControlFilter(request.GET, queryset=controls, request=request)
    counts = _counts(filterset.qs)
    paginator = Paginator(filterset.qs, PER_PAGE)
    paginator.count = counts["total"]  # already counted above: spare the paginator its own COUNT query
    page = paginator.get_page(request.GET.get("page"))
    states = state.control_states(page.object_list)
    return {
        "filterset": filterset,
        "page": page,
        "rows": [(control, states[control.pk]) for control in page.object_list],
        "counts": counts,
        "status_counts": [(value, label, counts[value]) for value, label in ControlStatus.choices],
        "columns": _sort_columns(request.GET.get("sort", "")),
        "bulk_form": bulk_form or BulkChangeForm(),
        "list_url": reverse("control-list"),
        "message": message,
    }


@require_GET
@viewer_required
def control_list(request: HttpRequest) -> HttpResponse:
    return page_or_fragment(request, TEMPLATE, register_context(request), FRAGMENTS)


@require_POST
@manager_required
def control_bulk(request: HttpRequest) -> HttpResponse:
    """Owner and/or status for the selected rows; the filters travel in the query string and are kept."""
    form = BulkChangeForm(request.POST)
    message = ""
    if form.is_valid():
        result = services.control_bulk_update(
            control_ids=form.cleaned_data["control"], actor=request.user, **form.changes()
        )
        message = _describe(result)
        if not wants_fragment(request):
            messages.success(request, message)
            return redirect(reverse("control-list") + (f"?{request.GET.urlencode()}" if request.GET else ""))
        form = None
    context = register_context(request, bulk_form=form, message=message)
    # The address bar keeps the register's URL (with its filters), never the bulk endpoint's.
    return push_url(page_or_fragment(request, TEMPLATE, context, FRAGMENTS), False)


def _describe(result: services.BulkResult) -> str:
    parts = [f"Updated {result.updated} control{'s' if result.updated != 1 else ''}."]
    if result.unchanged:
        parts.append(f"{result.unchanged} already had these values.")
    if result.refused:
        why = " ".join(result.reasons) or "Not yours to change."
        parts.append(f"{result.refused} skipped. {why}")
    return " ".join(parts)
