"""The catalog (frameworks, controls, cross-mappings) and the organisation's register around it:
documents and tickets linked to controls both ways."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
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


TAG_PREFIX = "ctrl:"


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

    def named(self, text: str) -> ControlQuerySet:
        """Controls as people write them: `A.8.20`, `iso27001-2022:A.8.20`, or the tag `ctrl:iso27001-2022:A.8.20`."""
        framework, _, ref = text.strip().removeprefix(TAG_PREFIX).rpartition(":")
        controls = self.filter(ref__iexact=ref)
        return controls.filter(framework__slug=framework) if framework else controls

    def search(self, text: str) -> ControlQuerySet:
        """The register's search, on the pages and the API: a ref or tag, or words of the title or summary."""
        text = text.strip()
        if not text:
            return self
        if ":" in text:
            return self.named(text)
        return self.filter(Q(ref__icontains=text) | Q(title__icontains=text) | Q(summary__icontains=text))


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
        return f"{TAG_PREFIX}{self.framework.slug}:{self.ref}"

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


class DocumentQuerySet(models.QuerySet):
    def linkable_to(self, control: Control) -> DocumentQuerySet:
        return self.exclude(controls=control)

    def titled_like(self, words: str) -> DocumentQuerySet:
        """Documents whose title holds every word typed, in any order and case."""
        matching = self
        for word in words.split():
            matching = matching.filter(title__icontains=word)
        return matching


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
    objects = DocumentQuerySet.as_manager()

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
