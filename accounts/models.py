from __future__ import annotations

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

    def expired_at(self, at) -> bool:
        """Access ends at `expires_at`; `current_membership` below is the same rule for querysets of people."""
        return self.expires_at is not None and self.expires_at <= at


def current_membership(at=None) -> models.Q:
    """A filter on users: their membership has not expired at `at` (now)."""
    at = at or timezone.now()
    return models.Q(membership__expires_at__isnull=True) | models.Q(membership__expires_at__gt=at)
