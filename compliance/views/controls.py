"""A control's page, and editing its record (SoA, status, owner, review) in place."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from accounts import roles
from accounts.decorators import contributor_required, viewer_required
from compliance import detail, services
from compliance.forms import ControlRecordForm
from compliance.models import Control
from compliance.views.htmx import changed, wants_fragment

TEMPLATE = "compliance/control_detail.html"
DOCUMENT_SEARCH = "documents"
# Sections the page fetches alone: state and history redraw themselves on `controlChanged` (any change
# can alter them); the evidence section is fetched again when someone cancels adding evidence.
SECTIONS = {
    "state": detail.state_section,
    "history": lambda control, user: detail.history_section(control),
    "evidence": detail.evidence_section,
}


def visible_control(request: HttpRequest, framework: str, ref: str) -> Control:
    control = detail.control_for_page(Control.objects.visible_to(request.user), framework, ref)
    if control is None:
        raise Http404("No such control.")
    return control


def editable_control(request: HttpRequest, framework: str, ref: str) -> Control:
    control = visible_control(request, framework, ref)
    if not roles.can_edit_control(request.user, control):
        raise PermissionDenied("Only the CISO and the owner of this control can change its record.")
    return control


def full_page(request: HttpRequest, control: Control, **overrides) -> TemplateResponse:
    """The whole page, with a section's bound form (and its errors) when a plain POST was refused."""
    context = {**detail.page_context(control, request.user), **overrides}
    if DOCUMENT_SEARCH in request.GET and "document_form" not in overrides:  # the picker searched without JavaScript
        context.update(detail.documents_section(control, request.user, search=request.GET[DOCUMENT_SEARCH]))
    return TemplateResponse(request, TEMPLATE, context)


@require_GET
@viewer_required
def control_detail(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    return full_page(request, visible_control(request, framework, ref))


@require_GET
@contributor_required
def control_document_options(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    """The document picker's options for what was typed in its search box (htmx)."""
    control = visible_control(request, framework, ref)
    context = detail.documents_section(control, request.user, search=request.GET.get(DOCUMENT_SEARCH, ""))
    return TemplateResponse(request, f"{TEMPLATE}#document-options", context)


@require_GET
@viewer_required
def control_section(request: HttpRequest, framework: str, ref: str, section: str) -> HttpResponse:
    build = SECTIONS.get(section)
    if build is None:
        raise Http404("No such section.")
    control = visible_control(request, framework, ref)
    context = build(control, request.user)
    return TemplateResponse(request, f"{TEMPLATE}#{section}", context)


@require_http_methods(["GET", "POST"])
@contributor_required
def control_edit(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = editable_control(request, framework, ref)
    if request.method == "GET":
        form = ControlRecordForm(instance=control)
    else:
        form = ControlRecordForm(request.POST, instance=Control.objects.get(pk=control.pk))
        if form.is_valid():
            changes = form.changes()
            if changes:
                control = services.control_update(control=control, actor=request.user, **changes)
            message = "Saved." if changes else "Nothing changed."
            context = detail.record_section(control, request.user)
            return changed(request, control, f"{TEMPLATE}#record", context, message, "controlChanged")
    if wants_fragment(request):
        return TemplateResponse(request, f"{TEMPLATE}#record", detail.record_section(control, request.user, form))
    return full_page(request, control, record_form=form)
