"""What the register reads about the other apps (ControlState), daily snapshots, webhook deliveries and
owner notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from compliance.models.exemptions import Exemption
from compliance.models.register import Control, Framework


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
    # Which controls stood where that day ({"failing": [ids], ...}), so the dashboard can say which ones
    # changed since; apart from `counts` so that the 90-day trend does not read 270 lists of ids.
    control_ids = models.JSONField(default=dict, blank=True)

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
    EVIDENCE_REQUESTED = "evidence_requested", "Evidence requested of you"
    REQUEST_OVERDUE = "request_overdue", "Evidence request overdue"
    REQUEST_ANSWERED = "request_answered", "Evidence request answered"
    COMMENTED = "commented", "New comment"
    MENTIONED = "mentioned", "Mentioned in a comment"
    EXEMPTION_DECIDED = "exemption_decided", "Your exemption proposal was decided"


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
    # What a one-off event is about (`evidence-request:12`, `comment:5`): told once per topic, never closed.
    topic = models.CharField(max_length=80, blank=True, default="")
    noticed_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True, help_text="When the Slack digest carrying it was accepted.")
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When the condition ended.")

    class Meta:
        ordering = ["-noticed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "control", "recipient"],
                condition=Q(closed_at__isnull=True, control__isnull=False, topic=""),
                name="notice_one_open_per_control_event",
            ),
            models.UniqueConstraint(
                fields=["kind", "topic", "recipient"], condition=~Q(topic=""), name="notice_once_per_topic"
            ),
            models.UniqueConstraint(
                fields=["kind", "exemption", "recipient"],
                condition=Q(exemption__isnull=False),
                name="notice_once_per_exemption_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id}"
