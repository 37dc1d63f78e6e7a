"""API shapes of evidence: what an item shows, and what a person or a pipeline sends to add one."""

from __future__ import annotations

from pathlib import PurePath

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.serializers import ControlRefField, UsernameField
from evidence.models import Evidence, EvidencePart, EvidenceRequest
from evidence.validation import validate_evidence_upload


class EvidenceSerializer(serializers.ModelSerializer):
    """Reads plain values the list query annotates (`evidence.api.listed_evidence`) and the control tags fetched
    for the page at once: a list of evidence grows without bound, and a model instance per user, newer item and
    control (with its framework) was most of its time."""

    controls = serializers.ListField(
        child=serializers.CharField(), read_only=True, source="control_tags", help_text="framework:ref of each control"
    )
    collected_by = serializers.CharField(read_only=True, allow_null=True, source="collected_by_username")
    file_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    supersedes = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    superseded_by = serializers.SerializerMethodField()
    is_stale = serializers.BooleanField(read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "controls",
            "file_name",
            "download_url",
            "url",
            "sha256",
            "size",
            "content_type",
            "collected_at",
            "collected_by",
            "produced_by",
            "valid_until",
            "is_stale",
            "supersedes",
            "superseded_by",
            "created_at",
        ]

    def get_file_name(self, item: Evidence) -> str | None:
        return PurePath(item.file.name).name if item.file else None

    def get_download_url(self, item: Evidence) -> str | None:
        """The verified download: the file is re-hashed before it is sent. Never a media URL."""
        return reverse("api:evidence-download", args=[item.pk]) if item.file else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_superseded_by(self, item: Evidence) -> int | None:
        return item.superseded_by_pk


class EvidencePartSerializer(serializers.ModelSerializer):
    """A shared file that reports name by SHA-256 (one check's results in a scan), and which items refer to it."""

    download_url = serializers.CharField(source="api_download_url", read_only=True)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = EvidencePart
        fields = ["id", "name", "sha256", "size", "content_type", "created_at", "download_url", "evidence"]


class EvidenceInputSerializer(serializers.Serializer):
    """A file, a link or a note, supporting one or more controls. The SHA-256 is always computed here."""

    control = serializers.ListField(
        child=ControlRefField(), min_length=1, help_text="framework:ref of each control it supports; repeatable."
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_empty_file=False, use_url=False)
    url = serializers.URLField(required=False, allow_blank=True, default="", max_length=1000)
    collected_at = serializers.DateTimeField(
        required=False,
        help_text="When it was collected; now if omitted. Never in the future; an earlier date is kept as stated "
        "but the item covers time only from when it is recorded (created_at).",
    )
    valid_until = serializers.DateTimeField(
        required=False,
        help_text="Fresh until; the default freshness if omitted. At most EVIDENCE_MAX_VALIDITY_DAYS (400 by "
        "default) from now.",
    )
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=Evidence.objects.all(),
        required=False,
        help_text="The item this one corrects: a person's item, supporting no control that this one does not.",
    )

    def validate_file(self, upload):
        try:
            upload.content_type = validate_evidence_upload(upload)  # stored as determined, not as claimed
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return upload

    def validate(self, attrs: dict) -> dict:
        upload, url, description = attrs.get("file"), attrs.get("url"), attrs.get("description")
        if upload and url:
            raise serializers.ValidationError("Send a file or a URL, not both: each is its own item of evidence.")
        if not (upload or url or description.strip()):
            raise serializers.ValidationError("Evidence needs a file, a URL or a description.")
        # Dates and superseding are checked by evidence_add, the same rules as the page's.
        return attrs


class EvidenceRequestSerializer(serializers.ModelSerializer):
    control = ControlRefField(read_only=True)
    asked_by = UsernameField(read_only=True)
    addressed_to = UsernameField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    answered_with = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = EvidenceRequest
        fields = [
            "id",
            "control",
            "what",
            "due",
            "state",
            "is_overdue",
            "asked_by",
            "addressed_to",
            "asked_at",
            "answered_at",
            "answered_with",
        ]


class EvidenceRequestInputSerializer(serializers.Serializer):
    """Ask the control's owner (at the time) for evidence. The rules are evidence_request_check's."""

    control = ControlRefField(help_text="framework:ref of the control whose owner is asked.")
    what = serializers.CharField(max_length=2000)
    due = serializers.DateField(help_text="Needed by this day (today or later).")


class RequestAnswerSerializer(serializers.Serializer):
    """Answer with items the control already has (`evidence`), and/or a new item as /api/evidence/ takes one
    (title and a file, a URL or a description), added to the request's control."""

    evidence = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_empty_file=False, use_url=False)
    url = serializers.URLField(required=False, allow_blank=True, default="", max_length=1000)

    validate_file = EvidenceInputSerializer.validate_file

    def validate(self, attrs: dict) -> dict:
        upload, url, description = attrs.get("file"), attrs.get("url"), attrs.get("description", "")
        if upload and url:
            raise serializers.ValidationError("Send a file or a URL, not both: each is its own item of evidence.")
        new_item = bool(upload or url or description.strip())
        if new_item and not attrs.get("title"):
            raise serializers.ValidationError({"title": "A new item of evidence needs a title."})
        if not new_item and not attrs.get("evidence"):
            raise serializers.ValidationError("Answer with evidence: send `evidence` ids, or a file, a URL or a note.")
        return attrs

    def answer_arguments(self) -> dict:
        data = self.validated_data
        items = list(Evidence.objects.filter(pk__in=data.get("evidence") or []))
        if len(items) != len(set(data.get("evidence") or [])):
            raise serializers.ValidationError({"evidence": "No such evidence."})
        upload, url, description = data.get("file"), data.get("url", ""), data.get("description", "")
        if not (upload or url or description.strip()):
            return {"items": items}
        new_item = {"title": data["title"], "upload": upload, "url": url, "description": description}
        return {"items": items, **new_item}
