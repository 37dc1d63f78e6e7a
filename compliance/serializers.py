"""API shapes of the register. Output serializers say what a reader sees; input serializers what a writer may send."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance import state as derived
from compliance.models import (
    Control,
    ControlComment,
    ControlMapping,
    ControlState,
    ControlStatus,
    Document,
    DocumentLink,
    Exemption,
    ExemptionState,
    Framework,
    Ticket,
    TicketLink,
)
from compliance.models.register import TAG_PREFIX


def record_checked(record: Control | Document, attrs: dict) -> dict:
    """The record's own rule (`clean_record`, as the pages and services ask it), its messages per field."""
    try:
        record.clean_record(**attrs)
    except ValidationError as refusal:
        raise serializers.ValidationError(refusal.message_dict) from refusal
    return attrs


def control_by_tag(tag: str) -> Control | None:
    """`iso27001-2022:A.8.20` or `ctrl:iso27001-2022:A.8.20` (Control.tag) -> the control, or None."""
    framework, _, ref = tag.removeprefix(TAG_PREFIX).partition(":")
    # PostgreSQL refuses NUL characters outright; no real reference has one, or is this long.
    if not framework or not ref or "\x00" in tag or len(tag) > 100:
        return None
    return Control.objects.select_related("framework").filter(framework__slug=framework, ref=ref).first()


@extend_schema_field({"type": "string", "example": "iso27001-2022:A.8.20"})
class ControlRefField(serializers.RelatedField):
    """A control named the way people write it: `framework:ref`, with or without the `ctrl:` of a ticket tag."""

    default_error_messages = {
        "unknown": "No control {tag!r}; write it as framework:ref, e.g. iso27001-2022:A.8.20.",
        "type": "A control reference is text such as iso27001-2022:A.8.20.",
    }

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Control.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Control:
        if not isinstance(data, str):
            self.fail("type")
        control = control_by_tag(data.strip())
        if control is None:
            self.fail("unknown", tag=data)
        return control

    def to_representation(self, control: Control) -> str:
        return f"{control.framework.slug}:{control.ref}"


class UsernameField(serializers.SlugRelatedField):
    """A person by username; shown as null when nobody (a webhook, a scan) or a deleted account."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        if kwargs.get("read_only"):
            kwargs.setdefault("allow_null", True)
        else:
            kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:  # PostgreSQL refuses NUL outright; no username has one
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)


class FrameworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Framework
        fields = ["slug", "name", "version", "description"]


class ControlStateSerializer(serializers.ModelSerializer):
    evidence_stale = serializers.SerializerMethodField()

    class Meta:
        model = ControlState
        fields = [
            "automated_status",
            "checks_passed",
            "checks_failed",
            "checks_errored",
            "automated_at",
            "evidence_count",
            "evidence_latest_at",
            "evidence_fresh_until",
            "evidence_stale",
        ]

    def get_evidence_stale(self, state: ControlState) -> bool:
        return derived.evidence_freshness(state, self.context.get("now")) == derived.STALE


class ControlSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tag = serializers.CharField(read_only=True)
    owner = UsernameField(read_only=True)
    state = ControlStateSerializer(read_only=True)
    active_exemptions = serializers.IntegerField(read_only=True)
    page_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Control
        fields = [
            "id",
            "framework",
            "ref",
            "tag",
            "title",
            "summary",
            "group",
            "attributes",
            "applicable",
            "justification",
            "status",
            "owner",
            "notes",
            "next_review",
            "updated_at",
            "state",
            "active_exemptions",
            "page_url",
        ]

    def to_representation(self, control: Control) -> dict:
        data = super().to_representation(control)
        if data["state"] is None:  # nothing has reported on the control yet: not automated, no evidence
            data["state"] = ControlStateSerializer(ControlState(), context=self.context).data
        return data


class ControlUpdateSerializer(serializers.Serializer):
    """The organisation's record of a control: the Statement of Applicability, status, owner and review."""

    applicable = serializers.BooleanField(required=False)
    justification = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ControlStatus.choices, required=False)
    owner = UsernameField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    next_review = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return record_checked(self.context["control"], attrs)


