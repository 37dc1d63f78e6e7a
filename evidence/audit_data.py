"""What the auditor reads: the Statement of Applicability and its exports, the audit period, the
evidence in force over it (with coverage gaps), and a control's change log. No writes here."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS

from compliance.models import (
    AuditEvent,
    Control,
    ControlStatus,
    Document,
    DocumentLink,
    Exemption,
    Ticket,
    TicketLink,
    last_day_in_force,
)
from config import spreadsheets
from config.widgets import DateInput
from evidence.models import Evidence, EvidenceQuerySet

# --- The Statement of Applicability ------------------------------------------------------------------

SOA_HEADER = [
    "Framework",
    "Ref",
    "Title",
    "Theme",
    "Applicable",
    "Justification",
    "Status",
    "Owner",
    "Evidence items",
    "Evidence fresh until",
    "Active exemptions",
]


@dataclass
class SoaEntry:
    """One control's line in the Statement of Applicability, read with `values()`: the page lists every
    control of every framework, and model instances (four per control) cost more than the SQL."""

    framework: str
    framework_slug: str
    ref: str
    title: str
    theme: str
    applicable: bool
    justification: str
    status: str
    status_label: str
    owner: str
    evidence_count: int
    fresh_until: datetime | None
    exemptions: list[str] = field(default_factory=list)
    detail_url: str = ""
    timeline_url: str = ""
    changes_url: str = ""

    @property
    def exemptions_text(self) -> str:
        return "; ".join(self.exemptions)


STATUS_LABELS = dict(ControlStatus.choices)


def soa_entries(framework_slug: str | None = None) -> list[SoaEntry]:
    """Every control (of one framework, or all) in register order; two queries."""
    controls = Control.objects.in_framework(framework_slug) if framework_slug else Control.objects.all()
    exempted: dict[int, list[str]] = {}
    links = Exemption.controls.through.objects.filter(
        exemption__in=Exemption.objects.active(), control__in=controls
    ).order_by("exemption__expires_at", "exemption_id")
    for control_id, title, expires_at in links.values_list("control_id", "exemption__title", "exemption__expires_at"):
        exempted.setdefault(control_id, []).append(f"{title} (until {last_day_in_force(expires_at).isoformat()})")
    rows = controls.values_list(
        "pk",
        "framework__name",
        "framework__slug",
        "ref",
        "title",
        "group",
        "applicable",
        "justification",
        "status",
        "owner__username",
        "state__evidence_count",
        "state__evidence_fresh_until",
    )
    return [
        SoaEntry(
            *(name, slug, ref, title, group, applicable, justification, status, STATUS_LABELS.get(status, status)),
            owner=owner or "",
            evidence_count=count or 0,  # no ControlState row yet: nothing collected
            fresh_until=fresh_until,
            exemptions=exempted.get(pk, []),
        )
        for pk, name, slug, ref, title, group, applicable, justification, status, owner, count, fresh_until in rows
    ]


def soa_row(entry: SoaEntry) -> list[Any]:
    return [
        entry.framework,
        entry.ref,
        entry.title,
        entry.theme,
        "Yes" if entry.applicable else "No",
        entry.justification,
        entry.status_label,
        entry.owner,
        entry.evidence_count,
        entry.fresh_until.date().isoformat() if entry.fresh_until else "",
        entry.exemptions_text,
    ]


def csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    spreadsheets.write_csv(out, header, rows)
    return out.getvalue()


def soa_csv(entries: Iterable[SoaEntry]) -> str:
    return csv_text(SOA_HEADER, (soa_row(e) for e in entries))


def soa_xlsx(entries: Iterable[SoaEntry]) -> bytes:
    out = io.BytesIO()
    spreadsheets.write_xlsx(
        out, sheet="Statement of Applicability", header=SOA_HEADER, rows=(soa_row(e) for e in entries)
    )
    return out.getvalue()


class ControlLinks:
    """URLs of many controls' pages for one `reverse()` per framework and page (reverse costs ~50 µs,
    and the Statement of Applicability links every control three times)."""

    SENTINEL = "REF0SENTINEL"

    def __init__(self) -> None:
        self.templates: dict[tuple[str, str], str] = {}

    def __call__(self, name: str, framework_slug: str, ref: str) -> str:
        key = (name, framework_slug)
        if key not in self.templates:
            self.templates[key] = reverse(name, args=[framework_slug, self.SENTINEL])
        return self.templates[key].replace(self.SENTINEL, quote(ref, safe=RFC3986_SUBDELIMS + "/~:@"))


# --- The audit period ----------------------------------------------------------------------------------

DEFAULT_PERIOD_DAYS = 365


class AuditPeriod(forms.Form):
    start = forms.DateField(required=False, widget=DateInput())
    end = forms.DateField(required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_PERIOD_DAYS)
        if start > end:
            raise forms.ValidationError("The period must start before it ends.")
        data["start"], data["end"] = start, end
        return data


def audit_period(query) -> tuple[AuditPeriod, date, date]:
    """The period in the query string (start/end), or the last year when absent or invalid."""
    form = AuditPeriod(query)
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    end = timezone.localdate()
    return form, end - timedelta(days=DEFAULT_PERIOD_DAYS), end


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of the first day to the start of the day after the last (end inclusive)."""
    return start_of_day(start), start_of_day(end + timedelta(days=1))


