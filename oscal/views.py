"""The OSCAL downloads on /audit/: read-only, for everyone who may read the register (as /audit/ is)."""

from __future__ import annotations

import io

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from accounts.decorators import viewer_required
from compliance.models import Framework
from oscal.export import oscal_document

MEDIA_TYPE = "application/json"  # OSCAL registers no media type of its own for JSON


@require_safe
@viewer_required
def oscal_download(request: HttpRequest, model: str, framework: str | None = None) -> HttpResponse:
    scope = get_object_or_404(Framework, slug=framework) if framework else None
    document = oscal_document(model, scope)
    content = document.json(base_url=request.build_absolute_uri("/").rstrip("/"))
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=document.file_name, content_type=MEDIA_TYPE)
