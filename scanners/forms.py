from django import forms

from scanners.models import CloudAccount, FindingStatus, Provider
from scanners.services import GITHUB_REGIONS, regions_parse, schedule_describe, schedule_validate
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
