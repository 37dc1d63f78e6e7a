"""Scans over REST: cloud accounts, scan runs, the latest check results, each run's findings, the inventory.

Everyone reads; only the CISO adds or changes an account or starts a scan (the services check the role again).
`/api/findings/` is the latest result per (account, check, resource), what control statuses are computed from;
`/api/run-findings/?run=<id>` is what one scan found, kept for every run as the trail of automated evidence.

    curl -X POST -H "Authorization: Bearer $TOKEN" https://controltrace.example/api/cloud-accounts/1/scan/
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Q, Subquery
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import roles
from compliance.api import READ, ApiViewSet, UtcDateTimeFilter, refused_as_bad_request
from config.api import UnknownParametersRefused
from config.keyset import KeysetPagination
from scanners import engine
from scanners.check_settings import check_settings_of
from scanners.checks import base as checks_base
from scanners.models import (
    RESULTS_ORDER,
    CheckStatus,
    CloudAccount,
    Finding,
    FindingStatus,
    Resource,
    RunState,
    ScanRun,
    Trigger,
)
from scanners.serializers import (
    CheckSettingInputSerializer,
    CheckSettingResetSerializer,
    CheckSettingStateSerializer,
    CloudAccountInputSerializer,
    CloudAccountSerializer,
    LatestResultSerializer,
    ResourceDetailSerializer,
    ResourceSerializer,
    RunFindingSerializer,
    ScanRunSerializer,
)
from scanners.services import (
    check_setting_change,
    check_setting_reset,
    cloud_account_create,
    cloud_account_update,
    scan_request,
)
from scanners.verdict import Speaks, checks_deciding_for


def invalid(exc: DjangoValidationError) -> serializers.ValidationError:
    """A service's refusal as a 400 that names the field when the service did."""
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


def accounts_with_last_run():
    latest = ScanRun.objects.filter(account=OuterRef("pk")).order_by("-created_at", "-pk")
    return CloudAccount.objects.select_related("schedule__crontab", "schedule__interval").annotate(
        last_run_id=Subquery(latest.values("pk")[:1]), last_run_state=Subquery(latest.values("state")[:1])
    )


class CloudAccountFilter(django_filters.FilterSet):
    class Meta:
        model = CloudAccount
        fields = ["name", "enabled", "account_id"]


DISABLED = OpenApiResponse(description="The account is disabled: enable it before scanning.")


