"""The register over REST: thin viewsets on the same querysets and services as the pages.

Reads are open to every role; writes go through compliance.services, which check the actor's role again.
Nothing here deletes a register record: links are removed (their history keeps who removed them), records stay.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts import roles
from compliance import services, state
from compliance.models import (
    AutomatedStatus,
    Control,
    ControlComment,
    ControlMapping,
    Document,
    DocumentLink,
    Exemption,
    ExemptionState,
    Framework,
    Ticket,
    TicketLink,
    exemption_state_q,
)
from compliance.serializers import (
    ControlCommentInputSerializer,
    ControlCommentSerializer,
    ControlSerializer,
    ControlUpdateSerializer,
    DocumentInputSerializer,
    DocumentLinkSerializer,
    DocumentSerializer,
    ExemptionProposalSerializer,
    ExemptionSerializer,
    FrameworkSerializer,
    MappingSerializer,
    TicketInputSerializer,
    TicketLinkSerializer,
    TicketSerializer,
    control_by_tag,
)
from config.api import UnknownParametersRefused

READ = ["get", "head", "options"]


@contextmanager
def refused_as_bad_request():
    """A service's ValidationError (the record's rule) answered as DRF answers its own: 400, messages per field."""
    try:
        yield
    except ValidationError as refusal:
        raise serializers.ValidationError(serializers.as_serializer_error(refusal)) from refusal


class ApiPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class ApiViewSet(viewsets.GenericViewSet):
    """What every endpoint shares: filters, ordering, pagination."""

    filter_backends = [UnknownParametersRefused, django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    pagination_class = ApiPagination


def controls_with_state():
    """Controls with everything the API shows about them, in a fixed number of queries."""
    active = exemption_state_q(ExemptionState.ACTIVE, prefix="exemptions__")
    return (
        Control.objects.select_related("framework", "owner", "state")
        .annotate(active_exemptions=Count("exemptions", filter=active, distinct=True))
        .order_by("framework__position", "sort_key")  # an aggregate drops Meta.ordering
    )


class UtcDateTimeField(IsoDateTimeField):
    """ISO 8601 allows offsets up to 24 hours, PostgreSQL only up to 16: the comparison is made in UTC."""

    def to_python(self, value):
        moment = super().to_python(value)
        try:
            return moment.astimezone(UTC) if moment is not None else None
        except OverflowError as exc:  # 9999-12-31T23:00-05:00 is after the last moment a datetime holds
            raise forms.ValidationError("This date and time is out of range.", code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class ControlTagFilter(django_filters.CharFilter):
    """`?control=iso27001-2022:A.8.20`: records linked to that control."""

    def __init__(self, *, path: str = "controls", **kwargs):
        self.path = path
        kwargs.setdefault("label", "Control (framework:ref)")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        control = control_by_tag(value)
        return qs.filter(**{self.path: control}) if control else qs.none()


class FrameworkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Framework.objects.all()
    serializer_class = FrameworkSerializer
    lookup_field = "slug"
    ordering_fields = ["slug", "name"]
    http_method_names = READ


class ControlFilter(django_filters.FilterSet):
    framework = django_filters.CharFilter(field_name="framework__slug")
    owner = django_filters.CharFilter(field_name="owner__username")
    automated_status = django_filters.ChoiceFilter(
        field_name="state__automated_status", choices=AutomatedStatus.choices
    )
    evidence_stale = django_filters.BooleanFilter(method="filter_evidence_stale")
    search = django_filters.CharFilter(
        method="filter_search", label="A ref or tag (ctrl:iso27001-2022:A.8.20), or words of the title or summary"
    )

    class Meta:
        model = Control
        fields = ["framework", "ref", "group", "status", "applicable", "owner", "automated_status"]

    def filter_search(self, qs, name, value):
        return qs.search(value)

    def filter_evidence_stale(self, qs, name, value):
        stale = state.evidence_filter(state.STALE)
        return qs.filter(stale) if value else qs.exclude(stale)


@extend_schema_view(
    partial_update=extend_schema(
        request=ControlUpdateSerializer,
        responses={200: ControlSerializer},
        description="Change the organisation's record of the control. CISOs change any control, engineers their own.",
    )
)
class ControlViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ControlSerializer
    filterset_class = ControlFilter
    ordering_fields = ["sort_key", "ref", "status", "updated_at", "next_review", "state__automated_status"]
    http_method_names = [*READ, "patch"]

    def get_queryset(self):
        return controls_with_state().visible_to(self.request.user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def partial_update(self, request, pk=None):
        control = self.get_object()
        if not roles.can_edit_control(request.user, control):
            raise PermissionDenied("You can only change controls you own.")  # said before any validation error
        changes = ControlUpdateSerializer(data=request.data, context={"control": control})
        changes.is_valid(raise_exception=True)
        with refused_as_bad_request():
            services.control_update(control=control, actor=request.user, **changes.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=control.pk)).data)


class MappingFilter(django_filters.FilterSet):
    source = ControlTagFilter(path="source")
    target = ControlTagFilter(path="target")
    control = django_filters.CharFilter(method="filter_either", label="Either side (framework:ref)")

    class Meta:
        model = ControlMapping
        fields = ["relation", "source", "target", "control"]

    def filter_either(self, qs, name, value):
        control = control_by_tag(value)
        return qs.filter(Q(source=control) | Q(target=control)) if control else qs.none()


class MappingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = ControlMapping.objects.select_related("source__framework", "target__framework").order_by("pk")
    serializer_class = MappingSerializer
    filterset_class = MappingFilter
    ordering_fields = ["id"]
    http_method_names = READ


def tagged_controls() -> Prefetch:
    """The controls of each record as a plain list: a related manager per row would clone a query per row."""
    return Prefetch("controls", queryset=Control.objects.select_related("framework"), to_attr="tagged_controls")


class RegisterRecordViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, ApiViewSet
):
    """Documents and tickets: created and changed by contributors, never deleted through the API."""

    input_serializer_class: type[serializers.Serializer]
    http_method_names = [*READ, "post", "patch"]

    def get_serializer_class(self):
        return self.input_serializer_class if self.action in ("create", "partial_update") else self.serializer_class

    # The history records who made the change without help: DRF's Request sets the authenticated user on
    # the HttpRequest, which is where django-simple-history's middleware looks.
    def create(self, request, *args, **kwargs):
        written = self.get_serializer(data=request.data)
        written.is_valid(raise_exception=True)
        self.perform_create(written)
        shown = self.serializer_class(self.get_queryset().get(pk=written.instance.pk))
        return Response(shown.data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        written = self.get_serializer(self.get_object(), data=request.data, partial=True)
        written.is_valid(raise_exception=True)
        self.perform_update(written)
        return Response(self.serializer_class(self.get_queryset().get(pk=written.instance.pk)).data)


class DocumentFilter(django_filters.FilterSet):
    control = ControlTagFilter()
    owner = django_filters.CharFilter(field_name="owner__username")
    title = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Document
        fields = ["kind", "owner", "control", "title"]


@extend_schema_view(
    create=extend_schema(request=DocumentInputSerializer, responses={201: DocumentSerializer}),
    partial_update=extend_schema(request=DocumentInputSerializer, responses={200: DocumentSerializer}),
)
class DocumentViewSet(RegisterRecordViewSet):
    queryset = Document.objects.select_related("owner").prefetch_related(tagged_controls())
    serializer_class = DocumentSerializer
    input_serializer_class = DocumentInputSerializer
    filterset_class = DocumentFilter
    ordering_fields = ["title", "kind", "next_review", "created_at"]

    def perform_create(self, serializer):
        with refused_as_bad_request():
            serializer.instance = services.document_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        with refused_as_bad_request():
            serializer.instance = services.document_update(
                document=serializer.instance, actor=self.request.user, **serializer.validated_data
            )


class TicketFilter(django_filters.FilterSet):
    control = ControlTagFilter()

    class Meta:
        model = Ticket
        fields = ["system", "key", "state", "control"]


@extend_schema_view(
    create=extend_schema(request=TicketInputSerializer, responses={201: TicketSerializer}),
    partial_update=extend_schema(request=TicketInputSerializer, responses={200: TicketSerializer}),
)
class TicketViewSet(RegisterRecordViewSet):
    queryset = Ticket.objects.prefetch_related(tagged_controls())
    serializer_class = TicketSerializer
    input_serializer_class = TicketInputSerializer
    filterset_class = TicketFilter
    ordering_fields = ["system", "key", "state", "last_synced_at", "created_at"]


class LinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Links are made and removed through the services, which record who did it."""

    http_method_names = [*READ, "post", "delete"]
    ordering_fields = ["linked_at", "id"]
    record_field: str  # "document" or "ticket"
    link_service: staticmethod
    unlink_service: staticmethod

    def perform_create(self, serializer):
        record = {self.record_field: serializer.validated_data[self.record_field]}
        control = serializer.validated_data["control"]
        serializer.instance = self.link_service(**record, control=control, actor=self.request.user)

    def destroy(self, request, *args, **kwargs):
        link = self.get_object()
        self.unlink_service(
            **{self.record_field: getattr(link, self.record_field)}, control=link.control, actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def links_of(model):
    return model.objects.select_related("control__framework", "linked_by").order_by("-linked_at", "-pk")


class LinkFilter(django_filters.FilterSet):
    control = ControlTagFilter(path="control")


class DocumentLinkFilter(LinkFilter):
    class Meta:
        model = DocumentLink
        fields = ["document", "control", "origin"]


class TicketLinkFilter(LinkFilter):
    class Meta:
        model = TicketLink
        fields = ["ticket", "control", "origin"]


class DocumentLinkViewSet(LinkViewSet):
    queryset = links_of(DocumentLink)
    serializer_class = DocumentLinkSerializer
    filterset_class = DocumentLinkFilter
    record_field = "document"
    link_service = staticmethod(services.document_link)
    unlink_service = staticmethod(services.document_unlink)


class TicketLinkViewSet(LinkViewSet):
    queryset = links_of(TicketLink)
    serializer_class = TicketLinkSerializer
    filterset_class = TicketLinkFilter
    record_field = "ticket"
    link_service = staticmethod(services.ticket_link)
    unlink_service = staticmethod(services.ticket_unlink)


class ExemptionFilter(django_filters.FilterSet):
    control = ControlTagFilter()
    state = django_filters.ChoiceFilter(method="filter_state", choices=ExemptionState.choices)

    class Meta:
        model = Exemption
        fields = ["control", "state"]

    def filter_state(self, qs, name, value):
        return qs.in_state(value)


CONFLICT = OpenApiResponse(description="The exemption is not in a state that allows this.")


@extend_schema_view(
    create=extend_schema(request=ExemptionProposalSerializer, responses={201: ExemptionSerializer}),
    approve=extend_schema(request=None, responses={200: ExemptionSerializer, 409: CONFLICT}),
    revoke=extend_schema(request=None, responses={200: ExemptionSerializer}),
)
class ExemptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Contributors propose; only the CISO approves or revokes."""

    queryset = Exemption.objects.select_related("requested_by", "approved_by", "revoked_by").prefetch_related(
        tagged_controls()
    )
    serializer_class = ExemptionSerializer
    filterset_class = ExemptionFilter
    ordering_fields = ["expires_at", "requested_at", "title"]
    http_method_names = [*READ, "post"]

    @property
    def write_check(self):
        return roles.can_manage if self.action in ("approve", "revoke") else roles.can_contribute

    def create(self, request):
        proposal = ExemptionProposalSerializer(data=request.data)
        proposal.is_valid(raise_exception=True)
        data = proposal.validated_data
        with refused_as_bad_request():
            exemption = services.exemption_propose(
                controls=data["control"],
                title=data["title"],
                reason=data["reason"],
                compensating_measures=data["compensating_measures"],
                expires_at=data["expires_at"],
                replaces=data.get("replaces"),
                actor=request.user,
            )
        return Response(self._shown(exemption), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        try:
            exemption = services.exemption_approve(exemption=self.get_object(), actor=request.user)
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self._shown(exemption))

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return Response(self._shown(services.exemption_revoke(exemption=self.get_object(), actor=request.user)))

    def _shown(self, exemption: Exemption) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=exemption.pk)).data


class CommentFilter(django_filters.FilterSet):
    control = ControlTagFilter(path="control")

    class Meta:
        model = ControlComment
        fields = ["control", "parent"]


@extend_schema_view(
    create=extend_schema(request=ControlCommentInputSerializer, responses={201: ControlCommentSerializer})
)
class ControlCommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Questions and answers on controls, oldest first. Everyone with access comments, auditors included;
    nothing is edited or deleted."""

    queryset = ControlComment.objects.select_related("control__framework", "author").order_by("created_at", "pk")
    serializer_class = ControlCommentSerializer
    filterset_class = CommentFilter
    ordering_fields = ["created_at", "id"]
    http_method_names = [*READ, "post"]
    write_check = staticmethod(roles.can_comment)

    def create(self, request):
        written = ControlCommentInputSerializer(data=request.data)
        written.is_valid(raise_exception=True)
        data = written.validated_data
        parent = ControlComment.objects.filter(pk=data["parent"]).first() if data.get("parent") else None
        if data.get("parent") and parent is None:
            raise serializers.ValidationError({"parent": "No such comment."})
        with refused_as_bad_request():
            comment = services.control_comment_add(
                control=data["control"], actor=request.user, body=data["body"], parent=parent
            )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=comment.pk)).data, status=status.HTTP_201_CREATED
        )


def register(router) -> None:
    router.register("frameworks", FrameworkViewSet, basename="framework")
    router.register("controls", ControlViewSet, basename="control")
    router.register("mappings", MappingViewSet, basename="mapping")
    router.register("documents", DocumentViewSet, basename="document")
    router.register("tickets", TicketViewSet, basename="ticket")
    router.register("document-links", DocumentLinkViewSet, basename="document-link")
    router.register("ticket-links", TicketLinkViewSet, basename="ticket-link")
    router.register("exemptions", ExemptionViewSet, basename="exemption")
    router.register("comments", ControlCommentViewSet, basename="comment")
