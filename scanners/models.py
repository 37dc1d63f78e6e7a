"""Cloud accounts, scan runs and their units, the resource inventory and findings."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from accounts import roles

ALL_REGIONS = "all"


class Provider(models.TextChoices):
    AWS = "aws", "Amazon Web Services"
    GITHUB = "github", "GitHub organisation"


class CloudAccountQuerySet(models.QuerySet):
    def visible_to(self, user) -> CloudAccountQuerySet:
        return self if roles.can_view(user) else self.none()


def schedule_text(task) -> str:
    """A periodic task's timing as it was typed: cron fields or a number of hours; blank when manual only."""
    if task is None:
        return ""
    if task.interval_id:
        return f"{task.interval.every}h"
    cron = task.crontab
    return f"{cron.minute} {cron.hour} {cron.day_of_month} {cron.month_of_year} {cron.day_of_week}"


class CloudAccountHistory(models.Model):
    """What each history row of a cloud account adds: its schedule as typed, since the timing itself lives in
    django-celery-beat's tables, which keep no history."""

    schedule_text = models.CharField(max_length=120, blank=True, help_text="Blank: manual scans only.")

    class Meta:
        abstract = True


class CloudAccount(models.Model):
    """An account we scan: an AWS account, or a GitHub organisation (account_id is its login).

    Credentials are never stored: AWS uses assume-role (role ARN + external ID) or the default chain;
    GitHub a token or a GitHub App read from the workers' environment (scanners/github.py).
    """

    name = models.CharField(
        max_length=63,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Lower-case letters, digits and dashes.")],
    )
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.AWS)
    account_id = models.CharField(
        max_length=39, blank=True, help_text="AWS: filled in by the first scan when blank. GitHub: the organisation."
    )
    role_arn = models.CharField(max_length=300, blank=True, help_text="Role to assume; blank uses the default chain.")
    external_id = models.CharField(max_length=200, blank=True)
    regions = models.JSONField(default=list, help_text='Region names, or ["all"] for every enabled region.')
    enabled = models.BooleanField(default=True)
    schedule = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cloud_account",
        help_text="Created and kept in step by the account service; none means manual scans only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[CloudAccountHistory], excluded_fields=["created_at"])
    objects = CloudAccountQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scans_all_regions(self) -> bool:
        return ALL_REGIONS in self.regions


@receiver(pre_create_historical_record, sender=CloudAccount.history.model)
def _record_schedule(sender, instance: CloudAccount, history_instance, **kwargs) -> None:
    history_instance.schedule_text = schedule_text(instance.schedule)


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial (some reads failed)"
    FAILED = "failed", "Failed"


FINISHED_STATES = (RunState.SUCCEEDED, RunState.PARTIAL, RunState.FAILED)


class Trigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    SCHEDULE = "schedule", "Schedule"


class ScanRunQuerySet(models.QuerySet):
    def visible_to(self, user) -> ScanRunQuerySet:
        return self if roles.can_view(user) else self.none()

    def active(self) -> ScanRunQuerySet:
        return self.filter(state__in=[RunState.QUEUED, RunState.RUNNING])

    def abandon_stale(self) -> int:
        """Active runs older than SCAN_RUN_TIMEOUT_HOURS fail, saying so: a run whose workers all
        vanished must not block its account's scans for ever."""
        hours = settings.SCAN_RUN_TIMEOUT_HOURS
        reason = f"abandoned: not finished {hours} hours after it was queued"
        now = timezone.now()
        return (
            self.active()
            .filter(created_at__lt=now - timedelta(hours=hours))
            .update(state=RunState.FAILED, finished_at=now, errors=[{"region": "", "service": "", "reason": reason}])
        )


class ScanRun(models.Model):
    account = models.ForeignKey(CloudAccount, on_delete=models.PROTECT, related_name="runs")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    units_total = models.PositiveIntegerField(default=0)
    units_done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{region, service, reason}] of failed reads.")
    check_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="The account's check settings when the run was planned, {check: {key: value}}; "
        "every unit judges with these, and a check not named here with its defaults.",
    )

    objects = ScanRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "state"])]

    def __str__(self) -> str:
        return f"scan {self.pk} of {self.account}"

    def get_absolute_url(self) -> str:
        return reverse("scan-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def percent_done(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.units_done / self.units_total) if self.units_total else 0


class UnitState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial"
    FAILED = "failed", "Failed"


class ScanUnitQuerySet(models.QuerySet):
    def visible_to(self, user) -> ScanUnitQuerySet:
        return self.filter(run__in=ScanRun.objects.visible_to(user))


class ScanUnit(models.Model):
    """One service group in one region (global groups: once, in the home region) of one run."""

    run = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="units")
    region = models.CharField(max_length=40)
    service = models.CharField(max_length=60, help_text="The service group collected by this unit.")
    state = models.CharField(max_length=10, choices=UnitState.choices, default=UnitState.QUEUED)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    types_read = models.JSONField(default=list, blank=True, help_text="Resource types read completely.")
    errors = models.JSONField(default=list, blank=True)
    resources_seen = models.PositiveIntegerField(default=0)

    objects = ScanUnitQuerySet.as_manager()

    class Meta:
        ordering = ["run", "region", "service"]
        constraints = [models.UniqueConstraint(fields=["run", "region", "service"], name="scanunit_unique")]

    def __str__(self) -> str:
        return f"{self.service} in {self.region} (scan {self.run_id})"


