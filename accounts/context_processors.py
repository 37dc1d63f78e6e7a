from accounts import roles


def role(request):
    user = getattr(request, "user", None)
    return {
        "role": roles.role_of(user),
        "can_contribute": roles.can_contribute(user),
        "can_manage": roles.can_manage(user),
        "can_request_evidence": roles.can_request_evidence(user),
    }