@extend_schema_view(
    create=extend_schema(request=CloudAccountInputSerializer, responses={201: CloudAccountSerializer}),
    partial_update=extend_schema(request=CloudAccountInputSerializer, responses={200: CloudAccountSerializer}),
    scan=extend_schema(
        request=None,
        responses={202: ScanRunSerializer, 409: DISABLED},
        description="Ask for a scan, like the Scan now button. While one is queued or running, that one is returned.",
    ),
)
@extend_schema_view(
    check_settings=[
        extend_schema(
            methods=["GET"],
            request=None,
            responses={200: CheckSettingStateSerializer(many=True)},
            description="Every setting the checks declare, with this account's value where the CISO set one.",
        ),
        extend_schema(
            methods=["POST"],
            request=CheckSettingInputSerializer,
            responses={200: CheckSettingStateSerializer},
            description="Set the value a check is judged with in this account, from its next scan on (CISO only).",
        ),
    ],
    check_settings_reset=extend_schema(
        request=CheckSettingResetSerializer,
        responses={204: None},
        description="Judge the check with its default again in this account (CISO only).",
    ),
)
class CloudAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CloudAccountSerializer
    filterset_class = CloudAccountFilter
    ordering_fields = ["name", "created_at"]
    http_method_names = [*READ, "post", "patch"]
    write_check = staticmethod(roles.can_manage)

    def get_queryset(self):
        return accounts_with_last_run().visible_to(self.request.user)

    def create(self, request):
        written = CloudAccountInputSerializer(data=request.data)
        written.is_valid(raise_exception=True)
        try:
            account = cloud_account_create(**written.validated_data, actor=request.user)
        except DjangoValidationError as exc:
            raise invalid(exc) from exc
        return Response(self._shown(account), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        account = self.get_object()
        written = CloudAccountInputSerializer(account, data=request.data, partial=True)
        written.is_valid(raise_exception=True)
        if not written.validated_data:
            raise serializers.ValidationError("Send at least one field to change.")
        try:
            cloud_account_update(account=account, actor=request.user, **written.validated_data)
        except DjangoValidationError as exc:
            raise invalid(exc) from exc
        return Response(self._shown(account))

    @action(detail=True, methods=["post"])
    def scan(self, request, pk=None):
        try:
            run = scan_request(account=self.get_object(), actor=request.user)
        except DjangoValidationError as exc:
            return Response({"detail": "; ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        shown = ScanRunSerializer(ScanRun.objects.select_related("account", "triggered_by").get(pk=run.pk))
        return Response(shown.data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get", "post"], url_path="check-settings", pagination_class=None)
    def check_settings(self, request, pk=None):
        account = self.get_object()
        if request.method == "GET":
            return Response(CheckSettingStateSerializer(check_settings_of(account), many=True).data)
        written = CheckSettingInputSerializer(data=request.data)
        written.is_valid(raise_exception=True)
        with refused_as_bad_request():
            check_setting_change(account=account, actor=request.user, **written.validated_data)
        return Response(self._setting_shown(account, **written.validated_data))

    @action(detail=True, methods=["post"], url_path="check-settings/reset")
    def check_settings_reset(self, request, pk=None):
        account = self.get_object()
        written = CheckSettingResetSerializer(data=request.data)
        written.is_valid(raise_exception=True)
        with refused_as_bad_request():
            check_setting_reset(account=account, actor=request.user, **written.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _setting_shown(self, account: CloudAccount, *, check_id: str, key: str, **_) -> dict:
        state = next(s for s in check_settings_of(account) if (s.check_id, s.key) == (check_id, key))
        return CheckSettingStateSerializer(state).data

    def _shown(self, account: CloudAccount) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=account.pk)).data


class ScanRunFilter(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__name", label="Cloud account name")
    state = django_filters.ChoiceFilter(choices=RunState.choices)
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = ScanRun
        fields = ["account", "state", "trigger", "created_after"]


class ScanRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ScanRunSerializer
    filterset_class = ScanRunFilter
    ordering_fields = ["created_at", "finished_at", "id"]
    http_method_names = READ

    def get_queryset(self):
        return ScanRun.objects.visible_to(self.request.user).select_related("account", "triggered_by")


class ResultFilter(django_filters.FilterSet):
    """What the latest findings page filters on, shared by the latest results and each run's findings."""

    check = django_filters.CharFilter(field_name="check_id", label="Check id")
    status = django_filters.ChoiceFilter(choices=FindingStatus.choices)
    region = django_filters.CharFilter()
    resource = django_filters.CharFilter(field_name="resource__uid", lookup_expr="icontains", label="Resource contains")
    control = django_filters.CharFilter(method="filter_control", label="Checks evidencing a control (framework:ref)")

    def filter_control(self, qs, name, value):
        # The checks that decide the control's automated status: its own and those of its `equal` peers.
        return qs.filter(check_id__in=list(speaking_for(self.request, value)))


def speaking_for(request, control_key: str) -> dict[str, Speaks]:
    """The filter and each row's `why` ask the same question: answered once per request."""
    answered = getattr(request, "_speaking_for", None)
    if answered is None or answered[0] != control_key:
        engine.registries_load()  # the filter runs before the serializer: the checks must be known already
        answered = request._speaking_for = (control_key, checks_deciding_for(control_key))
    return answered[1]


class LatestResultFilter(ResultFilter):
    account = django_filters.CharFilter(field_name="account__name", label="Cloud account name")

    class Meta:
        model = CheckStatus
        fields = ["check", "status", "region", "account", "resource", "control"]


class RunFindingFilter(ResultFilter):
    account = django_filters.CharFilter(field_name="run__account__name", label="Cloud account name")

    class Meta:
        model = Finding
        fields = ["run", "check", "status", "region", "account", "resource", "control"]


class CheckResultViewSet(mixins.ListModelMixin, ApiViewSet):
    """Rows carry their check's title, severity, remediation and controls from the code's registry: no query.

    Paged by cursor in one fixed order (an index of the table, see config/keyset.py): no `ordering`, no count.
    """

    http_method_names = READ
    filter_backends = [UnknownParametersRefused, django_filters.rest_framework.DjangoFilterBackend]
    pagination_class = KeysetPagination

    def get_serializer_context(self) -> dict:
        engine.registries_load()
        control = self.request.query_params.get("control") if self.request else None
        return {
            **super().get_serializer_context(),
            "checks": {c.id: c for c in checks_base.all_checks()},
            "speaks": speaking_for(self.request, control) if control else None,
        }


class LatestResultViewSet(CheckResultViewSet):
    serializer_class = LatestResultSerializer
    filterset_class = LatestResultFilter
    keyset_ordering = RESULTS_ORDER

    def get_queryset(self):
        shown = CheckStatus.objects.visible_to(self.request.user).select_related("resource", "account")
        return shown.defer("resource__config", "resource__tags")  # a resource's document can be large


class RunFindingViewSet(CheckResultViewSet):
    """Newest run first; within a run, the findings page's order reversed (one index serves both ways)."""

    serializer_class = RunFindingSerializer
    filterset_class = RunFindingFilter
    keyset_ordering = tuple(f"-{name}" for name in ("run_id", *RESULTS_ORDER))

    def get_queryset(self):
        shown = Finding.objects.visible_to(self.request.user).select_related("resource", "run__account")
        return shown.defer("resource__config", "resource__tags", "run__errors")


class ResourceFilter(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__name", label="Cloud account name")
    uid = django_filters.CharFilter(lookup_expr="icontains", label="Uid contains")
    gone = django_filters.BooleanFilter(field_name="gone_at", lookup_expr="isnull", exclude=True)
    seen_after = UtcDateTimeFilter(field_name="last_seen", lookup_expr="gte")
    search = django_filters.CharFilter(method="filter_search", label="Name or uid contains (as the inventory page)")

    class Meta:
        model = Resource
        fields = ["account", "type", "region", "uid", "placeholder", "gone", "seen_after", "search"]

    def filter_search(self, qs, name, value):
        return qs.filter(Q(uid__icontains=value) | Q(name__icontains=value))


class ResourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The inventory; a resource that disappeared stays, marked gone, because findings point at it."""

    filterset_class = ResourceFilter
    ordering_fields = ["type", "region", "uid", "first_seen", "last_seen", "gone_at"]
    http_method_names = READ

    def get_serializer_class(self):
        return ResourceDetailSerializer if self.action == "retrieve" else ResourceSerializer

    def get_queryset(self):
        resources = Resource.objects.filter(account__in=CloudAccount.objects.visible_to(self.request.user))
        resources = resources.select_related("account")
        # A resource's configuration can be large: the list leaves it out, one resource's page shows it.
        return resources if self.action == "retrieve" else resources.defer("config")


def register(router) -> None:
    router.register("cloud-accounts", CloudAccountViewSet, basename="cloud-account")
    router.register("scan-runs", ScanRunViewSet, basename="scan-run")
    router.register("findings", LatestResultViewSet, basename="finding")
    router.register("run-findings", RunFindingViewSet, basename="run-finding")
    router.register("resources", ResourceViewSet, basename="resource")
