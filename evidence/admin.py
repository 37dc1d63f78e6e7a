from django.contrib import admin

from accounts.admin_access import RoleAdminMixin
from evidence.models import AuditPackage, Evidence


@admin.register(Evidence)
class EvidenceAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Read-only: evidence is added through the pages or the API, and never edited."""

    list_display = ["title", "kind", "collected_at", "collected_by", "produced_by", "valid_until", "sha256"]
    list_filter = ["kind"]
    search_fields = ["title", "sha256"]
    list_select_related = ["collected_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditPackage)
class AuditPackageAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Read-only: packages are requested from the audit page and built by a task."""

    list_display = ["pk", "requested_by", "framework", "period_start", "period_end", "state", "created_at"]
    list_filter = ["state"]
    list_select_related = ["requested_by", "framework"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
