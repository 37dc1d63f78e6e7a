"""The register import refuses what would cost too much or lose data: who may own, NUL bytes, absurd
workbooks (before and while they are read), and links removed only when the CISO confirms."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Role
from compliance.models import Document, DocumentLink, Ticket, TicketLink
from compliance.register_io import COLUMNS, LinksWouldBeRemoved, import_register, parse_register
from tests.compliance.test_register_io import ISO, control, exported_csv, row, write_rows
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_an_auditor_or_a_person_whose_access_expired_cannot_own_a_control(
    catalogs, tmp_path, auditor, django_user_model, problems
):
    make_member(django_user_model, "leaver", Role.ENGINEER, expires_at=timezone.now() - timedelta(days=1))
    path = write_rows(tmp_path, [row("A.8.20", owner="auditor"), row("A.8.21", owner="leaver")])
    found = problems(path)
    assert [(r, c) for r, c, _ in found] == [(2, "owner"), (3, "owner")]
    assert control("A.8.20").owner is None and control("A.8.21").owner is None


def test_a_nul_anywhere_is_refused_with_its_row_and_column(catalogs, tmp_path, problems):
    # Past the first 8 KB, which is all the check for binary data looks at.
    rows = [row("A.8.20", justification="long " * 2000), row("A.8.21", justification="before\x00after")]
    found = problems(write_rows(tmp_path, rows))
    assert found == [(3, "justification", "holds a NUL character")]
    assert control("A.8.21").justification == ""


def wide_workbook(path, *, rows: int, keep_dimension: bool = True):
    """A small workbook whose every row has one cell in the sheet's last column (XFD, 16,384)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for number in range(2, rows + 2):
        sheet.append([ISO, "A.8.20"])
        sheet.cell(row=number, column=16_384, value="x")
    workbook.save(path)
    if not keep_dimension:  # a file may declare nothing, or lie: then the rows themselves are measured
        with zipfile.ZipFile(path) as original:
            parts = {info.filename: original.read(info) for info in original.infolist()}
        sheet_xml = parts["xl/worksheets/sheet1.xml"].decode()
        start = sheet_xml.index("<dimension")
        parts["xl/worksheets/sheet1.xml"] = (sheet_xml[:start] + sheet_xml[sheet_xml.index("/>", start) + 2 :]).encode()
        with zipfile.ZipFile(path, "w") as rewritten:
            for name, data in parts.items():
                rewritten.writestr(name, data)
    return path


def test_a_workbook_declaring_absurd_dimensions_is_refused_before_it_is_read(catalogs, tmp_path, problems):
    path = wide_workbook(tmp_path / "wide.xlsx", rows=200)
    started = time.process_time()
    [(row_number, _, message)] = problems(path)
    assert message.startswith("the sheet declares A1:XFD201 (201 rows by 16,384 columns)")
    assert "at most 5,000 rows and 50 columns" in message and row_number is None
    assert time.process_time() - started < 5  # 3.3 million padded cells read took minutes


def test_a_row_wider_than_a_register_is_refused_when_it_is_read(catalogs, tmp_path, problems):
    path = wide_workbook(tmp_path / "wide.xlsx", rows=200, keep_dimension=False)
    assert problems(path) == [(2, "", "16,384 columns; a register has 11 (at most 50 are read)")]
    (tmp_path / "wide.csv").write_text(",".join(COLUMNS) + "\r\n" + "," * 60 + "\r\n", encoding="utf-8")
    assert problems(tmp_path / "wide.csv") == [(2, "", "61 columns; a register has 11 (at most 50 are read)")]


def test_a_small_workbook_holding_a_million_cells_is_refused_before_openpyxl_reads_it(catalogs, tmp_path, problems):
    workbook = openpyxl.Workbook()
    workbook.active.append(COLUMNS)
    workbook.save(tmp_path / "r.xlsx")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    # One row of a million cells without addresses: 34 KB packed, 15 MB of XML, 7 s of openpyxl's time.
    wide_row = "<row>" + "<c><v>1</v></c>" * 1_000_000 + "</row>"
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", wide_row.encode() + b"</sheetData>"
    )
    with zipfile.ZipFile(tmp_path / "r.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as rewritten:
        for name, data in parts.items():
            rewritten.writestr(name, data)
    started = time.process_time()
    assert problems(tmp_path / "r.xlsx") == [
        (None, "", "the sheet holds more than 100,000 cells; a register has 11 a row")
    ]
    assert time.process_time() - started < 5


def test_more_cells_than_a_register_holds_are_refused(catalogs, tmp_path, settings, problems):
    line = ",".join(COLUMNS + ["note"] * 39) + "\r\n"  # 50 columns: each row is allowed, not 2,001 of them
    (tmp_path / "r.csv").write_text(line * 2001, encoding="utf-8")
    assert problems(tmp_path / "r.csv") == [(2001, "", "more than 100,000 cells in all; a register has 11 a row")]


@pytest.fixture
def linked_since(catalogs, tmp_path, ciso, engineer):
    """An export taken before links were made by hand and by a webhook; the file would remove them."""
    (tmp_path / "old.csv").write_bytes(exported_csv(ISO))
    policy = Document.objects.create(title="Network policy", url="https://wiki.example/net")
    ticket = Ticket.objects.create(system="jira", key="SEC-12")
    DocumentLink.objects.create(document=policy, control=control("A.8.20"), linked_by=engineer)
    TicketLink.objects.create(ticket=ticket, control=control("A.8.20"), origin="webhook")
    TicketLink.objects.create(ticket=ticket, control=control("A.5.1"), origin="webhook")
    return tmp_path / "old.csv"


def test_an_older_export_lists_the_links_it_would_remove_and_changes_nothing(linked_since):
    out = io.StringIO()
    with pytest.raises(CommandError, match="would remove 3 links on 2 controls: 2 by a webhook, 1 by engineer"):
        call_command("import_register", str(linked_since), stdout=out)
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert out.getvalue().splitlines() == [
        "Links would be removed: 3 links on 2 controls: 2 by a webhook, 1 by engineer",
        f"  iso27001-2022 A.5.1: ticket jira:SEC-12, linked {today} by a webhook",
        f"  iso27001-2022 A.8.20: document https://wiki.example/net, linked {today} by engineer",
        f"  iso27001-2022 A.8.20: ticket jira:SEC-12, linked {today} by a webhook",
    ]
    assert DocumentLink.objects.count() == 1 and TicketLink.objects.count() == 2


def test_nothing_at_all_is_written_until_the_removals_are_confirmed(linked_since, ciso):
    lines = linked_since.read_bytes().split(b"\r\n")
    lines = [line.replace(b",not_started,", b",implemented,") if b",A.8.21," in line else line for line in lines]
    linked_since.write_bytes(b"\r\n".join(lines))
    with pytest.raises(LinksWouldBeRemoved):
        import_register(parse_register(linked_since), actor=ciso)
    assert control("A.8.21").status == "not_started"

    out = io.StringIO()
    call_command("import_register", str(linked_since), "--confirm", stdout=out)
    assert "1 controls changed, 0 links added, 3 links removed" in out.getvalue()
    assert "Links removed: 3 links on 2 controls" in out.getvalue()
    assert control("A.8.21").status == "implemented"
    assert not DocumentLink.objects.exists() and not TicketLink.objects.exists()
    assert TicketLink.history.filter(history_type="-", history_user=ciso).count() == 2
