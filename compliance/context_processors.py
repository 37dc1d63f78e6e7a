from functools import cache

from accounts import roles
from compliance.inbox import inbox_total


def inbox(request) -> dict:
    """The navigation's "Inbox (N)": one query, run only when a page's layout shows it (never for a fragment)."""
    user = getattr(request, "user", None)
    if not roles.can_view(user):
        return {}
    return {"inbox_count": cache(lambda: inbox_total(user))}
