import axes.admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from accounts import roles, services
from accounts.admin_access import ManagerAdminMixin
from accounts.models import Membership


class MembershipAdminForm(forms.ModelForm):
    """The rule every path shares (at least one active CISO) is shown here before anything is saved."""

    class Meta:
        model = Membership
        fields = ["user", "role", "expires_at"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and "role" in data:
            refusal = services.membership_change_refusal(
                Membership.objects.get(pk=self.instance.pk), role=data["role"], active=not _ended(data)
            )
            if refusal:
                self.add_error("role", refusal)
        return data


def _ended(data: dict) -> bool:
    expires_at = data.get("expires_at")
    return expires_at is not None and expires_at <= timezone.now()


@admin.register(Membership)
class MembershipAdmin(ManagerAdminMixin, SimpleHistoryAdmin):
    """Grants, changes and removals go through accounts.services, as on the People page: each keeps a
    history row and an audit event, and none may leave ControlTrace without an active CISO."""

    form = MembershipAdminForm
    list_display = ["user", "role", "expires_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    allow_delete = True

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.membership_change_role(
                membership=Membership.objects.get(pk=obj.pk),
                role=data["role"],
                expires_at=data["expires_at"],
                actor=request.user,
            )
        else:
            saved = services.membership_grant(
                user=data["user"], role=data["role"], expires_at=data["expires_at"], actor=request.user
            )
        obj.pk, obj._state.adding = saved.pk, False

    def delete_view(self, request, object_id, extra_context=None):
        membership = self.get_object(request, object_id)
        refusal = membership and services.membership_change_refusal(membership, role=None)
        if request.method == "POST" and refusal:
            self.message_user(request, f"{membership}: {refusal}", messages.ERROR)
            return redirect("admin:accounts_membership_change", membership.pk)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user"):
            try:
                services.membership_remove(membership=membership, actor=request.user)
            except ValidationError as refusal:
                self.message_user(request, f"{membership}: {' '.join(refusal.messages)}", messages.ERROR)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A revert would save the old row directly, past the services: roles are changed in the form."""
        if request.method == "POST":
            raise PermissionDenied("Change the role in the form (or on the People page), not by reverting.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class PersonAdmin(UserAdmin):
    """Django's user admin (superusers only), with deactivation through membership_deactivate: the account's
    sessions end and its API tokens are revoked, and the last active CISO cannot be deactivated."""

    actions = ["deactivate"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "is_active"] if obj else fields

    @admin.action(description="Deactivate the selected accounts")
    def deactivate(self, request, queryset):
        for person in queryset:
            try:
                services.membership_deactivate(user=person, actor=request.user)
            except ValidationError as refusal:
                self.message_user(request, f"{person}: {' '.join(refusal.messages)}", messages.ERROR)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PersonAdmin)


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
