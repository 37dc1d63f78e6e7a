"""The admin asks the same role layer as the pages and the API."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied

from accounts import roles


def visible_rows(queryset, user):
    """What the admin lists for this person: the same queryset rule the pages and the API use."""
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(user)
    return queryset if roles.can_view(user) else queryset.none()


class RoleAdminMixin:
    """Every role can view; `write_check` (contributors by default) decides changes.

    Deleting through the admin is off unless the admin class allows it: registers keep their history.
    """

    write_check = staticmethod(roles.can_contribute)
    allow_delete = False

    def get_queryset(self, request):
        """The rows the pages and the API show this person: the model's `visible_to` where it has one;
        otherwise the rows are open to every role, as the register and the catalog are on the pages."""
        return visible_rows(super().get_queryset(request), request.user)

    def has_module_permission(self, request) -> bool:
        return roles.can_view(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.can_view(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return self.write_check(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.write_check(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.allow_delete and roles.can_manage(request.user)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """django-simple-history saves a POSTed historical version ("revert") with only the *view*
        permission; a revert is a change, so it must pass the change check like any other edit."""
        if request.method == "POST" and not self.has_change_permission(
            request, self.get_object(request, unquote(object_id))
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ManagerAdminMixin(RoleAdminMixin):
    write_check = staticmethod(roles.can_manage)
