"""Evidence: append-only, hashed, with freshness. A correction is a new item that supersedes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import Role
from compliance.models import Control


class EvidenceKind(models.TextChoices):
    FILE = "file", "File"
    LINK = "link", "Link"
    NOTE = "note", "Note"
    AUTOMATED = "automated", "Automated"


class EvidenceIsImmutable(Exception):
    """Evidence is never edited or deleted through the app; add a new item that supersedes it."""


class EvidenceQuerySet(models.QuerySet):
    def current(self) -> EvidenceQuerySet:
        """Items nobody has superseded."""
        return self.filter(superseded_by__isnull=True)

    def stale(self, at=None) -> EvidenceQuerySet:
        """In force no longer: its valid-until is at or before `at` (now). The one definition; `fresh` is
        everything else (no valid-until means it does not expire) and Evidence.is_stale_at the same per item."""
        return self.filter(valid_until__lte=at or timezone.now())

    def fresh(self, at=None) -> EvidenceQuerySet:
        return self.exclude(valid_until__lte=at or timezone.now())

    def collected_between(self, start, end) -> EvidenceQuerySet:
        return self.filter(collected_at__gte=start, collected_at__lt=end)

    def update(self, **kwargs):
        raise EvidenceIsImmutable("Evidence cannot be updated; add an item that supersedes it.")

    def delete(self):
        raise EvidenceIsImmutable("Evidence cannot be deleted; add an item that supersedes it.")


# The order of the evidence lists (page and API), newest first; an index walks it, a cursor keeps the place.
LIST_ORDER = ("-collected_at", "-id")


class EvidencePartQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise EvidenceIsImmutable("A stored evidence part cannot be updated.")

    def delete(self):
        raise EvidenceIsImmutable("A stored evidence part cannot be deleted.")


class EvidencePart(models.Model):
    """A file that evidence items refer to by SHA-256, stored once however many items refer to it: a scan's
    results of one check, which the report of every control the check speaks for names by its hash.

    Append-only like Evidence, and downloaded the same verified way (evidence/integrity.py)."""

    name = models.CharField(max_length=200)
    file = models.FileField(upload_to="evidence/parts/%Y/%m/")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidencePartQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"evidence part {self.pk} ({self.name})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise EvidenceIsImmutable("A stored evidence part cannot be edited.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("evidence-part-download", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise EvidenceIsImmutable("A stored evidence part cannot be deleted.")

    @property
    def api_download_url(self) -> str:
        return reverse("api:evidence-part-download", args=[self.pk])


class Evidence(models.Model):
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    controls = models.ManyToManyField(Control, related_name="evidence", blank=True)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    url = models.URLField(max_length=1000, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    collected_at = models.DateTimeField(default=timezone.now, db_index=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="collected_evidence"
    )
    produced_by = models.CharField(
        max_length=200, blank=True, help_text="What produced automated evidence, e.g. `scan 12 of demo-aws`."
    )
    valid_until = models.DateTimeField(null=True, blank=True, db_index=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The stored files this item's content names by SHA-256 (a control's scan report: each check's results).
    parts = models.ManyToManyField(EvidencePart, related_name="evidence", blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_at", "-pk"]
        verbose_name_plural = "evidence"
        indexes = [models.Index(fields=LIST_ORDER, name="evidence_list")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise EvidenceIsImmutable("Evidence cannot be edited; add an item that supersedes it.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("evidence-detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise EvidenceIsImmutable("Evidence cannot be deleted; add an item that supersedes it.")

    def is_stale_at(self, at) -> bool:
        """EvidenceQuerySet.stale, for one item already loaded."""
        return self.valid_until is not None and self.valid_until <= at

    @property
    def is_stale(self) -> bool:
        return self.is_stale_at(timezone.now())

    @property
    def collector(self) -> str:
        return str(self.collected_by) if self.collected_by_id else self.produced_by

    @property
    def is_produced(self) -> bool:
        """Made by a producer (a scan), not collected by a person."""
        return self.collected_by_id is None

    @property
    def counts_from(self):
        """Evidence covers time only from when it was recorded here, however old the document is:
        a backdated collection date never makes past days look covered."""
        return max(self.collected_at, self.created_at) if self.created_at else self.collected_at

    def supersede_refusal(self, *, controls, actor) -> str | None:
        """Why a new item for `controls`, added by `actor` (None: a producer), may not replace this one; None if it may.

        The one supersede rule, for the page, the API and producers. A correction stays within the same
        controls: it supports every control this item supports (more is allowed, e.g. a consolidated report).
        People correct people's evidence; automated evidence is replaced only by a producer's next report.
        """
        if self.is_produced and actor is not None:
            return "Automated evidence is replaced only by the scanner's next report, never by a person."
        if not self.is_produced and actor is None:
            return "A person's evidence is never replaced by automated evidence."
        missing = [c for c in self.controls.all() if c.pk not in {new.pk for new in controls}]
        if missing:
            refs = ", ".join(f"{c.framework.slug}:{c.ref}" for c in missing)
            return f"A correction must support every control of the item it replaces; this one leaves out {refs}."
        return None


class PackageState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Being built"
    SUCCEEDED = "succeeded", "Ready"
    FAILED = "failed", "Failed"


class AuditPackageQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuditPackageQuerySet:
        """The CISO and auditors see every package; anyone else only those they asked for."""
        role = roles.role_of(user)
        if role in (Role.CISO, Role.AUDITOR):
            return self
        if role is not None:
            return self.filter(requested_by=user)
        return self.none()


class AuditPackage(models.Model):
    """A zip of the Statement of Applicability and every control's evidence, built by a task."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_packages"
    )
    framework = models.ForeignKey(
        "compliance.Framework", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=PackageState.choices, default=PackageState.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="audit-packages/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    integrity_failures = models.PositiveIntegerField(
        default=0, help_text="Stored evidence files whose hash no longer matched; listed in the manifest."
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = AuditPackageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"audit package {self.pk} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("audit-package", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.state in (PackageState.QUEUED, PackageState.RUNNING)

    @property
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def download_name(self) -> str:
        scope = self.framework.slug if self.framework_id else "all-frameworks"
        return f"audit-package-{scope}-{self.created_at:%Y%m%d}-{self.pk}.zip"


class RequestState(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    WITHDRAWN = "withdrawn", "Withdrawn"


class EvidenceRequestQuerySet(models.QuerySet):
    def open(self) -> EvidenceRequestQuerySet:
        return self.filter(state=RequestState.OPEN)

    def overdue(self, at=None) -> EvidenceRequestQuerySet:
        """Open past the end of its due day: the one definition the inbox, the digest and the API use."""
        return self.open().filter(due__lt=timezone.localdate(at or timezone.now()))


class EvidenceRequest(models.Model):
    """The CISO or an auditor asks a control's owner for evidence (what, by when); the owner answers with
    evidence, and the request closes with the items attached. Written by the services in evidence/requests.py."""

    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="evidence_requests")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evidence_requests_asked"
    )
    addressed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evidence_requests_received",
        help_text="The control's owner when it was asked.",
    )
    what = models.TextField(max_length=2000)
    due = models.DateField()
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.OPEN)
    asked_at = models.DateTimeField(default=timezone.now)
    answered_with = models.ManyToManyField(Evidence, blank=True, related_name="answered_requests")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = EvidenceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["state", "due"]), models.Index(fields=["addressed_to", "state"])]

    def __str__(self) -> str:
        return f"Evidence for {self.control_id}: {self.what[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("evidence-request-answer", args=[self.pk])

    def is_overdue_at(self, at) -> bool:
        """EvidenceRequestQuerySet.overdue, for one request already loaded."""
        return self.state == RequestState.OPEN and self.due < timezone.localdate(at)

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_at(timezone.now())
