"""The CISO imports the register in the browser: upload a CSV or XLSX, read the preview of every change, confirm.

The uploaded file waits in the cache under its SHA-256 (and the person's id) between the preview and the
confirmation, so nobody uploads it twice. Confirming imports the stored file through the same service as
`manage.py import_register`, with the preview's fingerprint: if the register changed in between and the file
would now change something else, nothing is written and the new preview is shown to confirm instead.
"""

from __future__ import annotations

import hashlib
import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import manager_required
from compliance.register_io import (
    ImportSummary,
    PreviewOutdated,
    RegisterError,
    RegisterInvalid,
    import_register,
    parse_register,
)
from compliance.views.htmx import wants_fragment
from config.uploads import upload_refusal

TEMPLATE = "compliance/register_import.html"
KEEP_UPLOAD_SECONDS = 60 * 60


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Register file (CSV or XLSX)",
        help_text="An export of the register or of the Statement of Applicability, edited.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class ConfirmForm(forms.Form):
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    fingerprint = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


def _stored_key(request: HttpRequest, sha256: str) -> str:
    return f"register-import:{request.user.pk}:{sha256}"


def _preview(request: HttpRequest, name: str, data: bytes) -> dict:
    """Dry-run the file; the context of its preview, or of its errors (row, column, message)."""
    try:
        summary = import_register(parse_register(io.BytesIO(data), name=name), actor=request.user, dry_run=True)
    except RegisterInvalid as invalid:
        return {"errors": invalid.errors, "file_name": name}
    sha256 = hashlib.sha256(data).hexdigest()
    cache.set(_stored_key(request, sha256), {"name": name, "data": data}, KEEP_UPLOAD_SECONDS)
    confirm = ConfirmForm(initial={"sha256": sha256, "fingerprint": summary.fingerprint})
    return {"summary": summary, "file_name": name, "confirm_form": confirm}


def _render(request: HttpRequest, context: dict) -> TemplateResponse:
    context = {"form": UploadForm(), **context}
    template = f"{TEMPLATE}#import" if wants_fragment(request) else TEMPLATE
    return TemplateResponse(request, template, context)


@require_http_methods(["GET", "POST"])
@manager_required
def register_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST with a file: its preview. POST with `confirm`: the import itself."""
    if request.method == "GET":
        return _render(request, {})
    if "confirm" in request.POST:
        return _confirm(request)
    if refusal := upload_refusal(request):
        return _render(request, {"errors": [RegisterError(None, "", refusal)]})
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, {"form": form})
    upload = form.cleaned_data["file"]
    # parse_register refuses a file past REGISTER_IMPORT_MAX_BYTES: one byte more is enough for it to know.
    return _render(request, _preview(request, upload.name, upload.read(settings.REGISTER_IMPORT_MAX_BYTES + 1)))


def _confirm(request: HttpRequest) -> HttpResponse:
    form = ConfirmForm(request.POST)
    stored = cache.get(_stored_key(request, form.data.get("sha256", ""))) if form.is_valid() else None
    if stored is None:
        expired = "This preview has expired or is not yours; upload the file again."
        return _render(request, {"errors": [RegisterError(None, "", expired)]})
    rows = parse_register(io.BytesIO(stored["data"]), name=stored["name"])
    try:
        summary = import_register(rows, actor=request.user, confirm=True, previewed=form.cleaned_data["fingerprint"])
    except PreviewOutdated:
        context = _preview(request, stored["name"], stored["data"])
        return _render(request, {**context, "outdated": True})
    except RegisterInvalid as invalid:  # the register changed so that the file no longer fits it
        return _render(request, {"errors": invalid.errors, "file_name": stored["name"], "outdated": True})
    cache.delete(_stored_key(request, form.cleaned_data["sha256"]))
    messages.success(request, _imported(stored["name"], summary))
    if wants_fragment(request):
        return HttpResponseClientRedirect(request.path)
    return redirect("register-import")


def _imported(name: str, summary: ImportSummary) -> str:
    changed = len(summary.changes)
    return (
        f"Imported {name}: {changed} control{'s' if changed != 1 else ''} changed, "
        f"{summary.links_added} link{'s' if summary.links_added != 1 else ''} added, "
        f"{summary.links_removed} removed."
    )
