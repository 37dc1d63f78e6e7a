"""`POST /api/plan-checks/`: a pipeline posts the JSON of `terraform show -json tfplan` and gets the checks'
results on each planned resource; the result is kept as evidence on the controls the checks evidence
("checked before deploy", linked to the commit). CISOs and engineers may post; auditors only read.

    terraform show -json tfplan | jq '{plan: ., repository: "acme/infra", commit: env.GITHUB_SHA}' \\
      | curl -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
        --data-binary @- https://controltrace.example/api/plan-checks/
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from accounts.permissions import RolePermission
from config.uploads import declared_length
from scanners.api import invalid
from scanners.plan.reader import PlanError
from scanners.plan.runner import summary
from scanners.plan.service import plan_account, plan_check, plan_check_evidence_record

# A plan of a thousand resources is a few megabytes of JSON.
DEFAULT_MAX_PLAN_BYTES = 20 * 1024 * 1024


def max_plan_bytes() -> int:
    return getattr(settings, "PLAN_CHECK_MAX_BYTES", DEFAULT_MAX_PLAN_BYTES)


class PlanCheckInputSerializer(serializers.Serializer):
    plan = serializers.JSONField(help_text="The JSON of `terraform show -json tfplan`.")
    account = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="The AWS account whose check settings judge the plan."
    )
    commit = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    repository = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="owner/name"
    )


class PlanFindingSerializer(serializers.Serializer):
    address = serializers.CharField()
    resource_type = serializers.CharField()
    check = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.ChoiceField(choices=["pass", "fail", "error", "not_applicable"])
    reason = serializers.CharField(allow_blank=True)
    controls = serializers.ListField(child=serializers.CharField())
    remediation = serializers.CharField()


class PlanCheckResultSerializer(serializers.Serializer):
    summary = serializers.DictField(child=serializers.IntegerField())
    results = PlanFindingSerializer(many=True)
    evidence = serializers.IntegerField(allow_null=True, help_text="The evidence item recording this check.")


class PlanCheckViewSet(viewsets.GenericViewSet):
    permission_classes = [RolePermission]  # writes: CISOs and engineers (roles.can_contribute)
    parser_classes = [JSONParser]
    serializer_class = PlanCheckInputSerializer
    http_method_names = ["post", "options"]

    @extend_schema(
        request=PlanCheckInputSerializer,
        responses={
            200: PlanCheckResultSerializer,
            400: OpenApiResponse(description="Not a Terraform plan, an unknown account, or a malformed commit."),
            413: OpenApiResponse(description="The plan is larger than the limit."),
        },
    )
    def create(self, request):
        limit = max_plan_bytes()
        if declared_length(request) > limit:
            return Response(
                {"detail": f"The plan is larger than {limit} bytes."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        submitted = PlanCheckInputSerializer(data=request.data)
        submitted.is_valid(raise_exception=True)
        data = submitted.validated_data
        try:
            account = plan_account(data["account"])
            findings = plan_check(data=data["plan"], account=account)
            evidence = plan_check_evidence_record(
                findings=findings,
                account=account,
                commit=data["commit"],
                repository=data["repository"],
                actor=request.user,
            )
        except PlanError as exc:
            raise serializers.ValidationError({"plan": [str(exc)]}) from exc
        except DjangoValidationError as exc:
            raise invalid(exc) from exc
        body = {
            "summary": summary(findings),
            "results": [item.as_json() for item in findings],
            "evidence": evidence.pk if evidence else None,
        }
        return Response(PlanCheckResultSerializer(body).data)


def register(router) -> None:
    router.register("plan-checks", PlanCheckViewSet, basename="plan-check")
