"""Documents: the list (search, kind, how many controls each serves), creating one, and its page."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.decorators import contributor_required, viewer_required
from compliance import services
from compliance.filters import DocumentFilter
from compliance.forms import DocumentForm
from compliance.models import Document
from compliance.views import served

SIDE = served.Side(
    model=Document,
    noun="document",
    filterset=DocumentFilter,
    list_template="compliance/document_list.html",
    detail_template="compliance/document_detail.html",
    link=services.document_link,
    unlink=services.document_unlink,
    list_related=("owner",),
)


@require_GET
@viewer_required
def document_list(request: HttpRequest) -> HttpResponse:
    form = DocumentForm() if roles.can_contribute(request.user) else None
    return served.list_page(request, SIDE, form)


@require_POST
@contributor_required
def document_create(request: HttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST)
    if not form.is_valid():
        return served.list_page(request, SIDE, form)
    document = services.document_create(actor=request.user, **form.cleaned_data)
    return served.created(request, document, "Added")


@require_GET
@viewer_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return served.detail_page(request, SIDE, pk)


@require_GET
@viewer_required
def document_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A document's stored file, to signed-in people only: media is never served from a public URL."""
    document = get_object_or_404(Document, pk=pk)
    if not document.file:
        return HttpResponse("This document has no stored file.", status=404, content_type="text/plain")
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        return HttpResponse("The stored file of this document is missing.", status=410, content_type="text/plain")
    return FileResponse(handle, as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1])


@require_POST
@contributor_required
def document_control_link(request: HttpRequest, pk: int) -> HttpResponse:
    return served.link_control(request, SIDE, pk)


@require_POST
@contributor_required
def document_control_unlink(request: HttpRequest, pk: int, control_pk: int) -> HttpResponse:
    return served.unlink_control(request, SIDE, pk, control_pk)