# The inventory's order, an index of the resource table: a page of resources at any depth is read by its
# position (config/keyset.py), filtered by account or region as the index is walked.
RESOURCES_ORDER = ("type", "region", "uid", "id")


class ResourceQuerySet(models.QuerySet):
    def visible_to(self, user) -> ResourceQuerySet:
        return self.filter(account__in=CloudAccount.objects.visible_to(user))

    def present(self) -> ResourceQuerySet:
        return self.filter(gone_at__isnull=True)


class Resource(models.Model):
    """The inventory. A resource that disappears is marked gone, never deleted: findings point at it."""

    account = models.ForeignKey(CloudAccount, on_delete=models.PROTECT, related_name="resources")
    uid = models.CharField(max_length=500, help_text="ARN or id.")
    type = models.CharField(max_length=80)
    region = models.CharField(max_length=40)
    name = models.CharField(max_length=300, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    placeholder = models.BooleanField(
        default=False, help_text="Stands for every resource of its type in its region when they could not be read."
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    gone_at = models.DateTimeField(null=True, blank=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["type", "region", "uid"]
        constraints = [models.UniqueConstraint(fields=["account", "uid"], name="resource_unique_uid")]
        indexes = [
            models.Index(fields=["account", "type", "region"]),
            models.Index(fields=list(RESOURCES_ORDER), name="resource_list"),
        ]

    def __str__(self) -> str:
        return self.name or self.uid

    def get_absolute_url(self) -> str:
        return reverse("resource-detail", args=[self.pk])


class FindingStatus(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    ERROR = "error", "Error (could not check)"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


# The order of every list of results, pages and API alike: failing and erroring results first, grouped
# by check, then by resource id (the order resources were first seen). Not by resource uid: that sort
# needs the resource table joined and every matching row sorted before the first page can be shown,
# where this order is an index of the results table itself, so a page at any depth reads its own rows.
RESULTS_ORDER = ("status", "check_id", "resource_id", "id")


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user) -> FindingQuerySet:
        # Scan runs are visible all or none (ScanRunQuerySet.visible_to): no `run IN (...)` semi-join,
        # which keeps the planner from walking the results index in order.
        return self if roles.can_view(user) else self.none()


class Finding(models.Model):
    """One check's result on one resource in one run. Kept for every run: the audit trail of automation."""

    run = models.ForeignKey(ScanRun, on_delete=models.PROTECT, related_name="findings")
    check_id = models.CharField(max_length=100)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="findings")
    region = models.CharField(max_length=40)
    status = models.CharField(max_length=16, choices=FindingStatus.choices)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["check_id", "resource_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "check_id", "resource"], name="finding_unique_per_run"),
        ]
        indexes = [models.Index(fields=["run", *RESULTS_ORDER], name="finding_list")]

    def __str__(self) -> str:
        return f"{self.check_id} on {self.resource_id}: {self.status}"


class CheckStatusQuerySet(models.QuerySet):
    def visible_to(self, user) -> CheckStatusQuerySet:
        return self if roles.can_view(user) else self.none()


class CheckStatus(models.Model):
    """The latest result per (account, check, resource): what pages and control statuses read.

    A table rather than a "latest finding" query: that query needs DISTINCT ON or a window over every
    run ever kept, and it gets slower with each scan; this table is upserted in bulk as units finish,
    has one row per pair, and is filtered and counted through plain indexes.
    """

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="check_statuses")
    check_id = models.CharField(max_length=100)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="check_statuses")
    region = models.CharField(max_length=40)
    status = models.CharField(max_length=16, choices=FindingStatus.choices)
    reason = models.TextField(blank=True)
    run = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="+")
    checked_at = models.DateTimeField()

    objects = CheckStatusQuerySet.as_manager()

    class Meta:
        verbose_name = "latest check result"
        ordering = ["check_id", "resource_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "check_id", "resource"], name="checkstatus_unique"),
        ]
        indexes = [
            models.Index(fields=[*RESULTS_ORDER], name="checkstatus_list"),
            models.Index(fields=["check_id", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.check_id} on {self.resource_id}: {self.status}"


class CheckSettingQuerySet(models.QuerySet):
    def visible_to(self, user) -> CheckSettingQuerySet:
        return self.filter(account__in=CloudAccount.objects.visible_to(user))

    def overrides(self) -> dict[str, dict]:
        """{check_id: {key: value}} of these rows: what a scan judges with instead of the checks' defaults."""
        values: dict[str, dict] = {}
        for check_id, key, value in self.order_by("check_id", "key").values_list("check_id", "key", "value"):
            values.setdefault(check_id, {})[key] = value
        return values


class CheckSetting(models.Model):
    """The CISO's value for one setting of one check in one account; without a row the check's default applies.

    Written only by `scanners.services.check_setting_change` / `check_setting_reset` (a reset deletes the row;
    the history keeps it), which judge the value with the check's own declaration.
    """

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="check_settings")
    check_id = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    value = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = CheckSettingQuerySet.as_manager()

    class Meta:
        ordering = ["account", "check_id", "key"]
        constraints = [models.UniqueConstraint(fields=["account", "check_id", "key"], name="checksetting_unique")]

    def __str__(self) -> str:
        return f"{self.key} of {self.check_id}"
