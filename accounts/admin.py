from django.contrib import admin

from accounts.admin_access import ManagerAdminMixin
from accounts.models import Membership


@admin.register(Membership)
class MembershipAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "expires_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    allow_delete = True
