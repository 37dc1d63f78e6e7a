from accounts import roles
from accounts.sso import sso_enabled


def role(request):
    user = getattr(request, "user", None)
    return {
        "role": roles.role_of(user),
        "can_contribute": roles.can_contribute(user),
        "can_manage": roles.can_manage(user),
        "sso_enabled": sso_enabled(),
        "can_request_evidence": roles.can_request_evidence(user),
    }
