"""Adding evidence from a control's page. It lives here because compliance never imports evidence."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.decorators import contributor_required
from compliance import detail
from compliance.models import Control
from compliance.views.htmx import wants_fragment
from config.uploads import upload_refusal
from evidence.forms import EvidenceForm
from evidence.models import EvidenceKind
from evidence.services import evidence_add

FORM_TEMPLATE = "evidence/_add_form.html"


@require_http_methods(["GET", "POST"])
@contributor_required
def control_evidence_add(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = detail.control_for_page(Control.objects.visible_to(request.user), framework, ref)
    if control is None:
        raise Http404("No such control.")
    if request.method == "GET":
        form = EvidenceForm(control=control, actor=request.user)
    elif refusal := upload_refusal(request):  # before the body is read, when its declared length says so
        form = EvidenceForm({"kind": EvidenceKind.FILE}, control=control, actor=request.user, upload_refused=refusal)
        form.is_valid()
    else:
        form = EvidenceForm(request.POST, request.FILES, control=control, actor=request.user)
        form.upload_refused = upload_refusal(request)  # a file stopped while streaming (config.uploads)
        if form.is_valid():
            try:
                item = evidence_add(controls=[control], actor=request.user, **form.service_arguments())
            except ValidationError as error:  # the service's rules: dates, what may be superseded
                form.add_error(None, error)
            else:
                return _added(request, control, item)
    template = f"{FORM_TEMPLATE}#form" if wants_fragment(request) else FORM_TEMPLATE
    return TemplateResponse(request, template, {"control": control, "form": form})


def _added(request: HttpRequest, control: Control, item) -> HttpResponse:
    if not wants_fragment(request):
        messages.success(request, f"Added evidence “{item.title}”.")
        return redirect(control)
    # The form asked to replace itself; on success the whole evidence section is redrawn instead.
    context = detail.evidence_section(control, request.user, added=item)
    response = TemplateResponse(request, "compliance/control_detail.html#evidence", context)
    retarget(response, "#evidence")
    reswap(response, "outerHTML")
    return trigger_client_event(response, "controlChanged")
