"""Cloud accounts, their schedules, and asking for a scan. The API and the admin reuse these."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from accounts import roles
from compliance.events import audit_event_record
from compliance.models import AuditVerb
from config.celery import enqueue_or_reason
from scanners.checks import base as checks
from scanners.models import ALL_REGIONS, CheckSetting, CloudAccount, Provider, RunState, ScanRun, Trigger, schedule_text

SCHEDULED_TASK = "scanners.scan_scheduled"
GITHUB_LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
GITHUB_REGIONS = ["global"]  # an organisation has no regions: its service groups run once
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
HOURS_PATTERN = re.compile(r"^(\d+)\s*h?$")
MANUAL_ONLY_VALIDITY = timedelta(days=7)


def _require_manager(actor) -> None:
    if actor is not None and not roles.can_manage(actor):
        raise PermissionDenied("Only the CISO can manage cloud accounts and scans.")


def regions_parse(value: str | list[str]) -> list[str]:
    """`eu-west-1,us-east-1` or `all`; the first region is the home of global services (IAM, S3 listing)."""
    items = value if isinstance(value, list) else [item.strip() for item in value.split(",")]
    regions = list(dict.fromkeys(item for item in items if item))
    if not regions:
        raise ValidationError("Give at least one region, or `all`.")
    if ALL_REGIONS in regions:
        if len(regions) > 1:
            raise ValidationError("`all` cannot be combined with named regions.")
        return [ALL_REGIONS]
    bad = [region for region in regions if not REGION_PATTERN.match(region)]
    if bad:
        raise ValidationError(f"Not an AWS region name: {', '.join(bad)}")
    return regions


def schedule_describe(task: PeriodicTask | None) -> str:
    """The schedule as it was typed: cron fields or a number of hours; blank when manual only."""
    return schedule_text(task)


def _save_account(account: CloudAccount, actor, **kwargs) -> None:
    """Save so that the history names who did it, also from the API and commands (no request user there)."""
    if actor is not None:
        account._history_user = actor
    account.save(**kwargs)


def schedule_validate(text: str) -> None:
    """Raise ValidationError unless the text is a schedule `_schedule_from_text` accepts, writing nothing."""
    with transaction.atomic():
        _schedule_from_text(text)
        transaction.set_rollback(True)


def _schedule_from_text(text: str) -> dict:
    text = text.strip()
    hours = HOURS_PATTERN.match(text)
    if hours:
        every = int(hours.group(1))
        if every < 1:
            raise ValidationError("A scan interval is at least one hour.")
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.HOURS)
        return {"interval": interval, "crontab": None}
    fields = text.split()
    if len(fields) != 5:
        raise ValidationError(f"Schedule must be a number of hours (`6h`) or five cron fields, not {text!r}.")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=settings.TIME_ZONE,
    )
    try:
        crontab.schedule  # noqa: B018 - celery parses the fields here and raises on nonsense
    except ValueError as exc:
        raise ValidationError(f"Not a valid cron schedule: {text!r} ({exc})") from exc
    return {"interval": None, "crontab": crontab}


@transaction.atomic
def cloud_account_schedule_set(*, account: CloudAccount, schedule: str, actor=None) -> PeriodicTask | None:
    """Create, change or remove the account's periodic scan; blank means manual scans only."""
    _require_manager(actor)
    task = account.schedule
    if not schedule.strip():
        if task is not None:
            account.schedule = None
            _save_account(account, actor, update_fields=["schedule"])
            task.delete()
        return None
    timing = _schedule_from_text(schedule)
    if task is None:
        task = PeriodicTask(name=f"scan cloud account {account.name}", task=SCHEDULED_TASK)
    task.args = json.dumps([account.pk])
    task.enabled = account.enabled
    task.interval, task.crontab = timing["interval"], timing["crontab"]
    task.save()
    # Saved even when the task is the same one: the history row records the new timing.
    account.schedule = task
    _save_account(account, actor, update_fields=["schedule"])
    return task


