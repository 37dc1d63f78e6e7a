"""From a control's page: link and unlink documents and tickets, propose and decide exemptions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from accounts.decorators import contributor_required, manager_required
from compliance import detail, services
from compliance.forms import DocumentLinkForm, ExemptionForm, TicketLinkForm
from compliance.models import Control, Document, ExemptionState, Ticket
from compliance.views.controls import TEMPLATE, full_page, visible_control
from compliance.views.htmx import changed, wants_fragment


def _refused(request: HttpRequest, control: Control, section: str, context: dict, **form) -> HttpResponse:
    """A form with errors: the section again for htmx, the whole page without JavaScript."""
    if wants_fragment(request):
        return TemplateResponse(request, f"{TEMPLATE}#{section}", context)
    return full_page(request, control, **form)


def _done(request: HttpRequest, control: Control, section: str, context: dict, message: str) -> HttpResponse:
    return changed(request, control, f"{TEMPLATE}#{section}", context, message, "controlChanged")


@require_POST
@contributor_required
def control_document_link(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = visible_control(request, framework, ref)
    form = DocumentLinkForm(request.POST, control=control)
    if not form.is_valid():
        context = detail.documents_section(control, request.user, form)
        return _refused(request, control, "documents", context, document_form=form)
    document = form.cleaned_data["document"] or services.document_create(
        actor=request.user,
        title=form.cleaned_data["title"],
        kind=form.cleaned_data["kind"],
        url=form.cleaned_data["url"],
    )
    services.document_link(document=document, control=control, actor=request.user)
    context = detail.documents_section(control, request.user)
    return _done(request, control, "documents", context, f"Linked “{document}”.")


@require_POST
@contributor_required
def control_document_unlink(request: HttpRequest, framework: str, ref: str, pk: int) -> HttpResponse:
    control = visible_control(request, framework, ref)
    document = get_object_or_404(Document, pk=pk)
    services.document_unlink(document=document, control=control, actor=request.user)
    context = detail.documents_section(control, request.user)
    return _done(request, control, "documents", context, f"Unlinked “{document}”.")


@require_POST
@contributor_required
def control_ticket_link(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = visible_control(request, framework, ref)
    form = TicketLinkForm(request.POST)
    if not form.is_valid():
        context = detail.tickets_section(control, request.user, form)
        return _refused(request, control, "tickets", context, ticket_form=form)
    ticket = services.ticket_get_or_create(
        reference=form.cleaned_data["reference"], title=form.cleaned_data["title"], actor=request.user
    )
    services.ticket_link(ticket=ticket, control=control, actor=request.user)
    context = detail.tickets_section(control, request.user)
    return _done(request, control, "tickets", context, f"Linked {ticket}.")


@require_POST
@contributor_required
def control_ticket_unlink(request: HttpRequest, framework: str, ref: str, pk: int) -> HttpResponse:
    control = visible_control(request, framework, ref)
    ticket = get_object_or_404(Ticket, pk=pk)
    services.ticket_unlink(ticket=ticket, control=control, actor=request.user)
    context = detail.tickets_section(control, request.user)
    return _done(request, control, "tickets", context, f"Unlinked {ticket}.")


@require_POST
@contributor_required
def control_exemption_propose(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = visible_control(request, framework, ref)
    form = ExemptionForm(request.POST, controls=[control])
    if not form.is_valid():
        context = detail.exemptions_section(control, request.user, form)
        return _refused(request, control, "exemptions", context, exemption_form=form)
    try:
        exemption = services.exemption_propose(
            controls=[control],
            title=form.cleaned_data["title"],
            reason=form.cleaned_data["reason"],
            compensating_measures=form.cleaned_data["compensating_measures"],
            expires_at=form.expires_at,
            actor=request.user,
        )
    except ValidationError as error:  # a duplicate filed between the form's check and this one
        form.add_error(None, error.messages)
        context = detail.exemptions_section(control, request.user, form)
        return _refused(request, control, "exemptions", context, exemption_form=form)
    context = detail.exemptions_section(control, request.user)
    return _done(request, control, "exemptions", context, f"Proposed “{exemption}”; the CISO decides.")


def _decide(request: HttpRequest, framework: str, ref: str, pk: int, decide, verb: str, **extra) -> HttpResponse:
    control = visible_control(request, framework, ref)
    exemption = get_object_or_404(control.exemptions.all(), pk=pk)
    try:
        decide(exemption=exemption, actor=request.user, **extra)
    except ValueError as error:  # decided meanwhile by someone else: say so where the button was
        context = {**detail.exemptions_section(control, request.user), "exemption_error": str(error)}
        return _refused(request, control, "exemptions", context, exemption_error=str(error))
    context = detail.exemptions_section(control, request.user)
    return _done(request, control, "exemptions", context, f"{verb} “{exemption}”.")


@require_POST
@manager_required
def control_exemption_approve(request: HttpRequest, framework: str, ref: str, pk: int) -> HttpResponse:
    return _decide(request, framework, ref, pk, services.exemption_approve, "Approved")


@require_POST
@manager_required
def control_exemption_revoke(request: HttpRequest, framework: str, ref: str, pk: int) -> HttpResponse:
    # A proposal revoked is refused; the reason asked beside the Refuse button is kept in the audit event.
    reason = request.POST.get("reason", "")
    control = visible_control(request, framework, ref)
    refusing = control.exemptions.filter(pk=pk).in_state(ExemptionState.PROPOSED).exists()
    return _decide(
        request, framework, ref, pk, services.exemption_revoke, "Refused" if refusing else "Revoked", reason=reason
    )