class MappingSerializer(serializers.ModelSerializer):
    source = ControlRefField(read_only=True)
    target = ControlRefField(read_only=True)

    class Meta:
        model = ControlMapping
        fields = ["id", "source", "target", "relation", "origin"]


class DocumentSerializer(serializers.ModelSerializer):
    owner = UsernameField(read_only=True)
    controls = ControlRefField(many=True, read_only=True, source="tagged_controls")
    page_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "kind",
            "url",
            "file",
            "version",
            "owner",
            "approved_at",
            "next_review",
            "controls",
            "created_at",
            "page_url",
        ]


class DocumentInputSerializer(serializers.ModelSerializer):
    owner = UsernameField(required=False, allow_null=True)

    class Meta:
        model = Document
        fields = ["title", "kind", "url", "version", "owner", "approved_at", "next_review"]

    def validate(self, attrs: dict) -> dict:
        return record_checked(self.instance or Document(), attrs)


class TicketSerializer(serializers.ModelSerializer):
    controls = ControlRefField(many=True, read_only=True, source="tagged_controls")
    page_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            *["id", "system", "key", "url", "title", "state"],
            *["last_synced_at", "controls", "created_at", "page_url"],
        ]


class TicketInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["system", "key", "url", "title", "state"]


class LinkSerializer(serializers.ModelSerializer):
    control = ControlRefField()
    linked_by = UsernameField(read_only=True)

    class Meta:
        fields = ["id", "control", "origin", "linked_by", "linked_at"]
        read_only_fields = ["origin", "linked_at"]
        # The services decide whether a link already exists; the unique constraint is theirs to honour.
        validators: list = []


class DocumentLinkSerializer(LinkSerializer):
    class Meta(LinkSerializer.Meta):
        model = DocumentLink
        fields = ["id", "document", *LinkSerializer.Meta.fields[1:]]


class TicketLinkSerializer(LinkSerializer):
    class Meta(LinkSerializer.Meta):
        model = TicketLink
        fields = ["id", "ticket", *LinkSerializer.Meta.fields[1:]]


class ExemptionSerializer(serializers.ModelSerializer):
    controls = ControlRefField(many=True, read_only=True, source="tagged_controls")
    requested_by = UsernameField(read_only=True)
    approved_by = UsernameField(read_only=True)
    revoked_by = UsernameField(read_only=True)
    state = serializers.ChoiceField(choices=ExemptionState.choices, read_only=True)
    replaces = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    last_day = serializers.DateField(
        read_only=True, help_text="The last day in force, as entered; expires_at is the instant after it."
    )

    class Meta:
        model = Exemption
        fields = [
            "id",
            "title",
            "controls",
            "reason",
            "compensating_measures",
            "state",
            "requested_by",
            "requested_at",
            "approved_by",
            "approved_at",
            "expires_at",
            "last_day",
            "revoked_by",
            "revoked_at",
            "replaces",
            "replaced_at",
        ]


class ExemptionProposalSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    control = serializers.ListField(child=ControlRefField(), min_length=1, help_text="One or more framework:ref.")
    reason = serializers.CharField()
    compensating_measures = serializers.CharField(required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(
        help_text="At most EXEMPTION_MAX_DAYS (366 by default) days on, to the end of that day."
    )
    replaces = serializers.PrimaryKeyRelatedField(
        queryset=Exemption.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of the approved exemption this proposal changes; it ends when this one is approved.",
    )


class ControlCommentSerializer(serializers.ModelSerializer):
    control = ControlRefField(read_only=True)
    author = UsernameField(read_only=True)
    mentions = serializers.ListField(child=serializers.CharField(), source="mentioned_usernames", read_only=True)

    class Meta:
        model = ControlComment
        fields = ["id", "control", "author", "body", "parent", "mentions", "created_at"]
        read_only_fields = ["parent"]


class ControlCommentInputSerializer(serializers.Serializer):
    """A question on a control, or a reply to a thread (`parent`); `@username` mentions tell that person."""

    control = ControlRefField()
    # Not trimmed nor capped here: control_comment_add refuses an empty or too long comment in the same words
    # on every path.
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    parent = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
