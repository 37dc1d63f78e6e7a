"""The catalog (frameworks, controls, cross-mappings) and the organisation's register around it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts import roles
from accounts.models import Role


class Framework(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    version = models.CharField(max_length=40)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Where it is listed: current editions first.")

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name


class ControlStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


SOA_FIELDS = ("applicable", "justification", "status")
NEEDS_JUSTIFICATION = "Excluding a control from the Statement of Applicability needs a justification."
EXCLUDED_STATUS = "A control excluded from the Statement of Applicability has the status “Not applicable”."
APPLICABLE_STATUS = (
    "Only a control excluded from the Statement of Applicability is “Not applicable”: "
    "exclude it and give the justification."
)


class ControlQuerySet(models.QuerySet):
    def visible_to(self, user) -> ControlQuerySet:
        return self if roles.can_view(user) else self.none()

    def editable_by(self, user) -> ControlQuerySet:
        role = roles.role_of(user)
        if role == Role.CISO:
            return self
        if role == Role.ENGINEER:
            return self.filter(owner=user)
        return self.none()

    def in_framework(self, slug: str) -> ControlQuerySet:
        return self.filter(framework__slug=slug)


class Control(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="controls")
    ref = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Our own one-sentence summary, never the standard's text.")
    group = models.CharField(max_length=120, help_text="Theme (ISO 2022), clause (ISO 2013) or series (SOC 2).")
    attributes = models.JSONField(default=dict, blank=True)
    sort_key = models.CharField(max_length=40, editable=False, db_index=True)

    # The organisation's record of the control: the Statement of Applicability and its state.
    applicable = models.BooleanField(default=True)
    justification = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ControlStatus.choices, default=ControlStatus.NOT_STARTED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_controls"
    )
    notes = models.TextField(blank=True)
    next_review = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["sort_key", "updated_at"])
    objects = ControlQuerySet.as_manager()

    class Meta:
        ordering = ["framework__position", "sort_key"]
        constraints = [models.UniqueConstraint(fields=["framework", "ref"], name="control_unique_ref")]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["framework", "group"])]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def save(self, *args, **kwargs):
        self.sort_key = ref_sort_key(self.ref)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "sort_key" not in update_fields and "ref" in update_fields:
            kwargs["update_fields"] = [*update_fields, "sort_key"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("control-detail", args=[self.framework.slug, self.ref])

    def statement_errors(self, **values) -> dict[str, str]:
        """The Statement of Applicability rule, per field, for the control with these values (its own for the
        others): ISO/IEC 27001 6.1.3 d) justifies every exclusion, and "not applicable" means excluded."""
        applicable, justification, status = (values.get(name, getattr(self, name)) for name in SOA_FIELDS)
        errors = {}
        if not applicable:
            if not (justification or "").strip():
                errors["justification"] = NEEDS_JUSTIFICATION
            if status != ControlStatus.NOT_APPLICABLE:
                errors["status"] = EXCLUDED_STATUS
        elif status == ControlStatus.NOT_APPLICABLE:
            errors["status"] = APPLICABLE_STATUS
        return errors

    def record_errors(self, **changes) -> dict[str, str]:
        """What is wrong with making these changes to the record, per field; empty when they may be made.

        A change that touches the Statement of Applicability must leave it consistent; a new owner must be
        someone who can own (roles.can_own). Values left out keep the control's own, and a record that is
        already inconsistent does not block a change to its notes or owner.
        """
        errors = {}
        if any(name in changes for name in SOA_FIELDS):
            errors.update(self.statement_errors(**{name: changes[name] for name in SOA_FIELDS if name in changes}))
        if "owner" in changes and (refusal := roles.owner_refusal(changes["owner"], current_id=self.owner_id)):
            errors["owner"] = refusal
        return errors

    def clean_record(self, **changes) -> None:
        """record_errors() as a ValidationError with a message per field, for forms, the API and services."""
        if errors := self.record_errors(**changes):
            raise ValidationError(errors)

    @property
    def tag(self) -> str:
        """The reference a ticket carries to link back: `ctrl:iso27001-2022:A.8.20`."""
        return f"ctrl:{self.framework.slug}:{self.ref}"

    # Traceability, both ways: these are the control's side; Document.controls etc. the other.
    def mapped_controls(self) -> ControlQuerySet:
        return (
            Control.objects.filter(Q(mapped_from__source=self) | Q(mapped_to__target=self))
            .select_related("framework")
            .distinct()
        )


def ref_sort_key(ref: str) -> str:
    """`A.5.10` sorts after `A.5.9`; `CC10.1` after `CC9.2`."""
    parts = []
    token = ""
    for char in ref:
        if char.isdigit():
            token += char
            continue
        if token:
            parts.append(token.zfill(4))
            token = ""
        parts.append(char)
    if token:
        parts.append(token.zfill(4))
    return "".join(parts)


class MappingRelation(models.TextChoices):
    EQUAL = "equal", "Equal"
    SUBSET = "subset", "Subset"
    SUPERSET = "superset", "Superset"
    INTERSECT = "intersect", "Intersect"


class ControlMapping(models.Model):
    """A published correspondence between controls of two frameworks (source -> target)."""

    source = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="mapped_to")
    target = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="mapped_from")
    relation = models.CharField(max_length=12, choices=MappingRelation.choices)
    origin = models.CharField(max_length=200, help_text="Where the correspondence was published.")

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="mapping_unique_pair")]

    def __str__(self) -> str:
        return f"{self.source.ref} -> {self.target.ref} ({self.relation})"


class LinkOrigin(models.TextChoices):
    MANUAL = "manual", "Linked by a person"
    WEBHOOK = "webhook", "Found in the ticket by a webhook"
    IMPORT = "import", "Imported from the register"


class LinkRecord(models.Model):
    """Who or what made a link between a control and a document or ticket, and when."""

    control = models.ForeignKey(Control, on_delete=models.CASCADE)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(max_length=12, choices=LinkOrigin.choices, default=LinkOrigin.MANUAL)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class DocumentKind(models.TextChoices):
    POLICY = "policy", "Policy"
    PROCEDURE = "procedure", "Procedure"
    STANDARD = "standard", "Standard"
    RUNBOOK = "runbook", "Runbook"
    RECORD = "record", "Record"


HTTP_URL = URLValidator(schemes=["http", "https"])


def validate_http_url(value: str) -> None:
    """Ticket and document links are rendered as links people click: only http(s), never `javascript:` or
    `data:`. The one rule for every write path (forms, API, admin, import, webhooks)."""
    try:
        HTTP_URL(value)
    except ValidationError:
        raise ValidationError("Enter a valid http:// or https:// link.", code="invalid") from None


class Document(models.Model):
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=DocumentKind.choices, default=DocumentKind.POLICY)
    url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    file = models.FileField(upload_to="documents/%Y/%m/", blank=True)
    version = models.CharField(max_length=40, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_documents"
    )
    approved_at = models.DateField(null=True, blank=True)
    next_review = models.DateField(null=True, blank=True)
    controls = models.ManyToManyField(Control, through="DocumentLink", related_name="documents", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("document-detail", args=[self.pk])

    def clean_record(self, **changes) -> None:
        """The document's rule for every write path: its owner must be someone who can own (roles.can_own)."""
        if "owner" in changes and (refusal := roles.owner_refusal(changes["owner"], current_id=self.owner_id)):
            raise ValidationError({"owner": refusal})


