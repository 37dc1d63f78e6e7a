"""The demo's register and its past, so that a first look at `make run` shows a living product.

After the demo account's scan: a register worked on for a quarter (statuses, owners, the Statement of
Applicability's exclusions), a few documents, tickets, evidence items (two gone stale this week) and
exemptions (one waiting for a decision, one approved, one expiring soon), a few status changes this week,
and 90 daily snapshots of a posture that improved over the quarter, ending on today's real counts.

Idempotent and quick: the register is seeded once (its marker is the information security policy), every
write goes through the services or, for the quarter-old register record, through the same rule
(`Control.record_errors`) in one bulk statement with its history dated when the work was done. Snapshots
already taken are kept; only missing days are added. It lives in scanners because it writes evidence and
reads the scan's results (scanners -> evidence -> compliance).
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from compliance import services
from compliance.dashboard import counts_by_framework, counts_by_theme, snapshot_take
from compliance.dashboard_changes import automated_ids_by_framework
from compliance.dashboard_trend import TREND_DAYS
from compliance.models import AutomatedStatus, Control, ControlStatus, DailySnapshot, Document, DocumentKind, Ticket
from compliance.ticket_refs import TicketReference
from evidence.services import evidence_add
from ledger.chain import ledger_batch

MARKER = "Information security policy"
REGISTER_AGE_DAYS = 75
EXCLUDED_GROUPS = {"Physical controls", "A.11 Physical and environmental security"}
KEPT_PHYSICAL = {"A.7.7", "A.7.9", "A.7.10", "A.7.14", "A.11.2.6", "A.11.2.8", "A.11.2.9"}  # laptops and desks
JUSTIFICATION = (
    "Cloud-hosted: no data centre or server room of our own. AWS's physical and environmental controls are "
    "inherited and reviewed through its SOC 2 Type II report."
)
ENGINEERING_GROUPS = ("Technological", "A.9 ", "A.10 ", "A.12 ", "A.13 ", "A.14 ", "CC6 ", "CC7 ", "CC8 ")
DONE_THIS_WEEK = ["A.5.23", "A.8.16", "A.5.24"]  # in progress in the quarter-old record, implemented now
DOCUMENTS = [
    (MARKER, DocumentKind.POLICY, ["A.5.1", "A.5.2", "A.5.4"]),
    ("Access control standard", DocumentKind.STANDARD, ["A.5.15", "A.5.18", "A.8.2", "A.8.5"]),
    ("Incident response runbook", DocumentKind.RUNBOOK, ["A.5.24", "A.5.26", "A.6.8"]),
    ("Backup and restore procedure", DocumentKind.PROCEDURE, ["A.8.13", "A.5.30"]),
    ("Supplier security review 2026", DocumentKind.RECORD, ["A.5.19", "A.5.21", "A.5.22"]),
]
TICKETS = [
    ("SEC-101", "Turn on versioning and Object Lock for the records buckets", "In Progress", "A.8.13"),
    ("SEC-104", "Close SSH open to the world on the bastion security group", "To Do", "A.8.20"),
    ("SEC-108", "Rotate KMS customer keys yearly", "Done", "A.8.24"),
    ("SEC-112", "MFA for the remaining console users", "In Progress", "A.8.5"),
]
# (title, control, days since collected, days until it expires (negative: expired that many days ago))
EVIDENCE = [
    ("Quarterly access review, Q3", "A.5.18", 95, -2),
    ("Joiner, mover and leaver checklist export", "A.5.16", 200, -4),
    ("Security awareness training completion", "A.6.3", 40, 325),
    ("Incident response tabletop report", "A.5.24", 30, 335),
    ("Backup restore test: orders database", "A.8.13", 12, 170),
    ("Risk assessment 2026", "A.5.7", 60, 305),
]


def _iso(ref: str) -> Control | None:
    return Control.objects.select_related("framework").filter(framework__slug="iso27001-2022", ref=ref).first()


def _share(control: Control) -> float:
    """A stable pseudo-random number in [0, 1) per control: the same register on every machine."""
    return zlib.crc32(f"{control.framework.slug}:{control.ref}".encode()) / 2**32


def _planned(control: Control, ciso, engineer) -> dict:
    if control.group in EXCLUDED_GROUPS and control.ref not in KEPT_PHYSICAL:
        return {"applicable": False, "justification": JUSTIFICATION, "status": ControlStatus.NOT_APPLICABLE}
    if control.framework.slug == "iso27001-2022" and control.ref in DONE_THIS_WEEK:
        status = ControlStatus.IN_PROGRESS
    else:
        draw = _share(control)
        status = (
            ControlStatus.IMPLEMENTED
            if draw < 0.58
            else ControlStatus.IN_PROGRESS
            if draw < 0.8
            else ControlStatus.NOT_STARTED
        )
    owner = engineer if control.group.startswith(ENGINEERING_GROUPS) else ciso
    return {"status": status, "owner": owner}


@transaction.atomic
@ledger_batch()  # bulk writes send no signals
def register_seed(*, ciso, engineer, at: datetime) -> int:
    """The record as it stood after the first weeks of work, with its history dated then."""
    controls = list(Control.objects.select_related("framework"))
    for control in controls:
        changes = _planned(control, ciso, engineer)
        if errors := control.record_errors(**changes):  # the rule every write path asks
            raise ValidationError(errors)
        for name, value in changes.items():
            setattr(control, name, value)
        control.updated_at = at
    bulk_update_with_history(
        controls,
        Control,
        ["applicable", "justification", "status", "owner", "updated_at"],
        batch_size=1000,
        default_user=ciso,
        default_change_reason="Demo: the register after the first weeks of work",
        default_date=at,
    )
    return len(controls)


def records_seed(*, ciso, engineer, now: datetime) -> None:
    """This week's status changes, documents, tickets, evidence and exemptions, each through its service."""
    for ref in DONE_THIS_WEEK:
        control = _iso(ref)
        services.control_update(control=control, actor=control.owner, status=ControlStatus.IMPLEMENTED)
    for title, kind, refs in DOCUMENTS:
        document = services.document_create(
            actor=ciso, title=title, kind=kind, url=f"https://wiki.example.com/security/{zlib.crc32(title.encode())}"
        )
        for control in filter(None, map(_iso, refs)):
            services.document_link(document=document, control=control, actor=ciso)
    for key, title, state, ref in TICKETS:
        reference = TicketReference("jira", key, f"https://example.atlassian.net/browse/{key}")
        ticket = services.ticket_get_or_create(reference=reference, actor=engineer, title=title, state=state)
        services.ticket_link(ticket=ticket, control=_iso(ref), actor=engineer)
    for title, ref, age, remaining in EVIDENCE:
        collected = now - timedelta(days=age)
        evidence_add(
            controls=[_iso(ref)],
            title=title,
            actor=engineer,
            url=f"https://drive.example.com/evidence/{zlib.crc32(title.encode())}",
            collected_at=collected,
            valid_until=now + timedelta(days=remaining),
        )
    exemptions_seed(ciso=ciso, engineer=engineer, now=now)


