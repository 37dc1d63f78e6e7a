from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_access import ManagerAdminMixin
from accounts.models import Membership


@admin.register(Membership)
class MembershipAdmin(ManagerAdminMixin, SimpleHistoryAdmin):
    """Grants, changes and removals keep a history row and an audit event (see Membership.save)."""

    list_display = ["user", "role", "expires_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    allow_delete = True
