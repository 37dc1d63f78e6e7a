"""The one permission layer: pages, the admin, the API and tasks all ask here.

| action               | CISO | Engineer              | Auditor |
|----------------------|------|-----------------------|---------|
| view anything        | yes  | yes                   | yes (until access expires) |
| edit a control       | yes  | controls they own     | no      |
| link docs/tickets    | yes  | yes                   | no      |
| add evidence         | yes  | yes                   | no      |
| propose exemption    | yes  | yes                   | no      |
| approve/revoke       | yes (not their own proposal, unless EXEMPTION_SELF_APPROVAL) | no | no |
| manage (bulk, import, accounts, scans) | yes | no    | no      |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from accounts.models import Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def role_of(user: User | None) -> Role | None:
    """The user's role now, or None (anonymous, inactive, no membership, or access expired)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_controltrace_role", False)
    if cached is not False:
        return cached
    if user.is_superuser:
        role: Role | None = Role.CISO
    else:
        membership = Membership.objects.filter(user=user).first()
        role = Role(membership.role) if membership and not membership.expired else None
    user._controltrace_role = role
    return role


def can_view(user: User | None) -> bool:
    return role_of(user) is not None


def can_contribute(user: User | None) -> bool:
    """Link documents and tickets, add evidence, propose exemptions."""
    return role_of(user) in (Role.CISO, Role.ENGINEER)


def can_manage(user: User | None) -> bool:
    """Bulk changes, imports, exemption approval, cloud accounts and scans."""
    return role_of(user) == Role.CISO


def can_edit_control(user: User | None, control) -> bool:
    role = role_of(user)
    if role == Role.CISO:
        return True
    return role == Role.ENGINEER and control.owner_id == user.pk


def can_approve_exemption(user: User | None, exemption) -> bool:
    """Four eyes: the CISO approves what others propose; their own proposals only when the setting allows."""
    if not can_manage(user):
        return False
    return settings.EXEMPTION_SELF_APPROVAL or exemption.requested_by_id != user.pk
