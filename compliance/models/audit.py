"""Workflow events (proposed, approved, superseded, package built, role granted): appended, never changed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from accounts import roles
from accounts.models import Role


class AuditVerb(models.TextChoices):
    EXEMPTION_PROPOSED = "exemption_proposed", "Exemption proposed"
    EXEMPTION_APPROVED = "exemption_approved", "Exemption approved"
    EXEMPTION_REVOKED = "exemption_revoked", "Exemption revoked"
    EXEMPTION_REPLACED = "exemption_replaced", "Exemption replaced"
    EVIDENCE_SUPERSEDED = "evidence_superseded", "Evidence superseded"
    AUDIT_PACKAGE_BUILT = "audit_package_built", "Audit package built"
    ROLE_GRANTED = "role_granted", "Role granted"
    ROLE_CHANGED = "role_changed", "Role changed"
    ROLE_REMOVED = "role_removed", "Role removed"
    CHECK_SETTING_CHANGED = "check_setting_changed", "Check setting changed"
    CHECK_SETTING_RESET = "check_setting_reset", "Check setting reset to its default"
    PERSON_INVITED = "person_invited", "Person invited"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    ACCOUNT_DEACTIVATED = "account_deactivated", "Account deactivated"
    COMMENT_ADDED = "comment_added", "Comment added"
    EVIDENCE_REQUESTED = "evidence_requested", "Evidence requested"
    EVIDENCE_REQUEST_ANSWERED = "evidence_request_answered", "Evidence request answered"
    EVIDENCE_REQUEST_WITHDRAWN = "evidence_request_withdrawn", "Evidence request withdrawn"


class AuditEventIsPermanent(Exception):
    """Audit events are appended, never changed or removed."""


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuditEventQuerySet:
        """The CISO and auditors read every event; an engineer the events they caused."""
        role = roles.role_of(user)
        if role in (Role.CISO, Role.AUDITOR):
            return self
        if role is not None:
            return self.filter(actor=user)
        return self.none()

    def update(self, **kwargs):
        raise AuditEventIsPermanent("Audit events cannot be updated.")

    def delete(self):
        raise AuditEventIsPermanent("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One workflow step an auditor asks about (who approved this exemption, who granted that role), written
    by `compliance.events.audit_event_record` in the transaction of the change itself. Append-only."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT, not SET_NULL: clearing the actor would rewrite a recorded event.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    verb = models.CharField(max_length=40, choices=AuditVerb.choices)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id"]), models.Index(fields=["verb", "at"])]

    def __str__(self) -> str:
        return f"{self.get_verb_display()}: {self.subject_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEventIsPermanent("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEventIsPermanent("Audit events cannot be deleted.")
