"""Evidence over REST: list, read, download and add. Never update or delete (405): evidence is append-only.

A pipeline attaches a report with

    curl -H "Authorization: Bearer $TOKEN" -F control=iso27001-2022:A.8.20 -F title="Firewall export" \
         -F file=@report.json https://controltrace.example/api/evidence/
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import PurePath

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.http import Http404, JsonResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from accounts import roles
from compliance.api import ApiViewSet, ControlTagFilter, UtcDateTimeFilter, refused_as_bad_request
from config.api import UnknownParametersRefused
from config.keyset import KeysetPagination
from config.uploads import upload_refusal
from evidence.integrity import IntegrityFailure, verified_download
from evidence.models import (
    LIST_ORDER,
    Evidence,
    EvidenceKind,
    EvidencePart,
    EvidenceQuerySet,
    EvidenceRequest,
    RequestState,
)
from evidence.requests import evidence_request_answer, evidence_request_open, evidence_request_withdraw, requests_shown
from evidence.serializers import (
    EvidenceInputSerializer,
    EvidencePartSerializer,
    EvidenceRequestInputSerializer,
    EvidenceRequestSerializer,
    EvidenceSerializer,
    RequestAnswerSerializer,
)
from evidence.services import evidence_add

logger = logging.getLogger("controltrace.evidence")
# The file comes back in the content type it was stored with: a JSON report is JSON, of any shape.
DOWNLOAD_RESPONSES = {
    (200, "application/octet-stream"): OpenApiTypes.BINARY,
    (200, "*/*"): OpenApiTypes.ANY,
    404: None,
    409: OpenApiResponse(description="The stored file no longer matches its recorded SHA-256; not sent."),
    410: OpenApiResponse(description="The stored file is missing."),
}


class FileRenderer(BaseRenderer):
    """Lets a client ask for the file (Accept: application/octet-stream) without DRF refusing with 406."""

    media_type = "application/octet-stream"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors (404) come through here: files are sent by verified_download, past the renderers.
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class EvidenceFilter(django_filters.FilterSet):
    control = ControlTagFilter()
    collected_after = UtcDateTimeFilter(field_name="collected_at", lookup_expr="gte")
    collected_before = UtcDateTimeFilter(field_name="collected_at", lookup_expr="lt")
    current = django_filters.BooleanFilter(method="filter_current", label="Only items nobody has superseded")
    stale = django_filters.BooleanFilter(method="filter_stale", label="Only items whose validity has passed")

    class Meta:
        model = Evidence
        fields = ["control", "kind", "sha256", "collected_after", "collected_before", "current", "stale"]

    def filter_current(self, qs, name, value):
        return qs.filter(superseded_by__isnull=value)

    def filter_stale(self, qs, name, value):
        now = timezone.now()
        return qs.stale(now) if value else qs.fresh(now)


def listed_evidence() -> EvidenceQuerySet:
    """Items with the username of who collected them and the id of the item superseding them, as plain values."""
    return Evidence.objects.annotate(
        collected_by_username=F("collected_by__username"), superseded_by_pk=F("superseded_by__id")
    ).order_by(*LIST_ORDER)


def with_control_tags(items: list[Evidence]) -> list[Evidence]:
    """Each item's controls as `framework:ref` tags, for a page of items in one query of plain values."""
    tags: dict[int, list[str]] = defaultdict(list)
    links = Evidence.controls.through.objects.filter(evidence_id__in=[item.pk for item in items])
    ordered = links.order_by("evidence_id", "control__framework__position", "control__sort_key")
    for evidence_id, framework, ref in ordered.values_list("evidence_id", "control__framework__slug", "control__ref"):
        tags[evidence_id].append(f"{framework}:{ref}")
    for item in items:
        item.control_tags = tags[item.pk]
    return items


