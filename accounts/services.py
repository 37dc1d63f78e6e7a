"""People: invitations, roles, expiry and deactivation. Every path (the People page, the admin, single sign-on)
changes a person's access through these functions, each atomic and writing its audit event in the same
transaction (role events through Membership's history, the others through `signals.people_event`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import signals
from accounts.models import Invitation, Membership, Role
from accounts.tokens import ApiToken, api_tokens_revoke

LAST_CISO = "ControlTrace must keep at least one active CISO: make someone else CISO first."
ALREADY_A_MEMBER = "{email} already has an account here: change their role in the list instead."
EXPIRY_IN_THE_PAST = "Access must end in the future."
LINK_INVALID = "This invitation link is not valid: it was changed, has expired, was used already or was revoked."
INVITATION_SALT = "accounts.invitation"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _event(verb: str, *, actor, subject, **details) -> None:
    signals.people_event.send(sender=Membership, verb=verb, actor=actor, subject=subject, details=details)


def _refuse_losing_last_ciso(membership: Membership | None, *, stays_ciso: bool) -> None:
    """The rule: a change that takes the CISO role (or the account) from the last active CISO is refused.

    The CISOs' rows are locked, so two CISOs demoting each other at once cannot both succeed."""
    if membership is None or stays_ciso:
        return
    cisos = list(Membership.objects.active_cisos().select_for_update().values_list("pk", flat=True))
    if cisos == [membership.pk]:
        raise ValidationError({"role": LAST_CISO})


def membership_change_refusal(membership: Membership | None, *, role: str | None, active: bool = True) -> str | None:
    """Why this change would be refused, for forms that show it before saving (the admin); None when allowed."""
    try:
        _refuse_losing_last_ciso(membership, stays_ciso=role == Role.CISO and active)
    except ValidationError as refusal:
        return refusal.messages[0]
    return None


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": EXPIRY_IN_THE_PAST})


@transaction.atomic
def membership_grant(*, user, role: str, expires_at: datetime | None = None, actor) -> Membership:
    """Give a person without a role one (a role event through Membership's history)."""
    _check_expiry(expires_at)
    membership = Membership(user=user, role=role, expires_at=expires_at)
    membership._history_user = actor
    membership.save()
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, expires_at: datetime | None, actor) -> Membership:
    """Set a person's role and the end of their access; refused if it leaves no active CISO."""
    if expires_at != membership.expires_at:
        _check_expiry(expires_at)  # so a CISO who stays CISO stays current: only the role can take it away
    _refuse_losing_last_ciso(membership, stays_ciso=role == Role.CISO)
    membership.role, membership.expires_at = role, expires_at
    membership._history_user = actor
    membership.save(update_fields=["role", "expires_at"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    """Take a person's role away (they keep their account, with no access)."""
    _refuse_losing_last_ciso(membership, stays_ciso=False)
    membership._history_user = actor
    membership.delete()


@transaction.atomic
def membership_deactivate(*, user, actor) -> None:
    """End an account now: it cannot sign in, its sessions end and its API tokens are revoked."""
    membership = Membership.objects.filter(user=user).first()
    _refuse_losing_last_ciso(membership, stays_ciso=False)
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked = api_tokens_revoke(tokens=ApiToken.objects.usable().filter(user=user), actor=actor)
    ended = _end_sessions(user)
    _event(signals.DEACTIVATED, actor=actor, subject=user, tokens_revoked=revoked, sessions_ended=ended)


def _end_sessions(user) -> int:
    """Delete the person's live sessions. Sessions are not indexed by user, so each live one is read: there are
    as many as people signed in, which is small for this app."""
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)


# --- Invitations ---------------------------------------------------------------------------------------------


@transaction.atomic
def membership_invite(
    *, email: str, role: str, access_expires_at: datetime | None = None, actor, link_for: Callable[[str], str]
) -> Invitation:
    """Email a one-time link to join with `role`. `link_for(token)` makes the absolute URL of the token.

    A new invitation to the same address replaces the open one. The email is sent inside the transaction: if it
    cannot be sent, no invitation is recorded and the CISO is told."""
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ALREADY_A_MEMBER.format(email=email)})
    _check_expiry(access_expires_at)
    now = timezone.now()
    for previous in Invitation.objects.open(now).filter(email=email).select_for_update():
        _invitation_close(previous, actor=actor, at=now)
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        access_expires_at=access_expires_at,
        digest=_digest(secret),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    invitation._history_user = actor
    invitation.save()
    _event(signals.INVITED, actor=actor, subject=invitation, role=role, access_expires_at=access_expires_at)
    token = signing.TimestampSigner(salt=INVITATION_SALT).sign(secret)
    context = {"invitation": invitation, "link": link_for(token), "inviter": actor, "days": settings.INVITATION_DAYS}
    send_mail(
        subject="You are invited to ControlTrace",
        message=render_to_string("accounts/invitation_email.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


def _invitation_close(invitation: Invitation, *, actor, at: datetime) -> None:
    invitation.revoked_at = at
    invitation._history_user = actor
    invitation.save(update_fields=["revoked_at"])
    _event(signals.INVITATION_REVOKED, actor=actor, subject=invitation)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    locked = Invitation.objects.open().select_for_update().filter(pk=invitation.pk).first()
    if locked is not None:
        _invitation_close(locked, actor=actor, at=timezone.now())
    return locked or invitation


def invitation_from_link(token: str) -> Invitation | None:
    """The open invitation a link names, or None: a changed or old signature, or a used, revoked or expired
    invitation, all look the same to whoever holds the link."""
    max_age = timedelta(days=settings.INVITATION_DAYS)
    try:
        secret = signing.TimestampSigner(salt=INVITATION_SALT).unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None
    return Invitation.objects.open().filter(digest=_digest(secret)).first()


@transaction.atomic
def invitation_accept(*, token: str, password: str):
    """Create the invited person's account with their password and role. A link works once: the invitation is
    locked and closed in the same transaction as the account is created."""
    found = invitation_from_link(token)
    invitation = found and Invitation.objects.open().select_for_update().filter(pk=found.pk).first()
    if invitation is None:
        raise ValidationError(LINK_INVALID)
    User = get_user_model()
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(ALREADY_A_MEMBER.format(email=invitation.email))
    user = User.objects.create_user(username=invitation.email, email=invitation.email, password=password)
    membership_grant(
        user=user, role=invitation.role, expires_at=invitation.access_expires_at, actor=invitation.invited_by
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation._history_user = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _event(signals.INVITATION_ACCEPTED, actor=user, subject=invitation, role=invitation.role)
    return user


# --- Single sign-on ------------------------------------------------------------------------------------------


@transaction.atomic
def membership_sync_from_sso(*, user, role: str | None) -> Membership | None:
    """Apply the role the identity provider's groups give, on every sign-in: granted, changed, or taken away
    (`role` None). The same rule as every other path: the last active CISO keeps the role."""
    membership = Membership.objects.filter(user=user).select_for_update().first()
    if role is None:
        if membership is not None:
            membership_remove(membership=membership, actor=None)
        return None
    if membership is None:
        return membership_grant(user=user, role=role, actor=None)
    if membership.role != role:
        membership_change_role(membership=membership, role=role, expires_at=membership.expires_at, actor=None)
    return membership
