"""The admin asks accounts.roles like every page: the CISO manages accounts, everyone else reads."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_access import ManagerAdminMixin, RoleAdminMixin
from scanners.forms import CheckSettingAdminForm, CloudAccountAdminForm
from scanners.models import CheckSetting, CheckStatus, CloudAccount, Finding, Resource, ScanRun, ScanUnit
from scanners.services import (
    check_setting_change,
    check_setting_reset,
    cloud_account_schedule_set,
    schedule_describe,
)


@admin.register(CloudAccount)
class CloudAccountAdmin(ManagerAdminMixin, SimpleHistoryAdmin):
    """No credentials here: scans assume the role, or use the workers' default credential chain."""

    form = CloudAccountAdminForm
    list_display = ["name", "account_id", "regions", "enabled", "schedule_text", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["name", "account_id"]
    list_select_related = ["schedule__crontab", "schedule__interval"]
    readonly_fields = ["periodic_task"]

    @admin.display(description="Schedule")
    def schedule_text(self, obj) -> str:
        return schedule_describe(obj.schedule) or "manual only"

    @admin.display(description="Periodic task")
    def periodic_task(self, obj) -> str:
        if not obj.schedule_id:
            return "—"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.schedule_id])
        return format_html('<a href="{}">{}</a>', url, obj.schedule.name)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("A cloud account's history is read-only: a revert would bypass its schedule.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        obj.regions = form.cleaned_data["regions_text"]
        super().save_model(request, obj, form, change)
        cloud_account_schedule_set(account=obj, schedule=form.cleaned_data["schedule_text"], actor=request.user)


class ReadOnlyAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Scan records are written by scans only: the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ScanUnitInline(admin.TabularInline):
    model = ScanUnit
    extra = 0
    fields = ["service", "region", "state", "attempts", "resources_seen", "errors"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return True


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "account", "state", "trigger", "triggered_by", "created_at", "finished_at", "units_done"]
    list_filter = ["state", "trigger", "account"]
    list_select_related = ["account", "triggered_by"]
    inlines = [ScanUnitInline]


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ["uid", "type", "region", "name", "account", "first_seen", "last_seen", "gone_at"]
    list_filter = ["type", "region", "account", "placeholder"]
    search_fields = ["uid", "name"]
    list_select_related = ["account"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["check_id", "resource", "region", "status", "run"]
    list_filter = ["status", "check_id"]
    search_fields = ["check_id", "resource__uid"]
    list_select_related = ["resource", "run__account"]
    raw_id_fields = ["run", "resource"]


@admin.register(CheckStatus)
class CheckStatusAdmin(ReadOnlyAdmin):
    list_display = ["check_id", "resource", "region", "status", "account", "checked_at"]
    list_filter = ["status", "check_id", "account"]
    search_fields = ["check_id", "resource__uid"]
    list_select_related = ["resource", "account"]
    raw_id_fields = ["run", "resource"]


@admin.register(ScanUnit)
class ScanUnitAdmin(ReadOnlyAdmin):
    list_display = ["run", "service", "region", "state", "attempts", "resources_seen", "claimed_at", "finished_at"]
    list_filter = ["state", "service"]
    list_select_related = ["run__account"]


@admin.register(CheckSetting)
class CheckSettingAdmin(ManagerAdminMixin, SimpleHistoryAdmin):
    """Every change and deletion (a reset to the default) goes through the check settings service."""

    form = CheckSettingAdminForm
    list_display = ["account", "check_id", "key", "value", "changed_by", "changed_at"]
    list_filter = ["account", "check_id"]
    search_fields = ["check_id", "key"]
    list_select_related = ["account", "changed_by"]
    allow_delete = True

    def get_readonly_fields(self, request, obj=None):
        return ["account", "check_id", "key", "changed_by", "changed_at"] if obj else ["changed_by", "changed_at"]

    def save_model(self, request, obj, form, change):
        saved = check_setting_change(
            account=obj.account,
            check_id=obj.check_id,
            key=obj.key,
            value=form.cleaned_data["value"],
            actor=request.user,
        )
        obj.pk = saved.pk  # the admin's messages and redirect name the row the service wrote

    def delete_model(self, request, obj):
        check_setting_reset(account=obj.account, check_id=obj.check_id, key=obj.key, actor=request.user)

    def delete_queryset(self, request, queryset):
        for row in queryset.select_related("account"):
            self.delete_model(request, row)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Change a check setting through its form: a revert would bypass the check's rule.")
        return super().history_form_view(request, object_id, version_id, extra_context)