TOO_LARGE = OpenApiResponse(description="The upload is larger than EVIDENCE_MAX_UPLOAD_BYTES.")


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": EvidenceInputSerializer, "application/json": EvidenceInputSerializer},
        responses={201: EvidenceSerializer, 413: TOO_LARGE},
        description="Add evidence to one or more controls. The server computes the SHA-256 and the content type.",
    ),
    download=extend_schema(
        responses=DOWNLOAD_RESPONSES,
        description="The stored file, re-hashed before it is sent: only bytes matching the recorded SHA-256 leave.",
    ),
)
class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Newest first, paged by cursor (config/keyset.py): the list grows with every scan, so no count, no offset."""

    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter
    filter_backends = [UnknownParametersRefused, django_filters.rest_framework.DjangoFilterBackend]
    pagination_class = KeysetPagination
    keyset_ordering = LIST_ORDER
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    # No put, patch or delete: those answer 405 whatever the role.
    http_method_names = ["get", "head", "options", "post"]

    def get_queryset(self):
        return listed_evidence()

    def paginate_queryset(self, queryset):
        return with_control_tags(super().paginate_queryset(queryset))

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(with_control_tags([self.get_object()])[0]).data)

    def create(self, request):
        # Parsed only when its declared length allows; parsing stops a file that streams past the limit.
        data = request.data if upload_refusal(request) is None else None
        if refusal := upload_refusal(request):
            return Response({"detail": refusal}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        submitted = EvidenceInputSerializer(data=data)
        submitted.is_valid(raise_exception=True)
        data = submitted.validated_data
        upload = data.get("file")
        try:
            item = evidence_add(
                controls=data["control"],
                title=data["title"],
                description=data["description"],
                upload=upload,
                url=data["url"],
                kind=EvidenceKind.FILE if upload else None,
                collected_at=data.get("collected_at"),
                valid_until=data.get("valid_until"),
                supersedes=data.get("supersedes"),
                actor=request.user,
            )
        except DjangoValidationError as exc:  # the service's rules: dates, what may be superseded
            raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
        shown = with_control_tags([self.get_queryset().get(pk=item.pk)])[0]
        return Response(self.get_serializer(shown).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, FileRenderer])
    def download(self, request, pk=None):
        item = self.get_object()
        if not item.file:
            raise Http404("This evidence has no file.")
        try:
            return verified_download(item, filename=PurePath(item.file.name).name, content_type=item.content_type)
        except IntegrityFailure as failure:
            return _refused("evidence", item, request, failure)


def _refused(kind: str, item, request, failure: IntegrityFailure) -> JsonResponse:
    logger.warning("Refused API download of %s %s to %s: %s", kind, item.pk, request.user, failure)
    # JSON whatever the client accepted: the file renderer must never carry anything but verified bytes.
    return JsonResponse({"detail": str(failure), "sha256_recorded": failure.expected}, status=failure.status)


@extend_schema_view(
    download=extend_schema(
        responses=DOWNLOAD_RESPONSES,
        description="The shared file, re-hashed before it is sent: only bytes matching its SHA-256 leave.",
    ),
)
class EvidencePartViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """The files scan reports name by SHA-256 (each check's results, stored once): read and download only."""

    serializer_class = EvidencePartSerializer
    queryset = EvidencePart.objects.prefetch_related("evidence")
    filter_backends: list = []
    http_method_names = ["get", "head", "options"]

    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, FileRenderer])
    def download(self, request, pk=None):
        part = self.get_object()
        try:
            return verified_download(part, filename=part.name, content_type=part.content_type)
        except IntegrityFailure as failure:
            return _refused("evidence part", part, request, failure)


class EvidenceRequestFilter(django_filters.FilterSet):
    control = ControlTagFilter(path="control")
    state = django_filters.ChoiceFilter(choices=RequestState.choices)
    addressed_to = django_filters.CharFilter(field_name="addressed_to__username")
    asked_by = django_filters.CharFilter(field_name="asked_by__username")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Only open requests past their due date")

    class Meta:
        model = EvidenceRequest
        fields = ["control", "state", "addressed_to", "asked_by", "overdue"]

    def filter_overdue(self, qs, name, value):
        overdue = EvidenceRequest.objects.overdue().values("pk")
        return qs.filter(pk__in=overdue) if value else qs.exclude(pk__in=overdue)


@extend_schema_view(
    create=extend_schema(request=EvidenceRequestInputSerializer, responses={201: EvidenceRequestSerializer}),
    answer=extend_schema(
        request={"multipart/form-data": RequestAnswerSerializer, "application/json": RequestAnswerSerializer},
        responses={200: EvidenceRequestSerializer, 413: TOO_LARGE},
        description="The person the request is addressed to answers with evidence; the request closes.",
    ),
    withdraw=extend_schema(request=None, responses={200: EvidenceRequestSerializer}),
)
class EvidenceRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The CISO and auditors ask a control's owner for evidence; the owner answers; the asker or the CISO
    withdraws. The same services as the pages (evidence/requests.py)."""

    serializer_class = EvidenceRequestSerializer
    filterset_class = EvidenceRequestFilter
    ordering_fields = ["due", "asked_at", "id"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "head", "options", "post"]

    def get_queryset(self):
        return requests_shown().order_by("due", "pk")

    @property
    def write_check(self):
        return roles.can_contribute if self.action == "answer" else roles.can_request_evidence

    def create(self, request):
        asked = EvidenceRequestInputSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        with refused_as_bad_request():
            opened = evidence_request_open(actor=request.user, **asked.validated_data)
        return Response(self._shown(opened), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        asked = self.get_object()
        if not roles.can_answer_request(request.user, asked):  # said before any validation error
            raise PermissionDenied("Only the person this request is addressed to answers it.")
        if refusal := upload_refusal(request):
            return Response({"detail": refusal}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        answer = RequestAnswerSerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        with refused_as_bad_request():
            evidence_request_answer(request=asked, actor=request.user, **answer.answer_arguments())
        return Response(self._shown(asked))

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        with refused_as_bad_request():
            withdrawn = evidence_request_withdraw(request=self.get_object(), actor=request.user)
        return Response(self._shown(withdrawn))

    def _shown(self, asked: EvidenceRequest) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=asked.pk)).data


def register(router) -> None:
    router.register("evidence", EvidenceViewSet, basename="evidence")
    router.register("evidence-requests", EvidenceRequestViewSet, basename="evidence-request")
    router.register("evidence-parts", EvidencePartViewSet, basename="evidence-part")
