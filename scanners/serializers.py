"""API shapes of the scanners: cloud accounts (never a credential), scan runs, check results and the inventory."""

from __future__ import annotations

import re

from celery.schedules import ParseException
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.serializers import UsernameField
from scanners.checks.base import SEVERITIES
from scanners.models import CheckStatus, CloudAccount, Finding, Resource, RunState, ScanRun
from scanners.services import HOURS_PATTERN, regions_parse, schedule_describe, schedule_validate

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
MAX_SCHEDULE_HOURS = 24 * 366  # a longer interval is a typo, and would not fit the schedule's integer column


class CloudAccountSerializer(serializers.ModelSerializer):
    schedule = serializers.SerializerMethodField(help_text='Cron fields or "<n>h"; blank: manual scans only.')
    last_run = serializers.IntegerField(source="last_run_id", read_only=True, allow_null=True)
    last_run_state = serializers.ChoiceField(choices=RunState.choices, read_only=True, allow_null=True)

    class Meta:
        model = CloudAccount
        fields = [
            *["id", "name", "provider", "account_id", "role_arn", "external_id", "regions", "enabled"],
            *["schedule", "created_at", "last_run", "last_run_state"],
        ]

    def get_schedule(self, account: CloudAccount) -> str:
        return schedule_describe(account.schedule)


class CloudAccountInputSerializer(serializers.ModelSerializer):
    """What a CISO may set. Scans assume `role_arn` or use the workers' default chain: there is no key field."""

    regions = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        max_length=40,
        help_text='Region names, the first being home to global services (IAM), or ["all"].',
    )
    schedule = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text='Five cron fields ("0 3 * * *") or hours ("6h").'
    )

    class Meta:
        model = CloudAccount
        fields = ["name", "role_arn", "external_id", "regions", "enabled", "schedule"]

    def validate_regions(self, regions: list[str]) -> list[str]:
        try:
            return regions_parse(regions)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_role_arn(self, arn: str) -> str:
        if arn and not ROLE_ARN.match(arn):
            raise serializers.ValidationError("An IAM role ARN: arn:aws:iam::<12 digits>:role/<name>.")
        return arn

    def validate_schedule(self, text: str) -> str:
        text = text.strip()
        if not text:
            return text
        hours = HOURS_PATTERN.match(text)
        if hours and int(hours.group(1)) > MAX_SCHEDULE_HOURS:
            raise serializers.ValidationError(f"Scan at least once a year: at most {MAX_SCHEDULE_HOURS}h.")
        try:
            schedule_validate(text)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        except ParseException as exc:  # celery's cron parser raises its own type for text it cannot read
            raise serializers.ValidationError(f"Not a valid cron schedule: {text!r} ({exc})") from exc
        return text


class ScanRunSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="name", read_only=True)
    triggered_by = UsernameField(read_only=True)
    percent_done = serializers.IntegerField(read_only=True)
    page_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = ScanRun
        fields = [
            *["id", "account", "state", "trigger", "triggered_by", "created_at", "started_at", "finished_at"],
            *["units_done", "units_total", "percent_done", "errors", "check_settings", "page_url"],
        ]


class ResourceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Resource
        fields = ["id", "uid", "type", "name"]


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "remediation": {"type": "string"},
            "controls": {"type": "array", "items": {"type": "string", "example": "iso27001-2022:A.8.20"}},
        },
    }
)
class CheckField(serializers.Field):
    """The check as declared in code; null for a result of a check that no longer exists."""

    def __init__(self, **kwargs):
        super().__init__(source="check_id", read_only=True, **kwargs)

    def to_representation(self, check_id: str) -> dict | None:
        check = self.context["checks"].get(check_id)
        if check is None:
            return None
        return {
            "id": check.id,
            "title": check.title,
            "severity": check.severity,
            "remediation": check.remediation,
            "controls": list(check.controls),
        }


class CheckResultSerializer(serializers.ModelSerializer):
    """The shared shape of a latest result and of a finding of one run."""

    check_id = serializers.CharField(read_only=True)
    check = CheckField()
    account = serializers.SlugRelatedField(slug_field="name", read_only=True)
    resource = ResourceSummarySerializer(read_only=True)
    why = serializers.SerializerMethodField(
        help_text="With ?control=: why the result concerns that control, `check names this control` or "
        "`through A.8.20 (equal)`; null without a control filter."
    )

    class Meta:
        fields = ["check_id", "check", "account", "resource", "region", "status", "reason", "run", "why"]

    def get_why(self, result) -> str | None:
        speaks = (self.context.get("speaks") or {}).get(result.check_id)
        return speaks.why if speaks else None


class LatestResultSerializer(CheckResultSerializer):
    class Meta(CheckResultSerializer.Meta):
        model = CheckStatus
        fields = ["id", *CheckResultSerializer.Meta.fields, "checked_at"]


class RunFindingSerializer(CheckResultSerializer):
    account = serializers.SlugRelatedField(source="run.account", slug_field="name", read_only=True)

    class Meta(CheckResultSerializer.Meta):
        model = Finding
        fields = ["id", *CheckResultSerializer.Meta.fields, "details"]


class ResourceSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="name", read_only=True)
    gone = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            *["id", "account", "uid", "type", "region", "name", "tags", "placeholder"],
            *["first_seen", "last_seen", "gone", "gone_at"],
        ]

    def get_gone(self, resource: Resource) -> bool:
        return resource.gone_at is not None


class ResourceDetailSerializer(ResourceSerializer):
    class Meta(ResourceSerializer.Meta):
        fields = [*ResourceSerializer.Meta.fields, "config"]


class CheckSettingInputSerializer(serializers.Serializer):
    """One setting's new value for the account; the value as JSON of the setting's kind (7, true, [22, 443])."""

    check_id = serializers.CharField(max_length=100)
    key = serializers.CharField(max_length=100)
    value = serializers.JSONField(help_text="Of the setting's kind: a whole number, true/false, text or a list.")


class CheckSettingResetSerializer(serializers.Serializer):
    check_id = serializers.CharField(max_length=100)
    key = serializers.CharField(max_length=100)


class CheckSettingStateSerializer(serializers.Serializer):
    """A check setting as the account's scans judge with it."""

    check_id = serializers.CharField()
    check_title = serializers.CharField(source="check.title", default=None, allow_null=True)
    key = serializers.CharField()
    help = serializers.CharField(source="setting.help", default=None, allow_null=True)
    value = serializers.JSONField(help_text="The account's value where one is set, else the default.")
    default = serializers.JSONField(allow_null=True, help_text="Null when the check no longer declares the setting.")
    overridden = serializers.BooleanField(help_text="True when the CISO set a value for this account.")
    changed_by = serializers.CharField(source="stored.changed_by", default=None, allow_null=True)
    changed_at = serializers.DateTimeField(source="stored.changed_at", default=None, allow_null=True)
    problem = serializers.CharField(help_text="Why the stored value cannot be judged with; blank when it can.")