def exemptions_seed(*, ciso, engineer, now: datetime) -> None:
    def propose(title: str, ref: str, days: int, reason: str, measures: str):
        return services.exemption_propose(
            controls=[_iso(ref)],
            title=title,
            reason=reason,
            compensating_measures=measures,
            expires_at=now + timedelta(days=days),
            actor=engineer,
        )

    public_site = propose(
        "Public website bucket",
        "A.8.12",
        150,
        "The marketing site is served from S3 and must be readable by everyone.",
        "Only the site's files are in the bucket; uploads go through the pipeline, reviewed.",
    )
    services.exemption_approve(exemption=public_site, actor=ciso)
    snapshot = propose(
        "Unencrypted snapshot kept under legal hold",
        "A.8.24",
        12,
        "Counsel asked to keep the volume snapshot as it was taken until the case closes.",
        "Snapshot not shared, access limited to the break-glass role, CloudTrail alarms on any use.",
    )
    services.exemption_approve(exemption=snapshot, actor=ciso)
    propose(
        "Shared break-glass IAM user",
        "A.8.2",
        60,
        "One IAM user with administrator rights for an Identity Center outage.",
        "Credentials in the safe, MFA token held by the CISO, every sign-in alarmed.",
    )


def _past_counts(today_counts: dict, days_ago: int) -> dict:
    """A day's counts on the way to today's: implemented and evidenced controls grew, failures shrank."""
    behind = days_ago / (TREND_DAYS - 1)  # 1 ninety days ago, 0 today
    wobble = ((days_ago * 37) % 7 - 3) * 0.004
    counts = dict(today_counts)
    applicable = counts["applicable_count"]
    implemented = round(counts[ControlStatus.IMPLEMENTED] * min(1.0, 0.45 + 0.55 * (1 - behind) + wobble))
    in_progress = min(applicable - implemented, round(counts[ControlStatus.IN_PROGRESS] * (1 + 0.4 * behind)))
    counts[ControlStatus.IMPLEMENTED], counts[ControlStatus.IN_PROGRESS] = implemented, in_progress
    counts[ControlStatus.NOT_STARTED] = applicable - implemented - in_progress
    checked = counts[AutomatedStatus.FAILING] + counts[AutomatedStatus.PASSING]
    counts[AutomatedStatus.FAILING] = min(checked, round(counts[AutomatedStatus.FAILING] * (1 + 0.9 * behind)))
    counts[AutomatedStatus.PASSING] = checked - counts[AutomatedStatus.FAILING]
    missing = counts["evidence_missing"]
    counts["evidence_missing"] = min(applicable, round(missing + (applicable - missing) * 0.35 * behind))
    return counts


