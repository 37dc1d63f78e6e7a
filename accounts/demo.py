"""The demo people of `make run`: one per role, with fresh passwords printed on every start."""

import secrets

from django.contrib.auth import get_user_model

from accounts.models import Membership, Role
from accounts.services import membership_change_role, membership_grant

DEMO_PEOPLE = [
    ("ciso", Role.CISO, "Casey CISO"),
    ("engineer", Role.ENGINEER, "Eli Engineer"),
    ("auditor", Role.AUDITOR, "Ada Auditor"),
]


def demo_users_reset() -> dict[str, str]:
    """Create or refresh the demo users; returns username -> new password."""
    User = get_user_model()
    passwords = {}
    for username, role, full_name in DEMO_PEOPLE:
        first, last = full_name.split(" ", 1)
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.is_staff = True  # every role may open the admin; it asks accounts.roles what each may do
        user.save()
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            membership_grant(user=user, role=role, actor=None)
        elif (membership.role, membership.expires_at) != (role, None):
            membership_change_role(membership=membership, role=role, expires_at=None, actor=None)
        passwords[username] = password
    return passwords
