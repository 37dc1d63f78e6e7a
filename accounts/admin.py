import axes.admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts import roles
from accounts.admin_access import ManagerAdminMixin
from accounts.models import Membership


@admin.register(Membership)
class MembershipAdmin(ManagerAdminMixin, SimpleHistoryAdmin):
    """Grants, changes and removals keep a history row and an audit event (see Membership.save)."""

    list_display = ["user", "role", "expires_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    allow_delete = True


# Sign-in lockouts (django-axes): who failed from where is for the CISO only. Deleting an attempt unlocks its
# username or address; the logs of sign-ins and failures are kept.
class SignInRecordAdminMixin(ManagerAdminMixin):
    def has_module_permission(self, request) -> bool:
        return roles.can_manage(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.can_manage(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


for model, axes_admin in [
    (AccessAttempt, axes.admin.AccessAttemptAdmin),
    (AccessFailureLog, axes.admin.AccessFailureLogAdmin),
    (AccessLog, axes.admin.AccessLogAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(
        model, type(axes_admin.__name__, (SignInRecordAdminMixin, axes_admin), {"allow_delete": model is AccessAttempt})
    )