class DocumentLink(LinkRecord):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="links")
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "control"], name="documentlink_unique")]

    def __str__(self) -> str:
        return f"{self.document_id} -> {self.control_id}"


class TicketSystem(models.TextChoices):
    GITHUB = "github", "GitHub"
    JIRA = "jira", "Jira"
    GITLAB = "gitlab", "GitLab"
    OTHER = "other", "Other"


class Ticket(models.Model):
    system = models.CharField(max_length=10, choices=TicketSystem.choices)
    key = models.CharField(max_length=200, help_text="`acme/infra#7` for GitHub, `SEC-12` for Jira.")
    url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    title = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=40, blank=True, help_text="As the ticket system reports it: open, closed.")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the ticket system last changed it, by the last delivery applied."
    )
    controls = models.ManyToManyField(Control, through="TicketLink", related_name="tickets", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["system", "key"]
        constraints = [models.UniqueConstraint(fields=["system", "key"], name="ticket_unique_key")]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.key}"

    def get_absolute_url(self) -> str:
        return reverse("ticket-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state.lower() not in CLOSED_TICKET_STATES


CLOSED_TICKET_STATES = {"closed", "done", "resolved", "merged", "won't do", "cancelled"}


class TicketLink(LinkRecord):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links")
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "control"], name="ticketlink_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} -> {self.control_id}"


