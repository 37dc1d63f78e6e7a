"""The evidence browser: find evidence, read its record, and download the file only if it is intact."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import PurePosixPath

from django import forms
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from accounts.decorators import viewer_required
from compliance.models import Control, Framework
from config.keyset import InvalidCursor, keyset_page_with_total, page_number_redirect
from config.widgets import DateInput
from evidence.audit_data import ControlLinks, start_of_day
from evidence.integrity import IntegrityFailure, verified_download
from evidence.models import LIST_ORDER, Evidence, EvidenceKind, EvidencePart, EvidenceQuerySet

logger = logging.getLogger("controltrace.evidence")

PAGE_SIZE = 50
STATES = [("fresh", "Fresh"), ("stale", "Stale"), ("superseded", "Superseded")]


class EvidenceFilter(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="Title, description, producer or SHA-256 prefix")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *EvidenceKind.choices])
    framework = forms.ChoiceField(required=False, label="Framework")
    control = forms.CharField(
        required=False, label="Control", help_text="A.8.20, CC6.6, or a tag such as ctrl:iso27001-2022:A.8.20"
    )
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *STATES])
    collected_from = forms.DateField(required=False, label="Collected from", widget=DateInput())
    collected_to = forms.DateField(required=False, label="Collected to", widget=DateInput())

    def __init__(self, *args, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].choices = [("", "All frameworks"), *((f.slug, f.name) for f in frameworks)]

    def apply(self, evidence: EvidenceQuerySet) -> EvidenceQuerySet:
        if not self.is_valid():
            return evidence.none()
        data = self.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            evidence = evidence.filter(
                Q(title__icontains=q)
                | Q(description__icontains=q)
                | Q(produced_by__icontains=q)
                | Q(sha256__startswith=q.lower())
            )
        if data["kind"]:
            evidence = evidence.filter(kind=data["kind"])
        served = Evidence.controls.through.objects.filter(evidence_id=OuterRef("pk"))
        if data["framework"]:
            served = served.filter(control__framework__slug=data["framework"])
        if data["control"]:
            served = served.filter(control__in=Control.objects.named(data["control"]))
        if data["framework"] or data["control"]:
            evidence = evidence.filter(Exists(served))
        evidence = self._state(evidence, data["state"])
        if data["collected_from"]:
            evidence = evidence.filter(collected_at__gte=start_of_day(data["collected_from"]))
        if data["collected_to"]:
            evidence = evidence.filter(collected_at__lt=start_of_day(data["collected_to"] + timedelta(days=1)))
        return evidence

    @staticmethod
    def _state(evidence: EvidenceQuerySet, state: str) -> EvidenceQuerySet:
        if state == "fresh":
            return evidence.current().fresh()
        if state == "stale":
            return evidence.current().stale()
        if state == "superseded":
            return evidence.filter(superseded_by__isnull=False)
        return evidence


def with_controls(evidence: EvidenceQuerySet) -> EvidenceQuerySet:
    return evidence.prefetch_related(
        Prefetch(
            "controls", queryset=Control.objects.select_related("framework").order_by("framework__position", "sort_key")
        )
    )


@require_safe
@viewer_required
def evidence_list(request: HttpRequest) -> HttpResponse:
    if numbered := page_number_redirect(request):
        return numbered
    filters = EvidenceFilter(request.GET, frameworks=list(Framework.objects.all()))
    evidence = filters.apply(Evidence.objects.select_related("collected_by", "superseded_by"))
    try:
        page = keyset_page_with_total(
            with_controls(evidence), ordering=LIST_ORDER, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except InvalidCursor as exc:
        raise Http404("This page of evidence does not exist.") from exc
    links = ControlLinks()
    for item in page:
        for control in item.controls.all():
            control.url = links("control-detail", control.framework.slug, control.ref)
    template = "evidence/evidence_list.html#results" if request.htmx else "evidence/evidence_list.html"
    return TemplateResponse(request, template, {"filters": filters, "page": page})


@require_safe
@viewer_required
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        with_controls(Evidence.objects.select_related("collected_by", "supersedes", "superseded_by")), pk=pk
    )
    return TemplateResponse(request, "evidence/evidence_detail.html", {"item": item})


@require_safe
@viewer_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the stored file, but only after re-hashing it: a changed or missing file is refused, never served."""
    item = get_object_or_404(Evidence, pk=pk)
    if not item.file:
        raise Http404("This evidence has no stored file.")
    try:
        return verified_download(item, filename=PurePosixPath(item.file.name).name, content_type=item.content_type)
    except IntegrityFailure as failure:
        logger.warning("Refused download of evidence %s to %s: %s", item.pk, request.user, failure)
        context = {"item": item, "failure": failure}
        return TemplateResponse(request, "evidence/integrity_failure.html", context, status=failure.status)


@require_safe
@viewer_required
def evidence_part_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A shared file a report names by SHA-256 (a check's results), re-hashed before it is sent, like evidence."""
    part = get_object_or_404(EvidencePart, pk=pk)
    try:
        return verified_download(part, filename=part.name, content_type=part.content_type)
    except IntegrityFailure as failure:
        logger.warning("Refused download of evidence part %s to %s: %s", part.pk, request.user, failure)
        context = {"item": part.evidence.order_by("pk").first(), "failure": failure}
        return TemplateResponse(request, "evidence/integrity_failure.html", context, status=failure.status)


@require_safe
@viewer_required
def evidence_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A page before leaving for a linked source, so nobody follows an evidence URL unawares."""
    item = get_object_or_404(Evidence.objects.exclude(url=""), pk=pk)
    return TemplateResponse(request, "evidence/evidence_link.html", {"item": item})
