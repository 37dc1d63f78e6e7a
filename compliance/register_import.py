"""Checking an imported register against the database, and writing only what it changes.

plan_import() reads what the rows refer to in a constant number of queries, checks every row and raises
RegisterInvalid with every problem at once; RegisterPlan.apply() writes the differences in bulk through
compliance.services, so each history row names the person the import is recorded against.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from compliance import services
from compliance.models import (
    Control,
    ControlStatus,
    Document,
    DocumentLink,
    Framework,
    LinkOrigin,
    Ticket,
    TicketLink,
    TicketSystem,
    validate_http_url,
)

IMPORT_REASON = "register import"
LIST_SEPARATOR = "; "
APPLICABLE_WORDS = {"yes": True, "no": False}
STATUS_WORDS = {
    **{value: value for value in ControlStatus.values},
    **{label.lower(): value for value, label in ControlStatus.choices},
}
TICKET_KEYS = {  # what a new ticket's key must look like; tickets that already exist are taken as they are
    TicketSystem.GITHUB: (re.compile(r"[\w.-]+/[\w.-]+#\d+"), "acme/infra#7"),
    TicketSystem.GITLAB: (re.compile(r"[\w.-]+(/[\w.-]+)+[#!]\d+"), "group/project#12"),
    TicketSystem.JIRA: (re.compile(r"[A-Z][A-Z0-9_]+-\d+"), "SEC-12"),
    TicketSystem.OTHER: (re.compile(r"\S(.*\S)?"), "any text"),
}
STATUS_LIST = ", ".join(ControlStatus.values)
CHUNK_SIZE = 5000
URL_MAX_LENGTH = Document._meta.get_field("url").max_length
TITLE_MAX_LENGTH = Document._meta.get_field("title").max_length
KEY_MAX_LENGTH = Ticket._meta.get_field("key").max_length


@dataclass(frozen=True)
class RegisterError:
    """One problem in an imported register. row 1 is the header; None means the file as a whole."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class RegisterInvalid(Exception):
    def __init__(self, errors: list[RegisterError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the register; nothing was imported")


class Row(NamedTuple):
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: dict[str, str]


def document_identity(document: Document) -> str:
    return document.url or document.title


def ticket_identity(ticket: Ticket) -> str:
    return f"{ticket.system}:{ticket.key}"


def join_items(items) -> str:
    """A list cell: sorted, `; `-separated, with `\\;` for a semicolon inside an item and `\\\\` for a backslash."""
    return LIST_SEPARATOR.join(item.replace("\\", "\\\\").replace(";", "\\;") for item in sorted(set(items)))


def list_items(cell: str) -> list[str]:
    """The items of a list cell, the inverse of join_items(). A person typing `a;b` or a lone backslash
    (a Windows path in a title) gets what they meant: only `\\;` and `\\\\` are escapes."""
    if "\\" not in cell:
        return list(dict.fromkeys(item.strip() for item in cell.split(";") if item.strip()))
    items, current, chars = [], [], iter(cell)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            current.append(following if following in (";", "\\") else char + following)
        elif char == ";":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def is_url(token: str) -> bool:
    return token.lower().startswith(("http://", "https://"))


Target = int | Document | Ticket  # the primary key of a record that exists, or a record the import creates


@dataclass(frozen=True)
class FieldChange:
    column: str
    before: str
    after: str


@dataclass
class ControlChange:
    """One row's changes, as the preview shows them and the confirmation compares them."""

    row: int
    control: str  # `iso27001-2022 A.8.20`
    fields: list[FieldChange] = field(default_factory=list)
    links_added: list[str] = field(default_factory=list)  # `document https://wiki/net`, `ticket jira:SEC-12`
    links_removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.links_added or self.links_removed)


def field_text(record, name: str) -> str:
    """A field's value as the spreadsheet writes it, from a control or from a dict of new values."""
    value = record[name] if isinstance(record, dict) else getattr(record, name)
    if name == "applicable":
        return "yes" if value else "no"
    if name == "owner":
        return value.get_username() if value else ""
    return value


@dataclass
class RegisterPlan:
    changed_controls: list[Control] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    new_documents: dict[str, Document] = field(default_factory=dict)
    new_tickets: dict[tuple[str, str], Ticket] = field(default_factory=dict)
    links_to_add: dict[type, list[tuple[Control, Target]]] = field(
        default_factory=lambda: {DocumentLink: [], TicketLink: []}
    )
    links_to_remove: dict[type, list[int]] = field(default_factory=lambda: {DocumentLink: [], TicketLink: []})
    changes: dict[int, ControlChange] = field(default_factory=dict)  # by control, in the file's order
    _removing: list | None = None

    def control_changes(self) -> list[ControlChange]:
        """What the import changes, row by row: each column before -> after, the links added and removed."""
        for link in self.links_removing():
            target = link.document if isinstance(link, DocumentLink) else link.ticket
            name = document_identity(target) if isinstance(link, DocumentLink) else ticket_identity(target)
            kind = "document" if isinstance(link, DocumentLink) else "ticket"
            self.changes[link.control_id].links_removed.append(f"{kind} {name}")
        changes = [change for change in self.changes.values() if change]
        for change in changes:
            change.links_removed.sort()
        return changes

    @property
    def links_added(self) -> int:
        return sum(map(len, self.links_to_add.values()))

    @property
    def links_removed(self) -> int:
        return sum(map(len, self.links_to_remove.values()))

    def links_removing(self) -> list[DocumentLink | TicketLink]:
        """The links this import removes, with their control, target and maker; read once, then apply() deletes
        these very rows."""
        if self._removing is None:
            self._removing = [link for model, pks in self.links_to_remove.items() for link in _fetch(model, pks)]
        return self._removing

    def apply(self, actor) -> None:
        reason = IMPORT_REASON
        records = [*self.new_documents.values(), *self.new_tickets.values()]
        if records:
            services.records_bulk_create(records=records, actor=actor, reason=reason)
        removed = self.links_removing()
        if removed:
            services.links_bulk_delete(links=removed, actor=actor, reason=reason)
        added = [
            model(control=control, **_target(model, target), linked_by=actor, origin=LinkOrigin.IMPORT)
            for model, pairs in self.links_to_add.items()
            for control, target in pairs
        ]
        if added:
            services.records_bulk_create(records=added, actor=actor, reason=reason)
        if self.changed_controls:
            services.controls_bulk_update(
                controls=self.changed_controls, fields=self.changed_fields, actor=actor, reason=reason
            )


def _target(model: type, target: Target) -> dict:
    name = "document" if model is DocumentLink else "ticket"
    return {f"{name}_id": target} if isinstance(target, int) else {name: target}


def _fetch(model: type, pks: list[int]) -> list:
    target = "document" if model is DocumentLink else "ticket"
    links = model.objects.select_related("control__framework", "linked_by", target).order_by()
    return [link for chunk in _chunks(pks) for link in links.filter(pk__in=chunk)]


def link_origin(link: DocumentLink | TicketLink) -> str:
    """Who or what made a link: a person (named), a webhook, or an earlier import."""
    who = link.linked_by.get_username() if link.linked_by else "someone since removed"
    if link.origin == LinkOrigin.WEBHOOK:
        return "a webhook"
    return f"an import by {who}" if link.origin == LinkOrigin.IMPORT else who


def describe_removal(link: DocumentLink | TicketLink) -> str:
    """`iso27001-2022 A.8.20: ticket jira:SEC-12, linked 2026-11-30 by a webhook`"""
    if isinstance(link, DocumentLink):
        target = f"document {document_identity(link.document)}"
    else:
        target = f"ticket {ticket_identity(link.ticket)}"
    control = f"{link.control.framework.slug} {link.control.ref}"
    return f"{control}: {target}, linked {link.linked_at:%Y-%m-%d} by {link_origin(link)}"


def removal_overview(links: list[DocumentLink | TicketLink]) -> str:
    """`12 links on 5 controls: 7 by engineer, 4 by a webhook, 1 by an import by ciso`"""
    makers = Counter(link_origin(link) for link in links)
    controls = len({link.control_id for link in links})
    made = ", ".join(f"{count} by {maker}" for maker, count in makers.most_common())
    return f"{_count(len(links), 'link')} on {_count(controls, 'control')}: {made}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _chunks(values, size: int = CHUNK_SIZE):
    """Bound the parameters of one query (PostgreSQL takes 65,535 at most, SQLite 32,766)."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Lookup:
    """Everything the rows refer to, read in nine queries (more only past 5,000 documents or tickets named)."""

    def __init__(self, rows: list[Row]):
        cells = [row.cells for row in rows]
        self.frameworks: dict[str, str] = {}  # a framework's slug, and its name (the SoA's column), -> its slug
        for slug, name in Framework.objects.values_list("slug", "name"):
            self.frameworks[slug] = self.frameworks[name] = slug
        slugs = {self.frameworks.get(c["framework"].strip()) for c in cells} - {None}
        self.controls = {
            (control.framework.slug, control.ref): control
            for control in Control.objects.select_related("framework", "owner").filter(
                framework__slug__in=slugs, ref__in={c["ref"].strip() for c in cells}
            )
        }
        username = get_user_model().USERNAME_FIELD
        names = {c.get("owner", "").strip() for c in cells} - {""}
        users = get_user_model().objects.filter(**{f"{username}__in": names}).select_related("membership")
        self.users = {user.get_username(): user for user in users}

        tokens = {token for c in cells for token in list_items(c.get("documents", ""))}
        self.documents: dict[str, set[int]] = defaultdict(set)
        self.url_of_title: dict[str, str] = {}  # for the hint when a document with a URL is named by its title
        for chunk in _chunks(tokens):
            found = Document.objects.filter(Q(url__in=chunk) | Q(title__in=chunk)).values_list("pk", "title", "url")
            for pk, title, url in found:
                if (url or title) in tokens:
                    self.documents[url or title].add(pk)
                else:
                    self.url_of_title[title] = url

        keys = {token.partition(":")[2].strip() for c in cells for token in list_items(c.get("tickets", ""))}
        self.tickets: dict[tuple[str, str], int] = {}
        for chunk in _chunks(keys):
            found = Ticket.objects.filter(key__in=chunk).values_list("system", "key", "pk")
            self.tickets.update(((system, key), pk) for system, key, pk in found)

        ids = [control.pk for control in self.controls.values()]
        self.links: dict[type, dict[int, dict[int, int]]] = {}  # model -> control -> target -> link
        for model, target in ((DocumentLink, "document_id"), (TicketLink, "ticket_id")):
            self.links[model] = defaultdict(dict)
            for pk, control_id, target_id in model.objects.filter(control_id__in=ids).values_list(
                "pk", "control_id", target
            ):
                self.links[model][control_id][target_id] = pk


def plan_import(rows: list[Row]) -> RegisterPlan:
    planner = _Planner(_Lookup(rows))
    for row in rows:
        planner.check(row)
    if planner.errors:
        raise RegisterInvalid(planner.errors)
    return planner.plan


class _Planner:
    def __init__(self, lookup: _Lookup):
        self.lookup = lookup
        self.errors: list[RegisterError] = []
        self.plan = RegisterPlan()
        self.seen: dict[tuple[str, str], int] = {}

    def error(self, row: Row, column: str, message: str) -> None:
        self.errors.append(RegisterError(row.number, column, message))

    def check(self, row: Row) -> None:
        control = self._control(row)
        if control is None:
            return
        before = len(self.errors)
        cells = row.cells
        wanted = {}
        if "applicable" in cells:
            wanted["applicable"] = self._word(row, "applicable", APPLICABLE_WORDS, "yes or no")
        if "status" in cells:
            wanted["status"] = self._word(row, "status", STATUS_WORDS, STATUS_LIST)
        owner = self._owner(row) if "owner" in cells else None
        documents = self._targets(row, "documents", self._document)
        tickets = self._targets(row, "tickets", self._ticket)
        if len(self.errors) > before:
            return
        changed = {name: value for name, value in wanted.items() if getattr(control, name) != value}
        if "owner" in cells and (owner.pk if owner else None) != control.owner_id:
            changed["owner"] = owner
        justification = cells.get("justification", control.justification)
        # Line ends inside a cell carry no meaning, and XLSX cannot keep a CR: a CRLF -> LF alone is no change.
        if _lines(justification) != _lines(control.justification):
            changed["justification"] = justification
        # The rule every write path asks; its messages name the columns, which are the record's fields.
        refusal = control.record_errors(**changed)
        for column, message in refusal.items():
            self.error(row, column, message)
        if refusal:
            return
        change = ControlChange(row=row.number, control=f"{control.framework.slug} {control.ref}")
        if changed:
            change.fields = [FieldChange(n, field_text(control, n), field_text(changed, n)) for n in changed]
            for name, value in changed.items():
                setattr(control, name, value)
            self.plan.changed_controls.append(control)
            self.plan.changed_fields.update(changed)
        if documents is not None:
            change.links_added += [f"document {t}" for t in self._diff_links(DocumentLink, control, documents)]
        if tickets is not None:
            change.links_added += [f"ticket {t}" for t in self._diff_links(TicketLink, control, tickets)]
        self.plan.changes[control.pk] = change

    def _targets(self, row: Row, column: str, target_of) -> dict[str, Target | None] | None:
        """The cell's links by the name it gives each; None when the file has no such column (links left alone)."""
        if column not in row.cells:
            return None
        return {token: target_of(row, token) for token in list_items(row.cells[column])}

    def _diff_links(self, model: type, control: Control, targets: dict[str, Target]) -> list[str]:
        """Plan the control's links to become `targets` (by the name the file gives each); the names added."""
        existing = self.lookup.links[model][control.pk]
        added = {name: t for name, t in targets.items() if not isinstance(t, int) or t not in existing}
        self.plan.links_to_add[model] += [(control, target) for target in added.values()]
        kept = {target for target in targets.values() if isinstance(target, int)}
        self.plan.links_to_remove[model] += [link for target, link in existing.items() if target not in kept]
        return sorted(added)

    def _control(self, row: Row) -> Control | None:
        named, ref = row.cells["framework"].strip(), row.cells["ref"].strip()
        slug = self.lookup.frameworks.get(named)
        if slug is None:
            known = ", ".join(sorted(set(self.lookup.frameworks.values())))
            self.error(row, "framework", f"no framework '{named}' (known: {known})")
            return None
        control = self.lookup.controls.get((slug, ref))
        if control is None:
            self.error(row, "ref", f"no control '{ref}' in {slug}")
            return None
        if (slug, ref) in self.seen:
            self.error(row, "ref", f"{slug} {ref} is already on row {self.seen[slug, ref]}")
            return None
        self.seen[slug, ref] = row.number
        title = row.cells.get("title", "").strip()
        if title and title != control.title:
            self.error(row, "title", f"the catalog calls {ref} '{control.title}'; titles cannot be changed by import")
        return control

    def _word(self, row: Row, column: str, words: dict, expected: str):
        text = row.cells[column].strip()
        if text.lower() not in words:
            self.error(row, column, f"'{text}' is not one of: {expected}")
            return None
        return words[text.lower()]

    def _owner(self, row: Row):
        name = row.cells["owner"].strip()
        if name and name not in self.lookup.users:
            self.error(row, "owner", f"no user named '{name}'")
        return self.lookup.users.get(name)

    def _document(self, row: Row, token: str) -> int | Document | None:
        found = self.lookup.documents.get(token, set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            message = f"{len(found)} documents are known as '{token}'; make their URLs or titles distinct"
            self.error(row, "documents", message)
        elif not is_url(token):
            hint = self.lookup.url_of_title.get(token)
            self.error(
                row,
                "documents",
                f"no document titled '{token}' without a URL"
                + (f"; it has a URL, so write {hint}" if hint else "; add it first, or write its URL"),
            )
        elif len(token) > URL_MAX_LENGTH or not _valid_url(token):
            self.error(row, "documents", f"'{token}' is not a valid http(s) URL of at most {URL_MAX_LENGTH} characters")
        else:
            return self.plan.new_documents.setdefault(token, Document(title=token[:TITLE_MAX_LENGTH], url=token))
        return None

    def _ticket(self, row: Row, token: str) -> int | Ticket | None:
        system, colon, key = token.partition(":")
        system, key = system.strip().lower(), key.strip()
        if not colon or not key:
            self.error(row, "tickets", f"'{token}' is not system:key, e.g. github:acme/infra#7 or jira:SEC-12")
            return None
        if system not in TICKET_KEYS:
            known = ", ".join(TICKET_KEYS)
            self.error(row, "tickets", f"unknown ticket system '{system}' in '{token}' (known: {known})")
            return None
        ticket = self.lookup.tickets.get((system, key)) or self.plan.new_tickets.get((system, key))
        if ticket is None:
            pattern, example = TICKET_KEYS[system]
            if len(key) > KEY_MAX_LENGTH or not pattern.fullmatch(key):
                self.error(row, "tickets", f"'{key}' is not a {system} ticket key (like {example})")
                return None
            ticket = self.plan.new_tickets[system, key] = Ticket(system=system, key=key)
        return ticket


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n")


def _valid_url(url: str) -> bool:
    try:
        validate_http_url(url)
    except ValidationError:
        return False
    return True