class ExemptionState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    REPLACED = "replaced", "Replaced"


class ExemptionIsDecided(Exception):
    """An exemption is never edited: withdraw a proposal, or propose a replacement for an approved one."""


def exemption_expiry_limit(at: datetime | None = None) -> datetime:
    """The latest an exemption proposed at `at` may run: the end of the day EXEMPTION_MAX_DAYS days on.

    Exemptions are temporary; the form, the API, the admin and the services all ask this one function.
    """
    last_day = timezone.localdate(at or timezone.now()) + timedelta(days=settings.EXEMPTION_MAX_DAYS)
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def exemption_state_q(state: str, at: datetime | None = None, prefix: str = "") -> Q:
    """The filter for exemptions in `state` at `at`; `prefix` (`exemptions__`) filters from a related model.

    The same rule as `Exemption.state_at`: revoked, then replaced, then proposed, then active or expired.
    """
    at = at or timezone.now()

    def q(**lookups) -> Q:
        return Q(**{prefix + name: value for name, value in lookups.items()})

    live = q(revoked_at__isnull=True, replaced_at__isnull=True)
    decided = live & q(approved_at__isnull=False)
    return {
        ExemptionState.REVOKED: q(revoked_at__isnull=False),
        ExemptionState.REPLACED: q(revoked_at__isnull=True, replaced_at__isnull=False),
        ExemptionState.PROPOSED: live & q(approved_at__isnull=True),
        ExemptionState.ACTIVE: decided & q(expires_at__gt=at),
        ExemptionState.EXPIRED: decided & q(expires_at__lte=at),
    }[ExemptionState(state)]


class ExemptionQuerySet(models.QuerySet):
    def in_state(self, *states: str, at: datetime | None = None) -> ExemptionQuerySet:
        condition = Q()
        for state in states:
            condition |= exemption_state_q(state, at)
        return self.filter(condition)

    def active(self, at: datetime | None = None) -> ExemptionQuerySet:
        return self.in_state(ExemptionState.ACTIVE, at=at)

    def expiring_within(self, days: int) -> ExemptionQuerySet:
        now = timezone.now()
        return self.active(now).filter(expires_at__lte=now + timedelta(days=days))


