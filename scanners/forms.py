import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from scanners.checks import base as checks
from scanners.models import CheckSetting, CloudAccount, FindingStatus, Provider
from scanners.services import (
    GITHUB_REGIONS,
    check_setting_validate,
    regions_parse,
    schedule_describe,
    schedule_validate,
)
from scanners.verdict import Speaks, checks_deciding_for


class FindingFilterForm(forms.Form):
    """Filters of the latest findings page; every field is optional and narrows the list."""

    check = forms.ChoiceField(required=False)
    resource = forms.CharField(required=False, max_length=200, label="Resource contains")
    region = forms.CharField(required=False, max_length=40)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *FindingStatus.choices])
    account = forms.ModelChoiceField(required=False, queryset=CloudAccount.objects.all(), empty_label="Any account")
    control = forms.CharField(
        required=False, max_length=80, label="Control", help_text="framework:ref, e.g. iso27001-2022:A.8.20"
    )
    group = forms.ChoiceField(
        required=False,
        label="Show",
        choices=[("", "One row per result"), ("check", "Grouped by check"), ("resource", "Grouped by resource")],
    )

    def __init__(self, *args, checks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.speaks: dict[str, Speaks] = {}  # with a control filter: the checks that speak for it, and why
        self.fields["check"].choices = [("", "Any check")] + [(c.id, f"{c.id}: {c.title}") for c in checks]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["check"]:
            queryset = queryset.filter(check_id=data["check"])
        if data["resource"]:
            queryset = queryset.filter(resource__uid__icontains=data["resource"])
        if data["region"]:
            queryset = queryset.filter(region=data["region"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["account"]:
            queryset = queryset.filter(account=data["account"])
        if data["control"]:
            self.speaks = checks_deciding_for(data["control"])
            queryset = queryset.filter(check_id__in=list(self.speaks))
        return queryset


class ResourceFilterForm(forms.Form):
    """Filters of the inventory; every field is optional and narrows the list."""

    search = forms.CharField(required=False, max_length=200, label="Name or uid contains")
    account = forms.ModelChoiceField(required=False, queryset=CloudAccount.objects.all(), empty_label="Any account")
    type = forms.ChoiceField(required=False)
    region = forms.CharField(required=False, max_length=40)
    present = forms.ChoiceField(
        required=False, label="Seen", choices=[("", "Present or gone"), ("yes", "Present"), ("no", "Gone")]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The types the checks judge, from the registry: listing the table's own types would read every row.
        types = sorted({check.resource_type for check in checks.all_checks()})
        self.fields["type"].choices = [("", "Any type"), *((kind, kind) for kind in types)]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["search"]:
            queryset = queryset.filter(Q(uid__icontains=data["search"]) | Q(name__icontains=data["search"]))
        if data["account"]:
            queryset = queryset.filter(account=data["account"])
        if data["type"]:
            queryset = queryset.filter(type=data["type"])
        if data["region"]:
            queryset = queryset.filter(region=data["region"])
        if data["present"]:
            queryset = queryset.filter(gone_at__isnull=data["present"] == "yes")
        return queryset


class CloudAccountAdminForm(forms.ModelForm):
    """Regions and schedule typed as on the command line; the service turns them into rows."""

    regions_text = forms.CharField(
        label="Regions",
        help_text="r1,r2 (the first is home to global services such as IAM), or all; global for a GitHub organisation.",
    )
    schedule_text = forms.CharField(
        label="Schedule",
        required=False,
        help_text='Five cron fields ("0 3 * * *") or a number of hours ("6h"); blank for manual scans only.',
    )

    class Meta:
        model = CloudAccount
        fields = ["name", "provider", "account_id", "role_arn", "external_id", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["regions_text"].initial = ",".join(self.instance.regions)
            self.fields["schedule_text"].initial = schedule_describe(self.instance.schedule)

    def clean_regions_text(self) -> list[str]:
        if self.cleaned_data.get("provider") == Provider.GITHUB:
            return GITHUB_REGIONS  # an organisation has no regions; its groups run once
        return regions_parse(self.cleaned_data["regions_text"])

    def clean_schedule_text(self) -> str:
        text = self.cleaned_data["schedule_text"].strip()
        if text:
            schedule_validate(text)
        return text


TRUE_WORDS, FALSE_WORDS = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def setting_value_from_text(check_id: str, key: str, text: str):
    """The typed text as the setting's kind where it reads as one; else the text itself, so that the
    service refuses it with the same message as a wrong value sent through the API."""
    check = checks.REGISTRY.get(check_id)
    setting = check.settings.get(key) if check else None
    text = text.strip()
    if setting is None or setting.kind is str:
        return text
    if setting.kind is int:
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if setting.kind is bool:
        word = text.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else text
    items = [item.strip() for item in text.split(",") if item.strip()]
    if checks.list_item_kinds(setting) == (int,):
        return [int(item) if re.fullmatch(r"-?\d+", item) else item for item in items]
    return items


def setting_value_as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


class CheckSettingForm(forms.Form):
    """One setting's new value for an account, typed as text (lists comma-separated); the service judges it."""

    check_id = forms.CharField(max_length=100, widget=forms.HiddenInput)
    key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    value = forms.CharField(required=False, max_length=2000, help_text="Lists: comma-separated.")

    def typed_value(self):
        data = self.cleaned_data
        return setting_value_from_text(data["check_id"], data["key"], data["value"])


class CheckSettingAdminForm(forms.ModelForm):
    """The admin's add and change form; `value` is typed as on the page and judged by the same service."""

    value = forms.CharField(required=False, max_length=2000, help_text="Lists: comma-separated.")

    class Meta:
        model = CheckSetting
        fields = ["account", "check_id", "key"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "check_id" in self.fields:
            declaring = [check.id for check in checks.all_checks() if check.settings]
            self.fields["check_id"].widget = forms.Select(choices=[(check_id, check_id) for check_id in declaring])
        if self.instance.pk:
            self.fields["value"].initial = setting_value_as_text(self.instance.value)

    def clean(self):
        data = super().clean()
        check_id = data.get("check_id", self.instance.check_id)
        key = data.get("key", self.instance.key)
        if check_id and key:
            data["value"] = setting_value_from_text(check_id, key, data.get("value") or "")
            try:
                account = data.get("account") or getattr(self.instance, "account", None)
                check_setting_validate(account=account, check_id=check_id, key=key, value=data["value"])
            except ValidationError as refusal:
                self.add_error(None, refusal)
        return data
