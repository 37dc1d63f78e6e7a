"""View decorators over accounts.roles; a refusal renders the 403 page that says why."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts import roles


def _requires(check: Callable, reason: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not roles.can_view(request.user):
                raise PermissionDenied("Your access to ControlTrace has no role or has expired.")
            if not check(request.user):
                raise PermissionDenied(reason)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


viewer_required = _requires(roles.can_view, "Your access to ControlTrace has no role or has expired.")
contributor_required = _requires(
    roles.can_contribute, "Only CISOs and engineers can change records; your role is read-only."
)
manager_required = _requires(roles.can_manage, "Only the CISO can do this.")
