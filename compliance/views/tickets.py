"""Tickets: the list (search, system, how many controls each serves), adding one by URL or key, its page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.decorators import contributor_required, viewer_required
from compliance import services
from compliance.filters import TicketFilter
from compliance.forms import TicketForm
from compliance.models import Ticket
from compliance.views import served

SIDE = served.Side(
    model=Ticket,
    noun="ticket",
    filterset=TicketFilter,
    list_template="compliance/ticket_list.html",
    detail_template="compliance/ticket_detail.html",
    link=services.ticket_link,
    unlink=services.ticket_unlink,
)


@require_GET
@viewer_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    form = TicketForm() if roles.can_contribute(request.user) else None
    return served.list_page(request, SIDE, form)


@require_POST
@contributor_required
def ticket_create(request: HttpRequest) -> HttpResponse:
    form = TicketForm(request.POST)
    if not form.is_valid():
        return served.list_page(request, SIDE, form)
    ticket = services.ticket_get_or_create(actor=request.user, **form.cleaned_data)
    return served.created(request, ticket, "Added")


@require_GET
@viewer_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return served.detail_page(request, SIDE, pk)


@require_POST
@contributor_required
def ticket_control_link(request: HttpRequest, pk: int) -> HttpResponse:
    return served.link_control(request, SIDE, pk)


@require_POST
@contributor_required
def ticket_control_unlink(request: HttpRequest, pk: int, control_pk: int) -> HttpResponse:
    return served.unlink_control(request, SIDE, pk, control_pk)
