"""Auditor views under /audit/: the Statement of Applicability and its exports, each control's evidence
over the audit period and change log, the workflow events, and the audit package. Everything here reads;
the only POST is the package request, an export that changes no record."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError
from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import viewer_required
from compliance.models import AuditEvent, AuditVerb, Control, Framework
from config.widgets import DateInput
from evidence.audit_data import (
    ControlLinks,
    audit_period,
    change_log,
    coverage_gaps,
    in_force_during,
    period_bounds,
    soa_entries,
)
from evidence.audit_data import soa_csv as render_soa_csv
from evidence.audit_data import soa_xlsx as render_soa_xlsx
from evidence.integrity import IntegrityFailure, verified_download
from evidence.models import AuditPackage
from evidence.package import audit_package_request
from ledger.anchor import latest_anchored_head
from ledger.models import LedgerAnchor
from ledger.verify import ledger_verify

logger = logging.getLogger("controltrace.evidence.audit")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_PACKAGES = 10
RECENT_EVENTS = 10


class PackageRequest(forms.Form):
    framework = forms.ModelChoiceField(
        Framework.objects.all(), required=False, to_field_name="slug", empty_label="All frameworks"
    )
    start = forms.DateField(required=False, widget=DateInput())
    end = forms.DateField(required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "package_%s")  # the audit period's form on the same page has start and end too
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The period must start before it ends.")
        return data


def _control(request: HttpRequest, framework: str, ref: str) -> Control:
    return get_object_or_404(
        Control.objects.visible_to(request.user).select_related("framework", "owner", "state"),
        framework__slug=framework,
        ref=ref,
    )


@require_safe
@viewer_required
def audit_home(request: HttpRequest) -> HttpResponse:
    period, start, end = audit_period(request.GET)
    packages = AuditPackage.objects.visible_to(request.user).select_related("requested_by", "framework")
    context = {
        "frameworks": Framework.objects.all(),
        "period": period,
        "start": start,
        "end": end,
        "package_form": PackageRequest(initial={"start": start, "end": end}),
        "packages": packages[:RECENT_PACKAGES],
        "events": AuditEvent.objects.visible_to(request.user).select_related("actor")[:RECENT_EVENTS],
    }
    return TemplateResponse(request, "audit/home.html", context)


@require_safe
@viewer_required
def soa(request: HttpRequest) -> HttpResponse:
    framework = request.GET.get("framework") or None
    period, start, end = audit_period(request.GET)
    frameworks = list(Framework.objects.all())
    entries = soa_entries(framework)
    links, period_query = ControlLinks(), urlencode({"start": start.isoformat(), "end": end.isoformat()})
    for entry in entries:
        entry.detail_url = links("control-detail", entry.framework_slug, entry.ref)
        entry.timeline_url = f"{links('audit-evidence-timeline', entry.framework_slug, entry.ref)}?{period_query}"
        entry.changes_url = links("audit-control-changes", entry.framework_slug, entry.ref)
    sections = [(fw, [e for e in entries if e.framework_slug == fw.slug]) for fw in frameworks]
    context = {
        "sections": [(fw, rows) for fw, rows in sections if rows],
        "frameworks": frameworks,
        "framework": framework,
        "period": period,
        "start": start,
        "end": end,
    }
    return TemplateResponse(request, "audit/soa.html", context)


def _export_name(framework: str | None, extension: str) -> str:
    return f"statement-of-applicability-{framework or 'all'}-{timezone.localdate():%Y%m%d}.{extension}"


@require_safe
@viewer_required
def soa_csv(request: HttpRequest) -> HttpResponse:
    framework = request.GET.get("framework") or None
    response = HttpResponse(render_soa_csv(soa_entries(framework)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(framework, "csv")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@viewer_required
def soa_xlsx(request: HttpRequest) -> HttpResponse:
    framework = request.GET.get("framework") or None
    response = HttpResponse(render_soa_xlsx(soa_entries(framework)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_export_name(framework, "xlsx")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@viewer_required
def evidence_timeline(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = _control(request, framework, ref)
    period, start, end = audit_period(request.GET)
    since, until = period_bounds(start, end)
    items = list(
        in_force_during(control.evidence.all(), start, end)
        .select_related("collected_by", "superseded_by")
        .order_by("collected_at", "pk")
    )
    gaps = coverage_gaps(items, since, until)
    context = {
        "control": control,
        "period": period,
        "start": start,
        "end": end,
        "since": since,
        "items": items,
        "gaps": gaps,
        "uncovered_days": round(sum(g.days for g in gaps), 1),
        "period_days": (end - start).days + 1,
    }
    return TemplateResponse(request, "audit/timeline.html", context)


@require_safe
@viewer_required
def control_changes(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = _control(request, framework, ref)
    return TemplateResponse(request, "audit/changes.html", {"control": control, "changes": change_log(control)})


EVENTS_PER_PAGE = 50


@require_safe
@viewer_required
def audit_events(request: HttpRequest) -> HttpResponse:
    """Workflow events, newest first: the CISO and auditors read all, an engineer their own."""
    verb = request.GET.get("verb", "")
    events = AuditEvent.objects.visible_to(request.user).select_related("actor", "subject_type")
    if verb in AuditVerb.values:
        events = events.filter(verb=verb)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "audit/events.html", {"page": page, "verbs": AuditVerb.choices, "verb": verb})


@require_POST
@viewer_required
def package_request(request: HttpRequest) -> HttpResponse:
    form = PackageRequest(request.POST)
    if not form.is_valid():
        return TemplateResponse(request, "audit/home.html#package-form", {"package_form": form}, status=400)
    data = form.cleaned_data
    package = audit_package_request(
        actor=request.user, framework=data["framework"], start=data["start"], end=data["end"]
    )
    if request.htmx:
        package.refresh_from_db()  # in eager mode the task has already run
        return TemplateResponse(request, "audit/package.html#progress", {"package": package}, status=201)
    return redirect(package)


def _package(request: HttpRequest, pk: int) -> AuditPackage:
    packages = AuditPackage.objects.visible_to(request.user).select_related("requested_by", "framework")
    return get_object_or_404(packages, pk=pk)


@require_safe
@viewer_required
def package_status(request: HttpRequest, pk: int) -> HttpResponse:
    package = _package(request, pk)
    template = "audit/package.html#progress" if request.htmx else "audit/package.html"
    return TemplateResponse(request, template, {"package": package})


@require_safe
@viewer_required
def package_download(request: HttpRequest, pk: int) -> HttpResponse:
    package = _package(request, pk)
    if not package.file:
        return TemplateResponse(request, "audit/package.html", {"package": package}, status=409)
    try:
        return verified_download(package, filename=package.download_name, content_type="application/zip")
    except IntegrityFailure as failure:
        logger.error("Refused download of audit package %s to %s: %s", package.pk, request.user, failure)
        context = {"package": package, "failure": failure}
        return TemplateResponse(request, "audit/package.html", context, status=failure.status)


@require_safe
@viewer_required
def ledger(request: HttpRequest) -> HttpResponse:
    """Re-checks the whole chain, every tracked row and the newest anchored head now: never cached."""
    anchored, anchor_error = None, ""
    try:
        anchored = latest_anchored_head()
    except (BotoCoreError, ClientError) as exc:
        logger.warning("The ledger's anchor bucket could not be read: %s", exc)
        anchor_error = f"{type(exc).__name__}: {exc}"
    context = {
        "verdict": ledger_verify(anchored=anchored),
        "anchor": LedgerAnchor.objects.first(),
        "anchoring": bool(settings.LEDGER_ANCHOR_BUCKET),
        "anchor_error": anchor_error,
    }
    return TemplateResponse(request, "audit/ledger.html", context)
