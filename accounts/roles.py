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
| ask an owner for evidence | yes | no               | yes (the one write auditors get) |
| comment on a control | yes  | yes                   | yes (questions; the other write auditors get) |
| answer a request     | the person it is addressed to, while they may add evidence | | no |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.models import Membership, Role, current_membership

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
        try:
            membership = user.membership  # no query when loaded with select_related("membership")
        except Membership.DoesNotExist:
            membership = None
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


OWNER_ROLES = (Role.CISO, Role.ENGINEER)
OWNER_REFUSED = "An owner must be a CISO or an engineer whose access is current."


def can_own(user: User | None) -> bool:
    """Who may own a control or a document: someone who can do the work, today."""
    return role_of(user) in OWNER_ROLES


def owner_refusal(user: User | None, *, current_id: int | None = None) -> str | None:
    """Why `user` cannot be made an owner, or None. Nobody is allowed, and so is the owner already in place,
    so that a record whose owner has left can still be edited until someone is assigned."""
    if user is None or user.pk == current_id or can_own(user):
        return None
    return OWNER_REFUSED


def eligible_owners() -> QuerySet:
    """The people `can_own` accepts, as a queryset: the choices every form offers and the bulk paths check."""
    members = Q(membership__role__in=OWNER_ROLES) & current_membership()
    return get_user_model().objects.filter(members | Q(is_superuser=True), is_active=True).order_by("username")


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


def can_request_evidence(user: User | None) -> bool:
    """Ask a control's owner for evidence: the CISO and auditors. Opening a request (and commenting) is the one
    kind of write an auditor gets; it changes nothing in the register or the evidence."""
    return role_of(user) in (Role.CISO, Role.AUDITOR)


def can_comment(user: User | None) -> bool:
    """Ask or answer a question on a control: everyone with access, auditors included."""
    return can_view(user)


def can_answer_request(user: User | None, request) -> bool:
    """Only the person a request is addressed to answers it, and only while they may add evidence."""
    return can_contribute(user) and request.addressed_to_id == user.pk


def can_withdraw_request(user: User | None, request) -> bool:
    """The person who asked withdraws their request; the CISO withdraws any."""
    return can_manage(user) or (can_request_evidence(user) and request.asked_by_id == user.pk)