@transaction.atomic
def cloud_account_create(
    *,
    name: str,
    regions: str | list[str],
    role_arn: str = "",
    external_id: str = "",
    account_id: str = "",
    schedule: str = "",
    enabled: bool = True,
    actor=None,
    provider: str = Provider.AWS,
) -> CloudAccount:
    _require_manager(actor)
    account = CloudAccount(
        name=name,
        provider=provider,
        regions=GITHUB_REGIONS if provider == Provider.GITHUB else regions_parse(regions),
        role_arn=role_arn,
        external_id=external_id,
        account_id=account_id,
        enabled=enabled,
    )
    account.full_clean(exclude=["schedule"])
    _save_account(account, actor)
    cloud_account_schedule_set(account=account, schedule=schedule, actor=actor)
    return account


def github_org_add(*, org: str, name: str = "", schedule: str = "", actor=None) -> CloudAccount:
    """A GitHub organisation to scan, named `github-<org>` unless named. Its credential is read by the
    workers from their environment at every scan (scanners/github.py), never stored here."""
    if not GITHUB_LOGIN_PATTERN.match(org) or "--" in org or org.endswith("-"):
        raise ValidationError(f"Not a GitHub organisation login: {org!r}")
    return cloud_account_create(
        name=name or f"github-{org.lower()}",
        regions=GITHUB_REGIONS,
        account_id=org,
        schedule=schedule,
        actor=actor,
        provider=Provider.GITHUB,
    )


ACCOUNT_FIELDS = ("name", "role_arn", "external_id", "regions")


@transaction.atomic
def cloud_account_update(
    *, account: CloudAccount, actor=None, enabled: bool | None = None, schedule: str | None = None, **changes
) -> CloudAccount:
    """Change what the API lets a CISO change; only the fields given change (None: leave as is)."""
    _require_manager(actor)
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"cloud_account_update cannot change {', '.join(sorted(unknown))}")
    if "regions" in changes and account.provider == Provider.GITHUB:
        raise ValidationError("A GitHub organisation has no regions to change.")
    if "regions" in changes:
        changes["regions"] = regions_parse(changes["regions"])
    for name, value in changes.items():
        setattr(account, name, value)
    account.full_clean(exclude=["schedule"])
    _save_account(account, actor)
    if "name" in changes and account.schedule_id:
        # The task's name is unique: a new account may take the old name and must be able to get a schedule.
        task = account.schedule
        task.name = f"scan cloud account {account.name}"
        task.save(update_fields=["name"])
    if enabled is not None:
        cloud_account_set_enabled(account=account, enabled=enabled, actor=actor)
    if schedule is not None:
        cloud_account_schedule_set(account=account, schedule=schedule, actor=actor)
    return account


@transaction.atomic
def cloud_account_set_enabled(*, account: CloudAccount, enabled: bool, actor=None) -> CloudAccount:
    """Disabling also pauses the schedule; the scheduled task checks the flag again when it fires."""
    _require_manager(actor)
    account.enabled = enabled
    _save_account(account, actor, update_fields=["enabled"])
    if account.schedule_id:
        PeriodicTask.objects.filter(pk=account.schedule_id).update(enabled=enabled)
    return account


def next_scheduled_scan(account: CloudAccount, after: datetime) -> datetime | None:
    task = account.schedule
    if task is None or not task.enabled or not account.enabled:
        return None
    # Celery answers "how long from now"; add it to now, rounded to the second the schedule names.
    remaining = task.schedule.remaining_estimate(task.last_run_at or after)
    return (timezone.now() + remaining + timedelta(milliseconds=500)).replace(microsecond=0)


def automated_evidence_valid_until(account: CloudAccount, collected_at: datetime) -> datetime:
    """Fresh until the next scheduled scan has had its grace period; a week for manual-only accounts."""
    following = next_scheduled_scan(account, collected_at)
    if following is None:
        return collected_at + MANUAL_ONLY_VALIDITY
    return following + timedelta(hours=settings.SCAN_EVIDENCE_GRACE_HOURS)


@transaction.atomic
def scan_request(*, account: CloudAccount, actor=None, trigger: str = Trigger.MANUAL, enqueue: bool = True) -> ScanRun:
    """Queue a scan of the account; while one is queued or running, that one is returned instead.

    `enqueue=False` leaves the queued run to the caller, who runs it in-process (`scan --sync`).
    If the broker cannot be reached once committed, the run is failed with the reason (see scan_enqueue).
    """
    _require_manager(actor)
    account = CloudAccount.objects.select_for_update().get(pk=account.pk)
    if not account.enabled:
        raise ValidationError(f"The cloud account {account.name} is disabled.")
    account.runs.abandon_stale()
    active = account.runs.active().first()
    if active is not None:
        return active
    run = ScanRun.objects.create(account=account, trigger=trigger, triggered_by=actor)
    if enqueue:
        transaction.on_commit(lambda: scan_enqueue(run=run))
    return run


