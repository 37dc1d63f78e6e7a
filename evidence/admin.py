from pathlib import PurePosixPath

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_access import RoleAdminMixin
from evidence.models import AuditPackage, Evidence


@admin.register(Evidence)
class EvidenceAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Read-only: evidence is added through the pages or the API, and never edited."""

    list_display = ["title", "kind", "collected_at", "collected_by", "produced_by", "valid_until", "sha256"]
    list_filter = ["kind"]
    search_fields = ["title", "sha256"]
    list_select_related = ["collected_by"]
    # The stored file is linked through its verified download, never its media URL.
    exclude = ["file"]
    readonly_fields = ["stored_file"]

    @admin.display(description="File")
    def stored_file(self, item: Evidence) -> str:
        if not item.file:
            return "—"
        name = PurePosixPath(item.file.name).name
        return format_html('<a href="{}">{}</a>', reverse("evidence-download", args=[item.pk]), name)

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
    exclude = ["file"]
    readonly_fields = ["stored_file"]

    @admin.display(description="File")
    def stored_file(self, package: AuditPackage) -> str:
        if not package.file:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("audit-package-download", args=[package.pk]), package.download_name
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
