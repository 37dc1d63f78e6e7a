"""What accounts tells the rest of the app. `accounts` imports no other app, so the audit trail (in the core)
listens here: a receiver of `people_event` writes the AuditEvent in the sender's transaction."""

from django.dispatch import Signal

# Sent with verb (an AuditVerb value), actor (a person or None), subject (a model instance) and details (dict).
people_event = Signal()

INVITED = "person_invited"
INVITATION_REVOKED = "invitation_revoked"
INVITATION_ACCEPTED = "invitation_accepted"
DEACTIVATED = "account_deactivated"
