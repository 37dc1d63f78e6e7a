"""Every spreadsheet the app exports is one import format: exported and imported unchanged it changes nothing;
with one cell edited it changes exactly that cell."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from compliance.models import Control, Document, DocumentLink, Ticket, TicketLink
from compliance.register_import import FieldChange
from compliance.register_io import import_register, parse_register
from evidence.package import SOA_NAME, Scope, package_write

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022"
EDITED = "Segmented by the VPC design (edited in the spreadsheet)"


@pytest.fixture
def register(catalogs, engineer):
    """A register with links, owners and justifications of the kinds that break naive spreadsheet code."""
    net = Control.objects.get(framework__slug=ISO, ref="A.8.20")
    Control.objects.filter(pk=net.pk).update(justification='=1+2, two lines\r\nand "quotes"', owner=engineer)
    Control.objects.filter(framework__slug=ISO, ref="A.5.1").update(
        applicable=False, justification="Not in scope: no such process", status="not_applicable"
    )
    DocumentLink.objects.create(document=Document.objects.create(title="Policy", url="https://wiki/net"), control=net)
    TicketLink.objects.create(ticket=Ticket.objects.create(system="jira", key="SEC-12"), control=net)
    net.refresh_from_db()
    return net


def register_csv(client) -> tuple[str, bytes]:
    out = io.StringIO()
    call_command("export_register", "--format", "csv", stdout=out)
    return "register.csv", out.getvalue().encode()


def register_xlsx(client, tmp_path) -> tuple[str, bytes]:
    path = tmp_path / "register.xlsx"
    call_command("export_register", "--format", "xlsx", "--out", str(path))
    return "register.xlsx", path.read_bytes()


def soa_csv(client) -> tuple[str, bytes]:
    return "soa.csv", client.get(reverse("audit-soa-csv")).content


def soa_xlsx(client) -> tuple[str, bytes]:
    return "soa.xlsx", client.get(reverse("audit-soa-xlsx") + f"?framework={ISO}").content


def package_soa(client) -> tuple[str, bytes]:
    out = io.BytesIO()
    package_write(out=out, scope=Scope(), requested_by="test")
    with zipfile.ZipFile(out) as archive:
        return "statement-of-applicability.csv", archive.read(SOA_NAME)


EXPORTS = {
    "register CSV": register_csv,
    "register XLSX": register_xlsx,
    "SoA CSV": soa_csv,
    "SoA XLSX": soa_xlsx,
    "audit package SoA": package_soa,
}


def export(name: str, client, tmp_path) -> tuple[str, bytes]:
    maker = EXPORTS[name]
    return maker(client, tmp_path) if maker is register_xlsx else maker(client)


def with_cell(name: str, data: bytes, ref: str, column: str, value: str) -> bytes:
    """The file as a person edits it: one cell of one control's row changed, the rest as exported."""
    if name.endswith(".xlsx"):
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        sheet = workbook.worksheets[0]
        header = [str(cell.value).lower() for cell in sheet[1]]
        for cells in sheet.iter_rows(min_row=2):
            if cells[header.index("ref")].value == ref:
                cells[header.index(column)].value = value
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = [cell.lower() for cell in table[0]]
    for cells in table[1:]:
        if cells[header.index("ref")] == ref and cells[0] in (ISO, "ISO/IEC 27001:2022 Annex A"):
            cells[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return out.getvalue().encode()


def preview(name: str, data: bytes, ciso):
    return import_register(parse_register(io.BytesIO(data), name=name), actor=ciso, dry_run=True)


@pytest.mark.parametrize("export_name", EXPORTS)
def test_an_export_imported_unchanged_changes_nothing(export_name, register, client, auditor, ciso, tmp_path):
    client.force_login(auditor)  # the auditor downloads the SoA; the CISO imports it
    name, data = export(export_name, client, tmp_path)
    summary = preview(name, data, ciso)
    assert summary.changes == [] and summary.controls_changed == summary.links_added == summary.links_removed == 0


@pytest.mark.parametrize("export_name", EXPORTS)
def test_an_export_with_one_cell_edited_changes_exactly_that_cell(
    export_name, register, client, auditor, ciso, tmp_path
):
    client.force_login(auditor)
    name, data = export(export_name, client, tmp_path)
    column = "justification"
    edited = with_cell(name, data, "A.8.20", column, EDITED)
    [change] = preview(name, edited, ciso).changes
    assert change.control == f"{ISO} A.8.20"
    assert change.fields == [FieldChange("justification", register.justification, EDITED)]
    assert change.links_added == change.links_removed == []

    import_register(parse_register(io.BytesIO(edited), name=name), actor=ciso)
    register.refresh_from_db()
    assert register.justification == EDITED
    assert preview(name, edited, ciso).changes == []  # imported: the file and the register agree again
    _, again = export(export_name, client, tmp_path)
    assert preview(name, again, ciso).changes == []


def test_the_soa_names_the_framework_and_the_status_as_people_read_them(register, client, auditor, ciso):
    client.force_login(auditor)
    name, data = soa_csv(client)
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:3] == ["Framework", "Ref", "Title"] and "documents" not in [c.lower() for c in header]
    edited = with_cell(name, data, "A.8.20", "status", "Implemented")
    [change] = preview(name, edited, ciso).changes
    assert change.fields == [FieldChange("status", "not_started", "implemented")]
    assert change.links_removed == []  # no documents or tickets columns: the links are left alone