def scan_enqueue(*, run: ScanRun) -> bool:
    """Send the run to the workers. A run that could not be sent fails at once with the reason, so the
    account's next request starts a new scan instead of being handed a run no worker will ever see."""
    from scanners.tasks import scan_account  # tasks import this module

    reason = enqueue_or_reason(scan_account, run.pk)
    if reason is None:
        return True
    ScanRun.objects.filter(pk=run.pk, state=RunState.QUEUED).update(
        state=RunState.FAILED, finished_at=timezone.now(), errors=[{"region": "", "service": "", "reason": reason}]
    )
    run.refresh_from_db(fields=["state", "finished_at", "errors"])
    return False


# Check settings ------------------------------------------------------------------------------------

CHECK_SETTINGS_REFUSED = "Only the CISO can change check settings."


def check_setting_validate(*, account: CloudAccount | None, check_id: str, key: str, value: Any) -> Any:
    """The value if the check declares the setting, judges this account's source and the value fits it; else a
    ValidationError naming the field.

    The one judge of a setting change: the page, the API, the admin and the service all ask here.
    """
    check = _declaring(check_id, key, account)
    if any(isinstance(item, str) and "\x00" in item for item in (value if isinstance(value, list) else [value])):
        # PostgreSQL cannot store a NUL in JSON: refused here rather than failing in the database.
        raise ValidationError({"value": "A setting cannot contain a NUL character."})
    try:
        return check.settings_with({key: value})[key]
    except checks.SettingError as exc:
        raise ValidationError({"value": str(exc)}) from exc


def _declaring(check_id: str, key: str, account: CloudAccount | None = None) -> checks.Check:
    check = checks.REGISTRY.get(check_id)
    if check is None:
        raise ValidationError({"check_id": f"No check is named {check_id!r}."})
    if account is not None and check.provider != account.provider:
        raise ValidationError(
            {"check_id": f"{check_id} applies to {Provider(check.provider).label}, not to {account.name}."}
        )
    if key not in check.settings:
        declared = ", ".join(check.settings) or "none"
        raise ValidationError({"key": f"{check_id} has no setting {key!r} (it has: {declared})."})
    return check


@transaction.atomic
def check_setting_change(*, account: CloudAccount, check_id: str, key: str, value: Any, actor) -> CheckSetting:
    """Set the value a check is judged with in this account from its next scan on; history and event kept."""
    if not roles.can_manage(actor):
        raise PermissionDenied(CHECK_SETTINGS_REFUSED)
    value = check_setting_validate(account=account, check_id=check_id, key=key, value=value)
    row = CheckSetting.objects.select_for_update().filter(account=account, check_id=check_id, key=key).first()
    if row is not None and row.value == value and type(row.value) is type(value):
        return row
    before = row.value if row is not None else None
    if row is None:
        row = CheckSetting(account=account, check_id=check_id, key=key)
    row.value, row.changed_by, row.changed_at = value, actor, timezone.now()
    row._history_user = actor
    row.save()
    audit_event_record(
        verb=AuditVerb.CHECK_SETTING_CHANGED,
        actor=actor,
        subject=account,
        check=check_id,
        key=key,
        value=value,
        before=before,
        was_default=before is None,
    )
    return row


@transaction.atomic
def check_setting_reset(*, account: CloudAccount, check_id: str, key: str, actor) -> bool:
    """Back to the check's default: the account's value is removed (its history stays). False if none was set.

    A value the check no longer declares can be reset too: that is how its errors end.
    """
    if not roles.can_manage(actor):
        raise PermissionDenied(CHECK_SETTINGS_REFUSED)
    row = CheckSetting.objects.select_for_update().filter(account=account, check_id=check_id, key=key).first()
    if row is None:
        _declaring(check_id, key, account)  # a typo is told, not taken for a setting already at its default
        return False
    row._history_user = actor
    row.delete()
    audit_event_record(
        verb=AuditVerb.CHECK_SETTING_RESET, actor=actor, subject=account, check=check_id, key=key, before=row.value
    )
    return True
