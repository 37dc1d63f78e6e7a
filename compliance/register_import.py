"""Checking an imported register against the database, and writing only what it changes.

plan_import() reads what the rows refer to in a constant number of queries, checks every row and raises
RegisterInvalid with every problem at once; RegisterPlan.apply() writes the differences in bulk through
compliance.services, so each history row names the person the import is recorded against.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
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


@dataclass
class RegisterPlan:
    changed_controls: list[Control] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    new_documents: dict[str, Document] = field(default_factory=dict)
    new_tickets: dict[tuple[str, str], Ticket] = field(default_factory=dict)
    links_to_add: list[tuple[Control, Document | Ticket]] = field(default_factory=list)
    links_to_remove: list[DocumentLink | TicketLink] = field(default_factory=list)

    def apply(self, actor) -> None:
        reason = IMPORT_REASON
        records = [*self.new_documents.values(), *self.new_tickets.values()]
        if records:
            services.records_bulk_create(records=records, actor=actor, reason=reason)
        if self.links_to_remove:
            services.links_bulk_delete(links=self.links_to_remove, actor=actor, reason=reason)
        if self.links_to_add:
            links = [
                DocumentLink(control=control, document=target, linked_by=actor, origin=LinkOrigin.IMPORT)
                if isinstance(target, Document)
                else TicketLink(control=control, ticket=target, linked_by=actor, origin=LinkOrigin.IMPORT)
                for control, target in self.links_to_add
            ]
            services.records_bulk_create(records=links, actor=actor, reason=reason)
        if self.changed_controls:
            services.controls_bulk_update(
                controls=self.changed_controls, fields=self.changed_fields, actor=actor, reason=reason
            )


class _Lookup:
    """Everything the rows refer to, read in seven queries however many rows and links there are."""

    def __init__(self, rows: list[Row]):
        cells = [row.cells for row in rows]
        self.frameworks = set(Framework.objects.values_list("slug", flat=True))
        self.controls = {
            (control.framework.slug, control.ref): control
            for control in Control.objects.select_related("framework").filter(
                framework__slug__in={c["framework"].strip() for c in cells}, ref__in={c["ref"].strip() for c in cells}
            )
        }
        username = get_user_model().USERNAME_FIELD
        names = {c["owner"].strip() for c in cells} - {""}
        users = get_user_model().objects.filter(**{f"{username}__in": names})
        self.users = dict(users.values_list(username, "pk"))

        tokens = {token for c in cells for token in list_items(c["documents"])}
        self.documents: dict[str, list[Document]] = defaultdict(list)
        self.url_of_title: dict[str, str] = {}  # for the hint when a document with a URL is named by its title
        for document in Document.objects.filter(Q(url__in=tokens) | Q(title__in=tokens)).only("id", "title", "url"):
            if document_identity(document) in tokens:
                self.documents[document_identity(document)].append(document)
            else:
                self.url_of_title[document.title] = document.url

        keys = {token.partition(":")[2].strip() for c in cells for token in list_items(c["tickets"])}
        tickets = Ticket.objects.filter(key__in=keys).only("id", "system", "key")
        self.tickets = {(ticket.system, ticket.key): ticket for ticket in tickets}

        ids = [control.pk for control in self.controls.values()]
        self.document_links: dict[int, dict[int, DocumentLink]] = defaultdict(dict)
        for link in DocumentLink.objects.filter(control_id__in=ids):
            self.document_links[link.control_id][link.document_id] = link
        self.ticket_links: dict[int, dict[int, TicketLink]] = defaultdict(dict)
        for link in TicketLink.objects.filter(control_id__in=ids):
            self.ticket_links[link.control_id][link.ticket_id] = link


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
        applicable = self._word(row, "applicable", APPLICABLE_WORDS, "yes or no")
        status = self._word(row, "status", STATUS_WORDS, ", ".join(ControlStatus.values))
        owner_id = self._owner(row)
        documents = [d for token in list_items(row.cells["documents"]) if (d := self._document(row, token))]
        tickets = [t for token in list_items(row.cells["tickets"]) if (t := self._ticket(row, token))]
        if len(self.errors) > before:
            return
        wanted = {"applicable": applicable, "status": status, "owner_id": owner_id}
        changed = {name: value for name, value in wanted.items() if getattr(control, name) != value}
        justification = row.cells["justification"]
        # Line ends inside a cell carry no meaning, and XLSX cannot keep a CR: a CRLF -> LF alone is no change.
        if _lines(justification) != _lines(control.justification):
            changed["justification"] = justification
        if changed:
            for name, value in changed.items():
                setattr(control, name, value)
            self.plan.changed_controls.append(control)
            self.plan.changed_fields.update(name.removesuffix("_id") for name in changed)
        self._diff_links(control, documents, self.lookup.document_links[control.pk])
        self._diff_links(control, tickets, self.lookup.ticket_links[control.pk])

    def _diff_links(self, control: Control, targets: list, existing: dict) -> None:
        self.plan.links_to_add += [(control, t) for t in targets if t.pk is None or t.pk not in existing]
        wanted = {t.pk for t in targets}
        self.plan.links_to_remove += [link for pk, link in existing.items() if pk not in wanted]

    def _control(self, row: Row) -> Control | None:
        slug, ref = row.cells["framework"].strip(), row.cells["ref"].strip()
        if slug not in self.lookup.frameworks:
            known = ", ".join(sorted(self.lookup.frameworks))
            self.error(row, "framework", f"no framework '{slug}' (known: {known})")
            return None
        control = self.lookup.controls.get((slug, ref))
        if control is None:
            self.error(row, "ref", f"no control '{ref}' in {slug}")
            return None
        if (slug, ref) in self.seen:
            self.error(row, "ref", f"{slug} {ref} is already on row {self.seen[slug, ref]}")
            return None
        self.seen[slug, ref] = row.number
        title = row.cells["title"].strip()
        if title and title != control.title:
            self.error(row, "title", f"the catalog calls {ref} '{control.title}'; titles cannot be changed by import")
        return control

    def _word(self, row: Row, column: str, words: dict, expected: str):
        text = row.cells[column].strip()
        if text.lower() not in words:
            self.error(row, column, f"'{text}' is not one of: {expected}")
            return None
        return words[text.lower()]

    def _owner(self, row: Row) -> int | None:
        name = row.cells["owner"].strip()
        if name and name not in self.lookup.users:
            self.error(row, "owner", f"no user named '{name}'")
        return self.lookup.users.get(name)

    def _document(self, row: Row, token: str) -> Document | None:
        found = self.lookup.documents.get(token, [])
        if len(found) == 1:
            return found[0]
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

    def _ticket(self, row: Row, token: str) -> Ticket | None:
        system, colon, key = token.partition(":")
        system, key = system.strip().lower(), key.strip()
        if not colon or not key:
            self.error(row, "tickets", f"'{token}' is not system:key, e.g. github:acme/infra#7 or jira:SEC-12")
            return None
        if system not in TicketSystem.values:
            known = ", ".join(TicketSystem.values)
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
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True
