"""The register as a spreadsheet: export it to CSV or XLSX, and import it back all or nothing.

One row per control, columns in this order, cells the same in CSV and XLSX:
- framework: the framework's slug (`iso27001-2022`); ref: the control's ref (`A.8.20`).
- title: the catalog's title. Import checks it when not blank (a mismatch means rows were shifted or a ref
  mistyped) and never changes it.
- applicable: `yes` or `no`.  justification: free text.
- status: `not_started`, `in_progress`, `implemented` or `not_applicable` (import also takes the labels, any case).
- owner: a username, blank for none.
- documents: each linked document as its URL, or as its title when it has no URL; sorted, `; `-separated.
  Import creates a document for a URL that no document has (titled with the URL until someone renames it);
  a title must name an existing document without a URL.
- tickets: `system:key` (`github:acme/infra#7`, `jira:SEC-12`), sorted, `; `-separated; import creates the
  tickets it does not know.
- evidence count, exemptions (titles of active exemptions): to read; import ignores them.
Only framework and ref are required: a column absent from the file leaves that field (or those links) alone.
The Statement of Applicability the audit page exports (CSV and XLSX, and the audit package's copy) is the same
format: its headers are matched without regard to case, `Framework` may hold the framework's name
(`ISO/IEC 27001:2022 Annex A`) as well as its slug, `Applicable` is `Yes`/`No`, `Status` a label; it has no documents
or tickets columns, so importing it never touches links. Its `Theme`, `Evidence items`, `Evidence fresh until`
and `Active exemptions` columns are to read, and ignored like evidence count and exemptions.
(The audit package's evidence indexes, controls/*/index.csv, list evidence, not controls: their columns are refused.)
In these list cells `\\;` is a semicolon inside an item and `\\\\` a backslash (a title like `Runbook; v2`).
The documents and tickets cells hold a control's whole set of links: import removes a link missing from the cell.
Controls absent from the file are left alone. Cells are written by config/spreadsheets.py (formula-looking text
gets one more leading `'`, which import removes again; control characters are dropped from XLSX only).
CSV is UTF-8 (a BOM is accepted), comma-separated, quoted only where needed, with CRLF line ends (RFC 4180).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch

from accounts import roles
from accounts.models import Role
from compliance.models import Control, Document, Exemption, Ticket
from compliance.register_import import (
    ControlChange,
    RegisterError,
    RegisterInvalid,
    Row,
    describe_removal,
    document_identity,
    join_items,
    plan_import,
    removal_overview,
    ticket_identity,
)
from config import spreadsheets

__all__ = [
    "COLUMNS",
    "LinksWouldBeRemoved",
    "PreviewOutdated",
    "RegisterError",
    "RegisterInvalid",
    "Row",
    "export_csv",
    "export_xlsx",
    "import_register",
    "parse_register",
    "register_rows",
]

COLUMNS = [
    "framework",
    "ref",
    "title",
    "applicable",
    "justification",
    "status",
    "owner",
    "documents",
    "tickets",
    "evidence count",
    "exemptions",
]
COLUMN_WIDTHS = [16, 10, 40, 11, 50, 15, 14, 50, 40, 10, 30]
KEY_COLUMNS = ("framework", "ref")  # every file names its controls; the other columns are each optional
# The Statement of Applicability (/audit/ and the audit package) names some columns its own way, and adds some
# to read: one import format, so any export the app offers can be edited and imported back.
COLUMN_ALIASES = {"evidence items": "evidence count", "active exemptions": "exemptions"}
READ_ONLY_COLUMNS = ("theme", "evidence count", "evidence fresh until", "exemptions")
KNOWN_COLUMNS = (*COLUMNS, "theme", "evidence fresh until")
MAX_ROWS = 5000  # far above any catalog; stops a crafted file from making us build millions of rows
NUL = "\x00"
CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")  # <c r="A1" ...>, <x:c ...>; not <col>, <cfRule>, <cols>
XML_ELEMENT = re.compile(rb"<[^/?!]")  # an element's start tag (not an end tag, declaration or comment)
MAX_XML_ELEMENTS = 1_000_000  # all parts together; a 5,000-row register needs about 300,000
XML_SCAN_CHUNK = 1024 * 1024
MAX_COLUMNS = 50  # a row (or a sheet's declared dimension) wider than this is refused before it is read on
MAX_CELLS = 100_000  # cells read in all (a register of 5,000 rows with notes beside it), however the rows are shaped
XLSX_MAX_UNPACKED_RATIO = 20  # an XLSX may unpack to this many times the upload limit, no more (zip bombs)
SIGNATURES = [
    (b"PK\x03\x04", "an XLSX workbook or ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.xls); save it as .xlsx"),
    (b"\xff\xfe", "UTF-16 text; save it as CSV UTF-8"),
    (b"\xfe\xff", "UTF-16 text; save it as CSV UTF-8"),
    (b"\x1f\x8b", "a gzip archive"),
]


def _fail(message: str, row: int | None = None, column: str = "") -> RegisterInvalid:
    return RegisterInvalid([RegisterError(row, column, message)])


# Export


def register_rows(framework: str | None = None) -> list[dict[str, str]]:
    """The register as cell texts, in catalog order; four queries however many links there are."""
    controls = Control.objects.select_related("framework", "owner", "state").prefetch_related(
        Prefetch("documents", queryset=Document.objects.order_by().only("id", "title", "url")),
        Prefetch("tickets", queryset=Ticket.objects.order_by().only("id", "system", "key")),
        Prefetch(
            "exemptions",
            queryset=Exemption.objects.active().order_by().only("id", "title"),
            to_attr="active_exemptions",
        ),
    )
    if framework:
        controls = controls.in_framework(framework)
    rows = []
    # Sorted here, not by the database, so the order does not depend on the database's collation.
    for control in sorted(controls, key=lambda c: (c.framework.slug, c.sort_key)):
        state = getattr(control, "state", None)
        rows.append(
            {
                "framework": control.framework.slug,
                "ref": control.ref,
                "title": control.title,
                "applicable": "yes" if control.applicable else "no",
                "justification": control.justification,
                "status": control.status,
                "owner": control.owner.get_username() if control.owner else "",
                "documents": join_items(document_identity(d) for d in control.documents.all()),
                "tickets": join_items(ticket_identity(t) for t in control.tickets.all()),
                "evidence count": str(state.evidence_count if state else 0),
                "exemptions": join_items(e.title for e in control.active_exemptions),
            }
        )
    return rows


def export_csv(rows: list[dict[str, str]], stream: TextIO) -> None:
    """Open a file for this with newline="" and encoding="utf-8": the writer chooses the line ends."""
    spreadsheets.write_csv(stream, COLUMNS, ([row[column] for column in COLUMNS] for row in rows))


def export_xlsx(rows: list[dict[str, str]], path: str | Path | BinaryIO) -> None:
    """As the CSV, except that control characters XML cannot hold are dropped, and the evidence count is a number."""
    count = COLUMNS.index("evidence count")
    cells = ([int(row[c]) if i == count else row[c] for i, c in enumerate(COLUMNS)] for row in rows)
    spreadsheets.write_xlsx(path, sheet="Register", header=COLUMNS, rows=cells, widths=COLUMN_WIDTHS)


# Reading a file


def parse_register(file: str | Path | BinaryIO, *, name: str | None = None) -> list[Row]:
    """The rows of a CSV or XLSX register, or RegisterInvalid listing what is wrong with the file."""
    name = name or getattr(file, "name", None) or str(file)
    limit = settings.REGISTER_IMPORT_MAX_BYTES
    if isinstance(file, str | Path):
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    else:
        data = file.read(limit + 1)
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _fail(f"only .csv and .xlsx files can be imported, not '{suffix or name}'")
    if not data:
        raise _fail("the file is empty")
    if len(data) > limit:
        raise _fail(f"the file is larger than the import limit of {limit:,} bytes (REGISTER_IMPORT_MAX_BYTES)")
    content = _content_kind(data)
    if suffix == ".csv":
        if content != "text":
            raise _fail(f"the file is named .csv but holds {content}")
        return _rows_from_table(_csv_table(data), pad_short_rows=False)
    if content != SIGNATURES[0][1]:
        raise _fail(f"the file is named .xlsx but holds {'CSV or other text' if content == 'text' else content}")
    table, formulas = _xlsx_table(data, limit)
    return _rows_from_table(table, pad_short_rows=True, formulas=formulas)


def _content_kind(data: bytes) -> str:
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    return "binary data" if b"\x00" in data[:8192] else "text"


def _csv_table(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(f"not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line}); save it as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table, bounds = [], _Bounds()
    try:
        for number, cells in enumerate(reader, start=1):
            bounds.check(number, len(cells))
            table.append(cells)
    except csv.Error as exc:
        raise _fail(f"not valid CSV near line {reader.line_num}: {exc}") from None
    if table and len(table[0]) == 1 and (";" in table[0][0] or "\t" in table[0][0]):
        raise _fail("the columns are separated by ';' or tabs; export it with commas (CSV UTF-8)", row=1)
    return table


def _xlsx_table(data: bytes, limit: int) -> tuple[list[list[str]], set[tuple[int, int]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > XLSX_MAX_UNPACKED_RATIO * limit:
                raise _fail(f"the workbook unpacks to {unpacked:,} bytes, more than an import may hold")
            _check_xml_parts(archive)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise _fail("not a readable XLSX workbook (damaged ZIP)") from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, its own) on a bad workbook
        raise _fail(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = workbook["Register"] if "Register" in workbook.sheetnames else workbook.worksheets[0]
        _check_dimension(sheet)
        # Rows as wide as their own cells, not padded to the declared width (which may lie); at most one row
        # more than MAX_ROWS is read.
        sheet.reset_dimensions()
        table, formulas, bounds = [], set(), _Bounds()
        for number, cells in enumerate(sheet.iter_rows(max_row=MAX_ROWS + 2), start=1):
            bounds.check(number, len(cells))
            table.append([_xlsx_text(cell.value) for cell in cells])
            formulas.update((number, index) for index, cell in enumerate(cells) if cell.data_type == "f")
    finally:
        workbook.close()
    return table, formulas


class _Bounds:
    """What a file makes us read, stopped at the first sign it is no register: more than MAX_ROWS rows, a row
    wider than MAX_COLUMNS, more than MAX_CELLS cells in all. Checked row by row, before a row is kept."""

    def __init__(self):
        self.cells = 0

    def check(self, number: int, width: int) -> None:
        if number > MAX_ROWS + 1:
            raise _fail(f"more than {MAX_ROWS:,} rows")
        if width > MAX_COLUMNS:
            raise _fail(f"{width:,} columns; a register has {len(COLUMNS)} (at most {MAX_COLUMNS} are read)", number)
        self.cells += width
        if self.cells > MAX_CELLS:
            raise _fail(f"more than {MAX_CELLS:,} cells in all; a register has {len(COLUMNS)} a row", number)


def _check_dimension(sheet) -> None:
    """Refuse a sheet whose declared size is absurd before reading a row of it."""
    columns, rows = sheet.max_column or 0, sheet.max_row or 0
    if columns > MAX_COLUMNS or rows > MAX_ROWS + 1:
        declared = f"{sheet.calculate_dimension()} ({rows:,} rows by {columns:,} columns)"
        raise _fail(
            f"the sheet declares {declared}; a register has at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns"
        )


def _check_xml_parts(archive: zipfile.ZipFile) -> None:
    """Count the workbook's XML elements, and each sheet's cells, with a byte scan before openpyxl reads any:
    its time grows with them (a crafted row can hold millions in a few hundred KB); the scan stops at the bound."""
    elements = 0
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        cells = 0
        with archive.open(info) as part:
            for text in _scan_windows(part):
                elements += len(XML_ELEMENT.findall(text))
                cells += len(CELL_TAG.findall(text))
                if elements > MAX_XML_ELEMENTS:
                    raise _fail(
                        f"the workbook holds more than {MAX_XML_ELEMENTS:,} XML elements, far more than a register"
                    )
                if cells > MAX_CELLS and info.filename.startswith("xl/worksheets/"):
                    raise _fail(f"the sheet holds more than {MAX_CELLS:,} cells; a register has {len(COLUMNS)} a row")


def _scan_windows(stream):
    """The stream in pieces that split no tag: each piece ends just before its last `<`."""
    pending = b""
    for chunk in iter(lambda: stream.read(XML_SCAN_CHUNK), b""):
        data = pending + chunk
        cut = data.rfind(b"<")
        cut = len(data) if cut <= 0 else cut
        yield data[:cut]
        pending = data[cut:]
    yield pending


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _header(cells: list[str]) -> list[str]:
    """The column names, as the import knows them, or RegisterInvalid naming each unknown, twice-named or
    missing column."""
    header = [COLUMN_ALIASES.get(name, name) for name in (cell.strip().lower() for cell in cells)]
    while header and not header[-1]:
        header.pop()
    errors = [
        RegisterError(1, cells[index] or f"column {index + 1}", "not a register column")
        for index, name in enumerate(header)
        if name not in KNOWN_COLUMNS
    ]
    errors += [RegisterError(1, name, "the column appears twice") for name in KNOWN_COLUMNS if header.count(name) > 1]
    errors += [RegisterError(1, name, "missing column") for name in KEY_COLUMNS if name not in header]
    if errors:
        raise RegisterInvalid(errors)
    return header


def _rows_from_table(table: list[list[str]], *, pad_short_rows: bool, formulas=frozenset()) -> list[Row]:
    while table and not any(cell.strip() for cell in table[-1]):
        table.pop()
    if not table:
        raise _fail("the file is empty")
    header = _header(table[0])
    errors: list[RegisterError] = []
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        extra = cells[len(header) :]
        if any(cell.strip() for cell in extra) or (len(cells) < len(header) and not pad_short_rows):
            errors.append(RegisterError(number, "", f"{len(cells)} cells where the header has {len(header)}"))
            continue
        cells = cells + [""] * (len(header) - len(cells))
        # PostgreSQL text cannot hold NUL: refused here with its place, not later as a database error.
        errors += [
            RegisterError(number, header[i], "holds a NUL character") for i, c in enumerate(cells) if "\x00" in c
        ]
        for index in sorted(i for r, i in formulas if r == number):
            errors.append(RegisterError(number, header[index], "holds a formula; type the value instead"))
        rows.append(Row(number, {name: spreadsheets.restore(cells[index]) for index, name in enumerate(header)}))
    if errors:
        raise RegisterInvalid(errors)
    if not rows:
        raise _fail("the file has a header but no controls")
    return rows


# Importing


@dataclass
class ImportSummary:
    rows: int
    dry_run: bool
    controls_changed: int = 0
    documents_created: int = 0
    tickets_created: int = 0
    links_added: int = 0
    links_removed: int = 0
    removals: list[str] = field(default_factory=list)  # each link removed: control, target, when and by whom
    removal_overview: str = ""
    changes: list[ControlChange] = field(default_factory=list)  # row by row, what a preview shows

    @property
    def fingerprint(self) -> str:
        """Names exactly these changes: a confirmation must find the same, or the register moved since its preview."""
        text = json.dumps([asdict(change) for change in self.changes], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def __str__(self) -> str:
        return (
            f"{self.rows} rows: {self.controls_changed} controls changed, {self.links_added} links added, "
            f"{self.links_removed} links removed, {self.documents_created} documents and "
            f"{self.tickets_created} tickets created"
        ) + (" (dry run: nothing was written)" if self.dry_run else "")


class LinksWouldBeRemoved(Exception):
    """The import would remove links and was not confirmed: nothing was written. `summary` lists them."""

    def __init__(self, summary: ImportSummary):
        self.summary = summary
        super().__init__(
            f"the import would remove {summary.removal_overview}; nothing was imported. "
            "Run it again with --confirm to remove them, or add them to the file"
        )


class PreviewOutdated(Exception):
    """The file no longer makes the changes its preview showed (the register changed since): nothing was written."""

    def __init__(self, summary: ImportSummary):
        self.summary = summary
        super().__init__("The register changed since this file was previewed; nothing was imported. Preview it again.")


def default_actor():
    """The person an import is recorded against when none is named: the first CISO."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    return users.filter(membership__role=Role.CISO).first() or users.filter(is_superuser=True).first()


