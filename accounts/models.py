from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.tokens import ApiToken  # noqa: F401 - the token model lives beside the functions that use it


class Role(models.TextChoices):
    CISO = "ciso", "CISO"
    ENGINEER = "engineer", "Engineer"
    AUDITOR = "auditor", "Auditor"


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user) -> MembershipQuerySet:
        """The CISO sees everyone's role; anyone else only their own (the pages show nobody else's)."""
        from accounts import roles  # roles reads this module

        if roles.can_manage(user):
            return self
        return self.filter(user=user) if roles.can_view(user) else self.none()

    def active_cisos(self, at=None) -> MembershipQuerySet:
        """CISOs who can act now: account active, access not expired. There must always be one."""
        at = at or timezone.now()
        current = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=at)
        return self.filter(current, role=Role.CISO, user__is_active=True)


class Membership(models.Model):
    """A person's role in ControlTrace; auditors' access usually ends on a set date.

    Every grant, change and removal keeps a history row, and (through a receiver in the core) an audit event
    in the same transaction: save and delete are atomic so the three commit together.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=16, choices=Role.choices)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this moment the person can no longer see or do anything."
    )

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def save(self, *args, **kwargs):
        with transaction.atomic():
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            return super().delete(*args, **kwargs)

    @property
    def expired(self) -> bool:
        return self.expired_at(timezone.now())

    @property
    def last_day(self):
        """The last day of access, as the People page shows and takes it (access ends when that day ends)."""
        return access_last_day(self.expires_at)

    def expired_at(self, at) -> bool:
        """Access ends at `expires_at`; `current_membership` below is the same rule for querysets of people."""
        return self.expires_at is not None and self.expires_at <= at


def access_last_day(expires_at):
    if expires_at is None:
        return None
    return (timezone.localtime(expires_at) - timedelta(microseconds=1)).date()


def access_end(last_day):
    """Access given "until 20 December" ends when 20 December ends, in the app's time zone."""
    if last_day is None:
        return None
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def current_membership(at=None) -> models.Q:
    """A filter on users: their membership has not expired at `at` (now)."""
    at = at or timezone.now()
    return models.Q(membership__expires_at__isnull=True) | models.Q(membership__expires_at__gt=at)


class InvitationQuerySet(models.QuerySet):
    def open(self, at=None) -> InvitationQuerySet:
        """Links that can still be used: neither accepted nor revoked, and not past their end."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at or timezone.now())


class Invitation(models.Model):
    """A one-time link a CISO sends by email; opening it lets the person set a password and join with `role`.

    Only the SHA-256 of the link's secret is stored (the secret is 256 random bits, so a plain hash is enough):
    the database and its history never hold anything that could be used to join.
    """

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    access_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person's access will end (auditors, usually)."
    )
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="The link works until then.")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["digest"])
    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def last_day(self):
        return access_last_day(self.access_expires_at)

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "open"


class ExternalIdentity(models.Model):
    """Who a person is at the single sign-on provider: (issuer, subject) never changes, an email address may."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="one_person_per_external_identity")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