def in_force_during(evidence: EvidenceQuerySet, start: date | None, end: date | None) -> EvidenceQuerySet:
    """Evidence that counted at some moment of the period: recorded before the period ends, and not expired
    nor replaced by a recorded correction when it starts. An item counts from max(collected, recorded)
    (Evidence.counts_from): a backdated collection date never covers days before it was recorded."""
    evidence = evidence.alias(counts_from=Greatest("collected_at", "created_at"))
    # An item recorded after it expired never counted at all.
    evidence = evidence.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=F("counts_from")))
    if start is not None:
        since = start_of_day(start)
        evidence = (
            evidence.fresh(since)
            .alias(replaced_from=Greatest("superseded_by__collected_at", "superseded_by__created_at"))
            .filter(Q(replaced_from__isnull=True) | Q(replaced_from__gt=since))
        )
    if end is not None:
        evidence = evidence.filter(counts_from__lt=start_of_day(end + timedelta(days=1)))
    return evidence


@dataclass
class Gap:
    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


def covered_until(item: Evidence, horizon: datetime) -> datetime:
    """An item stops counting when it expires or when a correction is recorded, whichever is first."""
    ends = [horizon]
    if item.valid_until:
        ends.append(item.valid_until)
    successor = getattr(item, "superseded_by", None)
    if successor is not None:
        ends.append(successor.counts_from)
    return min(ends)


def coverage_gaps(items: Iterable[Evidence], since: datetime, until: datetime) -> list[Gap]:
    """Stretches of the period with no evidence in force; each item counts from its `counts_from`."""
    intervals = sorted((max(i.counts_from, since), covered_until(i, until)) for i in items)
    gaps, cursor = [], since
    for begin, finish in intervals:
        if finish <= begin:  # expired or replaced before it started to count
            continue
        if begin > cursor:
            gaps.append(Gap(cursor, begin))
        cursor = max(cursor, finish)
    if cursor < until:
        gaps.append(Gap(cursor, until))
    return [g for g in gaps if g.end > g.start]


# --- A control's change log ----------------------------------------------------------------------------

UNTRACKED = ["id", "framework", "ref", "title", "summary", "group", "attributes"]
RECORDED = [
    (name, Control._meta.get_field(name).attname, str(Control._meta.get_field(name).verbose_name).capitalize())
    for name in ("applicable", "justification", "status", "owner", "notes", "next_review")
]


@dataclass
class Change:
    when: datetime
    who: str
    what: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # field, old, new


def _display(name: str, value: Any, users: dict[int, Any]) -> str:
    if value in (None, ""):
        return "—"
    if name == "owner":
        user = users.get(value)
        return user.get_username() if user else f"user {value} (removed)"
    model_field = Control._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _who(record) -> str:
    return record.history_user.get_username() if record.history_user else "the system"


def control_changes(control: Control) -> list[Change]:
    records = list(control.history.select_related("history_user").order_by("history_date", "history_id"))
    owner_ids = {r.owner_id for r in records if r.owner_id}
    users = get_user_model().objects.in_bulk(owner_ids)
    changes = []
    for previous, record in zip([None, *records], records, strict=False):
        if record.history_type == "-":
            changes.append(Change(record.history_date, _who(record), "Control record deleted"))
            continue
        if previous is None:
            # Catalog controls are loaded in bulk, without history: the first record may be a change
            # whose earlier values were never recorded, so show the state it left, not a diff.
            verb = "Control record created" if record.history_type == "+" else "First recorded change"
            before = "—" if record.history_type == "+" else "not recorded"
            fields = [
                (label, before, _display(name, getattr(record, attname), users)) for name, attname, label in RECORDED
            ]
            changes.append(Change(record.history_date, _who(record), verb, fields))
            continue
        delta = record.diff_against(previous, excluded_fields=UNTRACKED)
        fields = [
            (
                str(Control._meta.get_field(c.field).verbose_name).capitalize(),
                _display(c.field, c.old, users),
                _display(c.field, c.new, users),
            )
            for c in delta.changes
        ]
        if fields:
            changes.append(Change(record.history_date, _who(record), "Changed", fields))
    return changes


def link_changes(control: Control) -> list[Change]:
    """Documents and tickets linked to or unlinked from the control, from their links' history."""
    changes = []
    for link_model, target_model, key, noun in (
        (DocumentLink, Document, "document_id", "document"),
        (TicketLink, Ticket, "ticket_id", "ticket"),
    ):
        records = list(link_model.history.filter(control_id=control.pk).select_related("history_user"))
        targets = target_model.objects.in_bulk({getattr(r, key) for r in records})
        for record in records:
            target_id = getattr(record, key)
            name = str(targets[target_id]) if target_id in targets else f"{noun} {target_id} (since deleted)"
            verb = {"+": "Linked", "-": "Unlinked"}.get(record.history_type, "Changed the link to")
            changes.append(Change(record.history_date, _who(record), f"{verb} {noun} {name} ({record.origin})"))
    return changes


def exemption_changes(control: Control) -> list[Change]:
    """Each step of the exemptions over the control (proposed, approved, revoked, replaced), from their events."""
    ids = [str(pk) for pk in control.exemptions.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(subject_type=ContentType.objects.get_for_model(Exemption), subject_id__in=ids)
    return [
        Change(event.at, event.actor.get_username() if event.actor else "the system", f"{event}")
        for event in events.select_related("actor")
    ]


def change_log(control: Control) -> list[Change]:
    """Newest first: the control's own changes, its document and ticket links, and its exemptions."""
    changes = [*control_changes(control), *link_changes(control), *exemption_changes(control)]
    return sorted(changes, key=lambda c: c.when, reverse=True)