def import_register(
    rows: list[Row], *, actor, dry_run: bool = False, confirm: bool = False, previewed: str | None = None
) -> ImportSummary:
    """Validate every row, then write only what changed, in bulk, in one transaction; or raise RegisterInvalid.

    A file's documents and tickets cells are a control's whole set of links, so an older export would remove
    links made since (by people, webhooks, other imports). Unless `confirm`, such an import writes nothing and
    raises LinksWouldBeRemoved, which lists them. `previewed` is the fingerprint of the dry run a person saw:
    if the changes are not those any more, PreviewOutdated and nothing is written."""
    if not roles.can_manage(actor):
        raise PermissionDenied("Only the CISO can import the register.")
    with transaction.atomic():
        plan = plan_import(rows)
        removing = plan.links_removing()
        summary = ImportSummary(
            rows=len(rows),
            dry_run=dry_run,
            controls_changed=len(plan.changed_controls),
            documents_created=len(plan.new_documents),
            tickets_created=len(plan.new_tickets),
            links_added=plan.links_added,
            links_removed=plan.links_removed,
            removals=sorted(describe_removal(link) for link in removing),
            removal_overview=removal_overview(removing) if removing else "",
            changes=plan.control_changes(),
        )
        if previewed is not None and previewed != summary.fingerprint:
            raise PreviewOutdated(summary)
        if removing and not (confirm or dry_run):
            raise LinksWouldBeRemoved(summary)
        if not dry_run:
            plan.apply(actor)
    return summary