class Exemption(models.Model):
    """A documented exception: a known, approved and temporary deviation from a control.

    Written once by `exemption_propose`; afterwards only the decision fields are set, each once, by the
    services (approve, revoke, replaced by an approved replacement). A change to an approved exemption is a
    new proposal with `replaces` set: the old one stays in force, unchanged, until the CISO approves the new.
    """

    DECISION_FIELDS = frozenset({"approved_by", "approved_at", "revoked_by", "revoked_at", "replaced_at"})

    title = models.CharField(max_length=200)
    controls = models.ManyToManyField(Control, related_name="exemptions")
    reason = models.TextField()
    compensating_measures = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="requested_exemptions"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="approved_exemptions"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="revoked_exemptions"
    )
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacements",
        help_text="The approved exemption this proposal changes; it ends when this one is approved.",
    )
    replaced_at = models.DateTimeField(null=True, blank=True, help_text="When an approved replacement ended it.")

    history = HistoricalRecords(m2m_fields=[controls])
    objects = ExemptionQuerySet.as_manager()

    class Meta:
        ordering = ["expires_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._check_decision(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _check_decision(self, update_fields) -> None:
        if update_fields is None or not set(update_fields) <= self.DECISION_FIELDS:
            raise ExemptionIsDecided(
                "An exemption cannot be edited; withdraw the proposal or propose a replacement for it."
            )
        stored = type(self).objects.filter(pk=self.pk).values(*update_fields).first() or {}
        attname = {name: self._meta.get_field(name).attname for name in stored}
        changed = [
            name for name, value in stored.items() if value is not None and value != getattr(self, attname[name])
        ]
        if changed:
            raise ExemptionIsDecided(f"This exemption was already decided ({', '.join(changed)}).")

    def delete(self, *args, **kwargs):
        raise ExemptionIsDecided("An exemption is kept for the record; revoke it instead.")

    def state_at(self, at: datetime | None = None) -> ExemptionState:
        """The one definition of an exemption's state; `exemption_state_q` is the same rule as a filter."""
        if self.revoked_at:
            return ExemptionState.REVOKED
        if self.replaced_at:
            return ExemptionState.REPLACED
        if not self.approved_at:
            return ExemptionState.PROPOSED
        if self.expires_at <= (at or timezone.now()):
            return ExemptionState.EXPIRED
        return ExemptionState.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at().value


@receiver(m2m_changed, sender=Exemption.controls.through)
def _controls_fixed_once_proposed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """The controls are set with the proposal; after a decision they never change, from either side."""
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if reverse:
        exemptions = Exemption.objects.filter(pk__in=pk_set) if pk_set is not None else instance.exemptions.all()
    else:
        exemptions = Exemption.objects.filter(pk=instance.pk)
    if exemptions.exclude(exemption_state_q(ExemptionState.PROPOSED)).exists():
        raise ExemptionIsDecided("The controls of a decided exemption cannot change; propose a replacement.")


class AutomatedStatus(models.TextChoices):
    PASSING = "passing", "Passing"
    FAILING = "failing", "Failing"
    ERROR = "error", "Could not check"
    NONE = "none", "Not automated"


class ControlState(models.Model):
    """What the other apps know about a control, kept here so the register reads one row.

    `evidence` writes the evidence columns when evidence is added; `scanners` writes the automated
    columns after each scan. The core never imports either app.
    """

    control = models.OneToOneField(Control, on_delete=models.CASCADE, primary_key=True, related_name="state")
    automated_status = models.CharField(max_length=10, choices=AutomatedStatus.choices, default=AutomatedStatus.NONE)
    checks_passed = models.PositiveIntegerField(default=0)
    checks_failed = models.PositiveIntegerField(default=0)
    checks_errored = models.PositiveIntegerField(default=0)
    automated_at = models.DateTimeField(null=True, blank=True)
    evidence_count = models.PositiveIntegerField(default=0)
    evidence_latest_at = models.DateTimeField(null=True, blank=True)
    evidence_fresh_until = models.DateTimeField(
        null=True, blank=True, help_text="The latest valid-until among the control's current evidence."
    )

    class Meta:
        indexes = [models.Index(fields=["automated_status"]), models.Index(fields=["evidence_fresh_until"])]

    def __str__(self) -> str:
        return f"state of {self.control_id}"


class DailySnapshot(models.Model):
    """A day's counts per framework, for the dashboard's trend; written by a periodic task."""

    day = models.DateField()
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="snapshots")
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["day", "framework"], name="snapshot_unique_day")]

    def __str__(self) -> str:
        return f"{self.framework_id} on {self.day}"


class WebhookSource(models.TextChoices):
    GITHUB = "github", "GitHub"
    JIRA = "jira", "Jira"


class WebhookDelivery(models.Model):
    """A ticket-system delivery already handled: a replay of the same delivery id changes nothing."""

    source = models.CharField(max_length=10, choices=WebhookSource.choices)
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=80, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.JSONField(default=dict, blank=True, help_text="The answer given: ticket, linked and unknown refs.")

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "delivery_id"], name="webhookdelivery_unique_id")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.source} {self.delivery_id}"


class NoticeKind(models.TextChoices):
    CONTROL_FAILING = "control_failing", "Automated checks are failing"
    EVIDENCE_STALE = "evidence_stale", "Evidence is stale"
    EXEMPTION_EXPIRING = "exemption_expiring", "Exemption expires soon"


class OwnerNotice(models.Model):
    """One event a person was told about, so that no event is told twice.

    A control's notice stays open while its condition lasts (still failing, still stale); it is closed when the
    condition ends, and a later failure is a new event. An exemption's notice is never closed: it expires once.
    """

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    control = models.ForeignKey(Control, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    exemption = models.ForeignKey(Exemption, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    summary = models.CharField(max_length=300)
    noticed_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True, help_text="When the Slack digest carrying it was accepted.")
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When the condition ended.")

    class Meta:
        ordering = ["-noticed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "control", "recipient"],
                condition=Q(closed_at__isnull=True, control__isnull=False),
                name="notice_one_open_per_control_event",
            ),
            models.UniqueConstraint(
                fields=["kind", "exemption", "recipient"],
                condition=Q(exemption__isnull=False),
                name="notice_once_per_exemption_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id}"


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
