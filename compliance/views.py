from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from accounts.decorators import viewer_required
from compliance.models import Control, Document, Framework, Ticket


@viewer_required
def control_list(request: HttpRequest) -> HttpResponse:
    controls = Control.objects.visible_to(request.user).select_related("framework", "owner", "state")
    framework = request.GET.get("framework")
    if framework:
        controls = controls.in_framework(framework)
    page = Paginator(controls, 50).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "compliance/control_list.html",
        {"page": page, "frameworks": Framework.objects.all(), "framework": framework},
    )


@viewer_required
def control_detail(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = get_object_or_404(
        Control.objects.visible_to(request.user).select_related("framework", "owner", "state"),
        framework__slug=framework,
        ref=ref,
    )
    return TemplateResponse(
        request,
        "compliance/control_detail.html",
        {
            "control": control,
            "documents": control.documents.all(),
            "tickets": control.tickets.all(),
            "mapped": control.mapped_controls(),
        },
    )


@viewer_required
def document_list(request: HttpRequest) -> HttpResponse:
    documents = Document.objects.annotate(control_count=Count("controls"))
    return TemplateResponse(request, "compliance/document_list.html", {"documents": documents})


@viewer_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=pk)
    controls = document.controls.select_related("framework")
    return TemplateResponse(request, "compliance/document_detail.html", {"document": document, "controls": controls})


@viewer_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = Ticket.objects.annotate(control_count=Count("controls"))
    return TemplateResponse(request, "compliance/ticket_list.html", {"tickets": tickets})


@viewer_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk)
    controls = ticket.controls.select_related("framework")
    return TemplateResponse(request, "compliance/ticket_detail.html", {"ticket": ticket, "controls": controls})
