"""Each person's inbox (/inbox/), where engineers and auditors land after signing in, and the CISO's
approve-or-refuse of exemption proposals from it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST, require_safe

from accounts import roles
from accounts.decorators import manager_required, viewer_required
from accounts.models import Role
from compliance import inbox, services
from compliance.forms import ExemptionDecisionForm
from compliance.models import Exemption
from compliance.views.htmx import wants_fragment

TEMPLATE = "inbox/inbox.html"


@require_safe
@viewer_required
def landing(request: HttpRequest) -> HttpResponse:
    """Where signing in leads: the CISO to the dashboard, everyone else to their inbox."""
    return redirect("dashboard" if roles.role_of(request.user) == Role.CISO else "inbox")


@require_safe
@viewer_required
def inbox_page(request: HttpRequest) -> TemplateResponse:
    sections = inbox.inbox_sections(request.user)
    # The navigation's count from the same query as the sections' (the context processor's would be a second).
    return TemplateResponse(request, TEMPLATE, {"sections": sections, "inbox_count": sum(s.count for s in sections)})


@require_POST
@manager_required
def inbox_exemption_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, or refuse with a reason, through the same services as the control page, the API and the admin."""
    exemption = get_object_or_404(Exemption, pk=pk)
    form = ExemptionDecisionForm(request.POST)
    error, message = None, ""
    if not form.is_valid():
        error = " ".join(message for messages_ in form.errors.values() for message in messages_)
    else:
        try:
            if form.cleaned_data["decision"] == "approve":
                services.exemption_approve(exemption=exemption, actor=request.user)
                message = f"Approved “{exemption}”."
            else:
                services.exemption_revoke(exemption=exemption, actor=request.user, reason=form.cleaned_data["reason"])
                message = f"Refused “{exemption}”."
        except (ValueError, ValidationError) as refusal:  # decided meanwhile by someone else
            error = str(refusal.message if isinstance(refusal, ValidationError) else refusal)
    if not wants_fragment(request):
        (messages.error if error else messages.success)(request, error or message)
        return redirect("inbox")
    context = {
        "sections": inbox.inbox_sections(request.user),
        "message": message,
        "decision_error": error,
        "decided": exemption.pk,
    }
    return TemplateResponse(request, f"{TEMPLATE}#sections", context)
