"""The OSCAL documents over the API, for pipelines that feed another GRC tool: the same documents as the
downloads on /audit/ and the files in the audit package, read-only for every role that may read the register."""

from __future__ import annotations

import re

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError

from accounts.permissions import RolePermission
from compliance.models import Framework
from oscal.export import MODELS, oscal_document
from oscal.views import MEDIA_TYPE

SLUG = re.compile(r"[-a-z0-9]{1,50}")


class OscalViewSet(viewsets.ViewSet):
    permission_classes = [RolePermission]
    lookup_field = "model"
    lookup_value_regex = "|".join(MODELS)
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        parameters=[
            OpenApiParameter("model", str, OpenApiParameter.PATH, enum=list(MODELS)),
            OpenApiParameter(
                "framework",
                str,
                description="One framework's document (a catalog or a framework profile needs one); all by default.",
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="A catalog without a framework.")},
        description="An OSCAL 1.1.3 document: ssp, assessment-results, catalog or profile (docs/oscal.md).",
    )
    def retrieve(self, request, model: str):
        slug = request.query_params.get("framework")
        framework = None
        if slug:
            # A slug is letters, digits and dashes; anything else (PostgreSQL refuses a NUL outright) names none.
            framework = Framework.objects.filter(slug=slug).first() if SLUG.fullmatch(slug) else None
            if framework is None:
                raise NotFound(f"No framework {slug!r}.")
        try:
            document = oscal_document(model, framework)
        except ValueError as refusal:
            raise ValidationError({"framework": [str(refusal)]}) from refusal
        content = document.json(base_url=request.build_absolute_uri("/").rstrip("/"))
        return HttpResponse(content, content_type=MEDIA_TYPE)


def register(router) -> None:
    router.register("oscal", OscalViewSet, basename="oscal")
