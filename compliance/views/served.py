"""The other side of traceability: a document's or ticket's list page, its page, and the controls it serves.

Documents and tickets behave alike here; a `Side` says which model, services and templates to use, so the
two sets of views stay thin and cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from compliance.forms import ControlPickForm
from compliance.models import Control
from compliance.state import control_states
from compliance.views.htmx import changed, page_or_fragment, wants_fragment

PER_PAGE = 50


@dataclass(frozen=True)
class Side:
    model: type[Model]
    noun: str  # "document" or "ticket": the keyword of its link services and the name of its URL patterns
    filterset: type
    list_template: str
    detail_template: str
    link: Callable
    unlink: Callable
    list_related: tuple[str, ...] = ()  # what each row of the list shows besides the object itself


def list_context(request: HttpRequest, side: Side, create_form=None) -> dict:
    objects = (
        side.model.objects.select_related(*side.list_related)
        .annotate(control_count=Count("links"))
        .order_by(*side.model._meta.ordering, "pk")  # an aggregate drops Meta.ordering; pages need a fixed order
    )
    filterset = side.filterset(request.GET, queryset=objects, request=request)
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    list_url = reverse(f"{side.noun}-list")  # also after a refused create, posted to another URL
    return {"filterset": filterset, "page": page, "create_form": create_form, "list_url": list_url}


def list_page(request: HttpRequest, side: Side, create_form) -> HttpResponse:
    return page_or_fragment(request, side.list_template, list_context(request, side, create_form), {"results"})


def served_context(obj, side: Side, user, form: ControlPickForm | None = None) -> dict:
    links = list(
        obj.links.select_related("control__framework", "linked_by").order_by(
            "control__framework__slug", "control__sort_key"
        )
    )
    states = control_states([link.control for link in links])
    return {
        side.noun: obj,
        "object": obj,
        "served_rows": [(link, states[link.control_id]) for link in links],
        "pick_form": form or ControlPickForm(),
        "link_url_name": f"{side.noun}-control-link",
        "unlink_url_name": f"{side.noun}-control-unlink",
    }


def detail_page(request: HttpRequest, side: Side, pk: int) -> HttpResponse:
    obj = get_object_or_404(side.model, pk=pk)
    return TemplateResponse(request, side.detail_template, served_context(obj, side, request.user))


def link_control(request: HttpRequest, side: Side, pk: int) -> HttpResponse:
    obj = get_object_or_404(side.model, pk=pk)
    form = ControlPickForm(request.POST)
    if not form.is_valid():
        context = served_context(obj, side, request.user, form)
        template = f"{side.detail_template}#served" if wants_fragment(request) else side.detail_template
        return TemplateResponse(request, template, context)
    control: Control = form.cleaned_data["control"]
    side.link(**{side.noun: obj}, control=control, actor=request.user)
    context = served_context(obj, side, request.user)
    return changed(request, obj, f"{side.detail_template}#served", context, f"Linked {control.ref}.", "linksChanged")


def unlink_control(request: HttpRequest, side: Side, pk: int, control_pk: int) -> HttpResponse:
    obj = get_object_or_404(side.model, pk=pk)
    control = get_object_or_404(Control.objects.select_related("framework"), pk=control_pk)
    side.unlink(**{side.noun: obj}, control=control, actor=request.user)
    context = served_context(obj, side, request.user)
    return changed(request, obj, f"{side.detail_template}#served", context, f"Unlinked {control.ref}.", "linksChanged")


def created(request: HttpRequest, obj, verb: str) -> HttpResponse:
    messages.success(request, f"{verb} {obj}.")
    return redirect(obj)
