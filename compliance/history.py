"""A control's change history as people read it: who, when, which fields, old -> new, and link changes.

Built from simple_history's records in a fixed number of queries: consecutive records are compared in
Python rather than through `prev_record`, which would query once per entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from compliance.models import Control, Document, DocumentLink, Ticket, TicketLink

SHOWN = 100  # the newest entries; the admin keeps the full record
TRACKED = ["applicable", "justification", "status", "owner", "next_review", "notes", "title", "summary", "group"]
# The catalog creates controls without history; their first record is compared with the register's defaults.
REGISTER_FIELDS = ["applicable", "justification", "status", "owner", "next_review", "notes"]


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    who: str
    action: str
    changes: list[Change] = field(default_factory=list)
    target: str = ""
    target_url: str = ""


def _who(record) -> str:
    user = record.history_user
    return (user.get_full_name() or user.username) if user else "the system"


def _display(name: str, value, people: dict) -> str:
    if value in (None, ""):
        return "—"
    if name == "owner":
        user = people.get(value)
        return (user.get_full_name() or user.username) if user else f"user #{value}"
    if name == "applicable":
        return "Yes" if value else "No"
    choices = dict(Control._meta.get_field(name).choices or [])
    return str(choices.get(value, value))


def _field_value(record, name: str):
    if isinstance(record, dict):
        return record[name]
    return record.owner_id if name == "owner" else getattr(record, name)


def _register_defaults(record) -> dict:
    """What a control looked like before its first recorded change: the catalog's facts, the default record."""
    baseline = {name: _field_value(record, name) for name in TRACKED}
    for name in REGISTER_FIELDS:
        baseline[name] = Control._meta.get_field(name).get_default()
    return baseline


def _control_entries(control: Control) -> list[Entry]:
    # One record more than shown, so the oldest shown entry can still be compared with its predecessor.
    records = list(
        control.history.select_related("history_user", "owner").order_by("-history_date", "-history_id")[: SHOWN + 1]
    )
    people = {record.owner_id: record.owner for record in records if record.owner_id}
    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=False):  # empty history: no pairs
        if older is None and len(records) > SHOWN:
            break
        if older is None and newer.history_type == "~":
            older = _register_defaults(newer)
        changes = []
        if older is not None:
            for name in TRACKED:
                before, after = _field_value(older, name), _field_value(newer, name)
                if before != after:
                    label = Control._meta.get_field(name).verbose_name.capitalize()
                    changes.append(Change(label, _display(name, before, people), _display(name, after, people)))
        action = {"+": "created the record", "-": "deleted the record"}.get(newer.history_type, "changed")
        if action == "changed" and not changes:
            continue  # a save that changed nothing we show (for example only the sort key)
        entries.append(Entry(newer.history_date, _who(newer), action, changes))
    return entries


def _link_entries(control: Control, link_model, target_model, noun: str) -> list[Entry]:
    target_field = f"{noun}_id"
    records = list(
        link_model.history.filter(control_id=control.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:SHOWN]
    )
    # Bulk lookup, not select_related: the document or ticket may since have been deleted.
    targets = target_model.objects.in_bulk({getattr(record, target_field) for record in records})
    entries = []
    for record in records:
        if record.history_type not in {"+", "-"}:
            continue
        target = targets.get(getattr(record, target_field))
        verb = "linked" if record.history_type == "+" else "unlinked"
        entries.append(
            Entry(
                record.history_date,
                _who(record),
                f"{verb} {noun}",
                target=str(target) if target else f"{noun} #{getattr(record, target_field)} (deleted)",
                target_url=target.get_absolute_url() if target else "",
            )
        )
    return entries


def control_timeline(control: Control) -> list[Entry]:
    """Newest first: changes to the record and links added or removed, in six queries."""
    entries = [
        *_control_entries(control),
        *_link_entries(control, DocumentLink, Document, "document"),
        *_link_entries(control, TicketLink, Ticket, "ticket"),
    ]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:SHOWN]