def _past_ids(today_ids: dict[str, list[int]]) -> dict[str, list[int]]:
    """Who failed before today: one control that fails today did not yet, two that pass today still failed."""
    failing, passing = today_ids.get(AutomatedStatus.FAILING, []), today_ids.get(AutomatedStatus.PASSING, [])
    return {
        **today_ids,
        AutomatedStatus.FAILING: sorted([*failing[1:], *passing[:2]]),
        AutomatedStatus.PASSING: passing[2:],
    }


def snapshots_seed(*, today: date) -> int:
    """Today's real snapshot, and the days of the last 90 that have none; days already recorded are kept."""
    snapshot_take(day=today)
    totals = counts_by_framework(counts_by_theme(timezone.now()))
    ids = automated_ids_by_framework()
    past = [
        DailySnapshot(
            day=today - timedelta(days=days_ago),
            framework_id=framework_id,
            counts=_past_counts(counts, days_ago),
            control_ids=_past_ids(ids.get(framework_id, {})),
        )
        for framework_id, counts in totals.items()
        for days_ago in range(1, TREND_DAYS)
    ]
    DailySnapshot.objects.bulk_create(past, ignore_conflicts=True)
    return DailySnapshot.objects.filter(day__gt=today - timedelta(days=TREND_DAYS)).count()


def demo_history_seed(*, now: datetime | None = None) -> dict[str, int]:
    """Seed once (the register and its records), then fill the trend up to today; returns what there is."""
    now = now or timezone.now()
    people = get_user_model().objects.in_bulk(["ciso", "engineer"], field_name="username")
    ciso, engineer = people["ciso"], people["engineer"]
    if not Document.objects.filter(title=MARKER).exists():
        register_seed(ciso=ciso, engineer=engineer, at=now - timedelta(days=REGISTER_AGE_DAYS))
        records_seed(ciso=ciso, engineer=engineer, now=now)
    return {
        "snapshots": snapshots_seed(today=timezone.localdate(now)),
        "documents": Document.objects.count(),
        "tickets": Ticket.objects.count(),
    }
