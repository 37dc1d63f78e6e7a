"""DRF permission built on accounts.roles: reads for every role, writes for contributors.

Views that need more (CISO only, owner only) narrow it with `write_check`.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import roles


class RolePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return roles.can_view(request.user)
        check = getattr(view, "write_check", roles.can_contribute)
        return check(request.user)


class ManagerOnly(RolePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return roles.can_view(request.user)
        return roles.can_manage(request.user)
