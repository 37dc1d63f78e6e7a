"""Personal API tokens for automation: several per person, each named, expiring and revocable.

Only the SHA-256 of a token's secret is stored. The secret is shown once, when the token is created;
losing it means revoking the token and creating another. A token acts with its owner's role, so an
auditor's token reads and never writes, and a token stops working the moment its owner's access ends.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

SECRET_PREFIX = "ct_"
# A person can see which token is which without the secret: `ct_` and the first characters of it.
SHOWN_CHARS = 8
# Writing last_used_at on every request would turn every API read into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


def secret_digest(secret: str) -> str:
    # A plain hash is enough: the secret is 256 random bits, not a password that could be guessed.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, at: datetime | None = None) -> ApiTokenQuerySet:
        at = at or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at), revoked_at__isnull=True)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. `CI evidence upload`.")
    prefix = models.CharField(max_length=20, help_text="The first characters of the secret, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret; the secret is not kept.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Who created and who revoked which token; the digest stays out of the history (and last_used_at, which
    # changes on use), so the history never holds anything that could authenticate.
    history = HistoricalRecords(excluded_fields=["digest", "last_used_at"])
    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        app_label = "accounts"
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the person once; never stored


@transaction.atomic
def api_token_create(*, user, name: str, expires_at: datetime | None = None, actor=None) -> IssuedToken:
    """`actor` is who creates it when not its owner (a command run by an operator names none)."""
    if not name.strip():
        raise ValueError("A token needs a name that says what uses it.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValueError("A token must expire in the future.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=secret[: len(SECRET_PREFIX) + SHOWN_CHARS],
        digest=secret_digest(secret),
        expires_at=expires_at,
    )
    token._history_user = actor if actor is not None else user
    token.save()
    return IssuedToken(token=token, secret=secret)


@transaction.atomic(durable=True)
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Idempotent: revoking twice keeps the first moment and who did it."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        _revoke(locked, actor=actor)
    token.revoked_at, token.revoked_by = locked.revoked_at, locked.revoked_by
    return token


def api_tokens_revoke(*, tokens: ApiTokenQuerySet, actor) -> int:
    """Revoke several at once inside the caller's transaction (an account being deactivated); returns how many."""
    locked = list(tokens.filter(revoked_at__isnull=True).select_for_update())
    for token in locked:
        _revoke(token, actor=actor)
    return len(locked)


def _revoke(token: ApiToken, *, actor) -> None:
    token.revoked_at, token.revoked_by = timezone.now(), actor
    token._history_user = actor
    token.save(update_fields=["revoked_at", "revoked_by"])


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret, its user loaded; records when it was last used."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    now = timezone.now()
    token = ApiToken.objects.usable(now).select_related("user").filter(digest=secret_digest(secret)).first()
    if token is None:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        # A conditional update: concurrent requests with the same token write at most once a minute.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
