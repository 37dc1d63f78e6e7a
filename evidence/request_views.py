"""Evidence requests from the pages: ask from a control's page, answer from the inbox (upload, link or choose),
withdraw. Every change goes through evidence/requests.py's services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import roles
from accounts.decorators import viewer_required
from compliance.views.controls import full_page, visible_control
from compliance.views.htmx import changed, wants_fragment
from config.uploads import upload_refusal
from evidence.forms import EvidenceRequestForm, RequestAnswerForm
from evidence.models import EvidenceKind, EvidenceRequest
from evidence.requests import (
    NOT_YOURS,
    evidence_request_answer,
    evidence_request_open,
    evidence_request_withdraw,
    requests_section,
    requests_shown,
)

PARTIAL = "evidence/_requests.html#requests"
ANSWER_TEMPLATE = "evidence/request_answer.html"


def _section(control, **extra) -> dict:
    return {"control": control, **requests_section(control), **extra}


@require_POST
@viewer_required  # the CISO and auditors (roles.can_request_evidence); the service asks again
def control_evidence_request_open(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = visible_control(request, framework, ref)
    if not roles.can_request_evidence(request.user):
        raise PermissionDenied("Only the CISO and auditors ask owners for evidence.")
    form = EvidenceRequestForm(request.POST, control=control)
    if form.is_valid():
        try:
            opened = evidence_request_open(
                control=control, actor=request.user, what=form.cleaned_data["what"], due=form.cleaned_data["due"]
            )
        except ValidationError as refusal:  # the owner changed between the form's check and the service's
            form.add_error(None, refusal.messages)
        else:
            message = f"Asked {opened.addressed_to} for evidence by {opened.due:%Y-%m-%d}."
            return changed(request, control, PARTIAL, _section(control), message, "controlChanged")
    if wants_fragment(request):
        return TemplateResponse(request, PARTIAL, _section(control, request_form=form))
    return full_page(request, control, request_form=form)


def _answerable(request: HttpRequest, pk: int) -> EvidenceRequest:
    return get_object_or_404(requests_shown(), pk=pk)


@require_http_methods(["GET", "POST"])
@viewer_required
def evidence_request_answer_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The request with its answer form for the person it is addressed to; everyone else reads it."""
    asked = _answerable(request, pk)
    can_answer = roles.can_answer_request(request.user, asked) and asked.state == "open"
    form = None
    if can_answer or request.method == "POST":
        form = RequestAnswerForm(control=asked.control, actor=request.user)
    if request.method == "POST":
        if not roles.can_answer_request(request.user, asked):
            raise PermissionDenied(NOT_YOURS)
        if refusal := upload_refusal(request):
            form = RequestAnswerForm(
                {"kind": EvidenceKind.FILE}, control=asked.control, actor=request.user, upload_refused=refusal
            )
            form.is_valid()
        else:
            form = RequestAnswerForm(request.POST, request.FILES, control=asked.control, actor=request.user)
            form.upload_refused = upload_refusal(request)
            if form.is_valid():
                try:
                    evidence_request_answer(request=asked, actor=request.user, **form.answer_arguments())
                except ValidationError as error:  # the service's rules: closed, dates, what may be superseded
                    form.add_error(None, error.messages)
                else:
                    messages.success(request, f"Answered: the request on {asked.control.ref} is closed.")
                    return redirect("inbox")
    context = {"asked": asked, "form": form, "can_answer": can_answer, "control": asked.control}
    return TemplateResponse(request, ANSWER_TEMPLATE, context)


@require_POST
@viewer_required
def evidence_request_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    asked = _answerable(request, pk)
    try:
        evidence_request_withdraw(request=asked, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect(asked.control)
    control = asked.control
    return changed(request, control, PARTIAL, _section(control), "Request withdrawn.", "controlChanged")
