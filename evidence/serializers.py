"""API shapes of evidence: what an item shows, and what a person or a pipeline sends to add one."""

from __future__ import annotations

from pathlib import PurePath

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.serializers import ControlRefField, UsernameField
from evidence.models import Evidence, EvidencePart
from evidence.validation import validate_evidence_upload


class EvidenceSerializer(serializers.ModelSerializer):
    controls = ControlRefField(many=True, read_only=True, source="tagged_controls")
    collected_by = UsernameField(read_only=True)
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
        newer = getattr(item, "superseded_by", None)  # the reverse side of a one-to-one raises when absent
        return newer.pk if newer else None


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
