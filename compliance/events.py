"""The audit trail of workflow steps: one function that every service calls inside its own transaction.

Record history (django-simple-history) says what a row looked like after each change; an AuditEvent says
which step of a workflow happened (proposed, approved, superseded, granted), by whom and when, as Zulip's
`do_*` actions write a RealmAuditLog row with the change they make.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from accounts.models import Membership
from accounts.signals import people_event
from compliance.models import AuditEvent, AuditVerb


def audit_event_record(*, verb: AuditVerb, actor, subject: models.Model, **details) -> AuditEvent:
    """Append one event; `actor` is a person or None (a scan, a webhook, the system)."""
    return AuditEvent.objects.create(
        verb=verb,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        subject_label=str(subject)[:300],
        details=details,
    )


ROLE_VERBS = {"+": AuditVerb.ROLE_GRANTED, "~": AuditVerb.ROLE_CHANGED, "-": AuditVerb.ROLE_REMOVED}


@receiver(post_create_historical_record, sender=Membership.history.model)
def _role_event(sender, instance: Membership, history_instance, history_user, **kwargs) -> None:
    """Every save of a Membership (admin, demo, any code) is a role event; Membership.save is atomic, so the
    event commits with the change. `accounts` imports no app, so the core listens here."""
    before = history_instance.prev_record if history_instance.history_type == "~" else None
    if before is not None and (before.role, before.expires_at) == (instance.role, instance.expires_at):
        return
    details = {"role": instance.role, "expires_at": instance.expires_at}
    if before is not None:
        details["before"] = {"role": before.role, "expires_at": before.expires_at}
    audit_event_record(
        verb=ROLE_VERBS[history_instance.history_type], actor=history_user, subject=instance.user, **details
    )


@receiver(people_event)
def _people_event(sender, verb: str, actor, subject, details: dict, **kwargs) -> None:
    """Invitations and deactivations, sent by accounts.services inside their transaction."""
    audit_event_record(verb=AuditVerb(verb), actor=actor, subject=subject, **details)
