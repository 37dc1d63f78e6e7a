"""The register as a spreadsheet: a CISO exports it, edits it in Excel or LibreOffice, and imports it back."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import Control, ControlState, Document, DocumentLink, Exemption, Ticket, TicketLink
from compliance.register_io import (
    COLUMNS,
    export_csv,
    export_xlsx,
    import_register,
    parse_register,
    register_rows,
)
from tests.conftest import make_exemption, make_member

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022"


def control(ref: str, framework: str = ISO) -> Control:
    return Control.objects.select_related("framework").get(framework__slug=framework, ref=ref)


def exported_csv(framework: str | None = None) -> bytes:
    out = io.StringIO()
    call_command("export_register", "--format", "csv", *(["--framework", framework] if framework else []), stdout=out)
    return out.getvalue().encode("utf-8")


def write_rows(tmp_path, rows: list[dict], name: str = "register.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as stream:
        export_csv(rows, stream)
    return path


def row(ref: str, framework: str = ISO, **cells) -> dict:
    """The exported row of a control, with some cells changed as a person would in the spreadsheet."""
    exported = next(r for r in register_rows(framework) if r["ref"] == ref)
    return {**exported, **{name.replace("_", " "): value for name, value in cells.items()}}


@pytest.fixture
def traced(catalogs, engineer):
    """A register with the kinds of cells that break naive spreadsheet code."""
    policy = Document.objects.create(title="Network security policy", url="https://wiki.example/net")
    runbook = Document.objects.create(title="Firewall runbook; v2", kind="runbook")
    github = Ticket.objects.create(system="github", key="acme/infra#7")
    jira = Ticket.objects.create(system="jira", key="SEC-12")
    values = {
        "A.8.20": "=1+2",
        "A.8.21": "-starts with a dash",
        "A.8.22": "'=already quoted",
        "A.5.1": 'two lines,\r\nwith "quotes" and a comma',
        "A.5.2": "@mention",
        "A.5.3": "+plus",
        "A.5.4": "\ttab first",
        "A.5.5": "café, naïve — 安全",
    }
    for ref, justification in values.items():
        Control.objects.filter(framework__slug=ISO, ref=ref).update(justification=justification, owner=engineer)
    net = control("A.8.20")
    DocumentLink.objects.create(document=policy, control=net)
    DocumentLink.objects.create(document=runbook, control=net)
    TicketLink.objects.create(ticket=jira, control=net)
    TicketLink.objects.create(ticket=github, control=net)
    TicketLink.objects.create(ticket=github, control=control("A.8.22"))
    return net


def test_the_export_has_one_row_per_control_with_the_agreed_cells(traced, ciso):
    ControlState.objects.filter(control=traced).update(evidence_count=3)
    now = timezone.now()
    make_exemption([traced], title="Legacy VPN", expires_at=now + timedelta(days=9), approved_at=now)
    make_exemption([traced], title="Old exception", expires_at=now - timedelta(days=1), approved_at=now)
    Control.objects.filter(pk=traced.pk).update(status="in_progress", applicable=True)

    text = exported_csv().decode()

    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == COLUMNS
    assert len(records) - 1 == Control.objects.count()
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    net = next(line for line in text.split("\r\n") if line.startswith("iso27001-2022,A.8.20,"))
    assert net == (
        "iso27001-2022,A.8.20,Networks security,yes,'=1+2,in_progress,engineer,"
        "Firewall runbook\\; v2; https://wiki.example/net,github:acme/infra#7; jira:SEC-12,3,Legacy VPN"
    )


def test_export_to_a_file_and_to_standard_output_are_the_same_bytes(traced, tmp_path):
    call_command("export_register", "--format", "csv", "--out", str(tmp_path / "r.csv"), stderr=io.StringIO())
    assert (tmp_path / "r.csv").read_bytes() == exported_csv()


def test_export_of_one_framework(traced):
    lines = exported_csv("soc2-2017").decode().splitlines()[1:]
    assert lines and all(line.startswith("soc2-2017,") for line in lines)
    with pytest.raises(CommandError, match="No framework 'nope'"):
        call_command("export_register", "--format", "csv", "--framework", "nope")
    with pytest.raises(CommandError, match="XLSX needs --out"):
        call_command("export_register", "--format", "xlsx")


def test_export_import_export_gives_the_same_bytes(traced, tmp_path, ciso):
    first = exported_csv()
    (tmp_path / "r.csv").write_bytes(first)

    unchanged = import_register(parse_register(tmp_path / "r.csv"), actor=ciso)
    assert (unchanged.controls_changed, unchanged.links_added, unchanged.links_removed) == (0, 0, 0)
    assert exported_csv() == first

    # Wipe what the file holds, then import it: the formula-looking justifications come back without the quote.
    Control.objects.update(justification="", owner=None, status="implemented", applicable=False)
    DocumentLink.objects.all().delete()
    TicketLink.objects.all().delete()
    restored = import_register(parse_register(tmp_path / "r.csv"), actor=ciso)
    assert restored.controls_changed == Control.objects.count()
    assert restored.links_added == 5
    assert control("A.8.20").justification == "=1+2"
    assert control("A.8.22").justification == "'=already quoted"
    assert control("A.5.1").justification == 'two lines,\r\nwith "quotes" and a comma'
    assert exported_csv() == first


def test_formula_cells_are_neutralised_in_csv_and_xlsx(traced, tmp_path):
    text = exported_csv().decode()
    for cell in ["'=1+2", "'-starts with a dash", "''=already quoted", "'@mention", "'+plus", "'\ttab first"]:
        assert f",{cell}," in text
    export_xlsx(register_rows(ISO), tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["Register"]
    cells = {sheet.cell(r, 2).value: sheet.cell(r, 5) for r in range(2, sheet.max_row + 1)}
    assert cells["A.8.20"].value == "'=1+2"
    assert cells["A.8.20"].data_type == "s"  # text, not a formula


def test_xlsx_round_trip(traced, tmp_path, ciso):
    before = exported_csv()
    export_xlsx(register_rows(), tmp_path / "r.xlsx")
    Control.objects.update(justification="", owner=None)
    DocumentLink.objects.all().delete()
    TicketLink.objects.all().delete()

    summary = import_register(parse_register(tmp_path / "r.xlsx"), actor=ciso)

    assert summary.links_added == 5
    # XML keeps no carriage return, so that one justification comes back with LF alone.
    assert exported_csv() == before.replace(b"two lines,\r\nwith", b"two lines,\nwith")
    again = import_register(parse_register(tmp_path / "r.xlsx"), actor=ciso)
    assert again.controls_changed == 0, "a CRLF -> LF difference alone is not a change"


def test_an_import_is_recorded_against_the_first_ciso_or_the_named_one(catalogs, tmp_path, ciso, django_user_model):

    deputy = make_member(django_user_model, "deputy", "ciso")
    path = write_rows(tmp_path, [row("A.8.20", status="implemented", justification="Segmented", tickets="jira:SEC-99")])

    call_command("import_register", str(path), stdout=io.StringIO())
    net = control("A.8.20")
    latest = net.history.latest("history_date")
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        "implemented",
        ciso,
        "register import",
    )
    link = TicketLink.objects.get(control=net)
    assert (link.ticket.key, link.linked_by, link.origin) == ("SEC-99", ciso, "import")
    assert link.history.get().history_user == ciso
    assert Ticket.history.get(key="SEC-99").history_user == ciso

    path = write_rows(tmp_path, [row("A.8.20", tickets="")])
    call_command("import_register", str(path), "--actor", "deputy", "--confirm", stdout=io.StringIO())
    removal = TicketLink.history.get(history_type="-")
    assert (removal.history_user, removal.ticket_id) == (deputy, link.ticket_id)
    assert not TicketLink.objects.exists()


def test_only_a_ciso_can_import(catalogs, tmp_path, engineer):
    path = write_rows(tmp_path, [row("A.8.20", status="implemented")])
    with pytest.raises(PermissionDenied):
        import_register(parse_register(path), actor=engineer)
    with pytest.raises(CommandError, match="Only the CISO"):
        call_command("import_register", str(path), "--actor", "engineer")
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("import_register", str(path), "--actor", "ghost")
    assert control("A.8.20").status == "not_started"


def test_labels_and_any_case_are_accepted_for_status_and_applicable(catalogs, tmp_path, ciso):
    rows = [
        row("A.8.20", status="Implemented", applicable="YES"),
        row("A.8.21", status="in progress", applicable="Yes"),
        row("A.8.22", status=" NOT_APPLICABLE ", applicable="no", justification="No networks of our own"),
        row("A.8.23", status="Not applicable", applicable="NO", justification="No web filtering: no offices"),
    ]
    import_register(parse_register(write_rows(tmp_path, rows)), actor=ciso)
    got = [(c.status, c.applicable) for c in map(control, ["A.8.20", "A.8.21", "A.8.22", "A.8.23"])]
    assert got == [("implemented", True), ("in_progress", True), ("not_applicable", False), ("not_applicable", False)]


def test_import_creates_missing_tickets_and_documents_by_url_but_not_by_title(catalogs, tmp_path, ciso):
    Document.objects.create(title="Access policy")
    rows = [
        row("A.5.15", documents="Access policy; https://wiki.example/iam", tickets="github:acme/iam#3; other:Q-1"),
        row("A.5.18", documents="https://wiki.example/iam", tickets="gitlab:grp/sub/app!4"),
    ]
    summary = import_register(parse_register(write_rows(tmp_path, rows)), actor=ciso)
    assert (summary.documents_created, summary.tickets_created, summary.links_added) == (1, 3, 6)
    assert Document.objects.get(url="https://wiki.example/iam").controls.count() == 2
    assert set(Ticket.objects.values_list("system", "key")) == {
        ("github", "acme/iam#3"),
        ("other", "Q-1"),
        ("gitlab", "grp/sub/app!4"),
    }


def test_every_bad_row_is_reported_and_nothing_is_written(catalogs, tmp_path, ciso, problems):
    Document.objects.create(title="Wiki policy", url="https://wiki.example/p")
    Document.objects.create(title="Twin")
    Document.objects.create(title="Twin")
    rows = [
        row("A.8.20", status="implemented", tickets="jira:SEC-1", documents="https://wiki.example/new"),
        {**row("A.8.21"), "framework": "iso27001-2099"},
        {**row("A.8.21"), "ref": "A.99.1", "title": ""},
        row("A.8.20"),
        row("A.8.22", status="done", applicable="maybe", owner="nobody"),
        row("A.8.23", title="Web filtering (renamed)"),
        row("A.8.24", tickets="SEC-12; trello:abc; github:not-a-key; jira:sec-1"),
        row("A.8.25", documents="Missing doc; Wiki policy; Twin; https://bad url"),
    ]
    path = write_rows(tmp_path, rows)

    found = problems(path)

    assert [(r, c) for r, c, _ in found] == [
        (3, "framework"),
        (4, "ref"),
        (5, "ref"),
        (6, "applicable"),
        (6, "status"),
        (6, "owner"),
        (7, "title"),
        (8, "tickets"),
        (8, "tickets"),
        (8, "tickets"),
        (8, "tickets"),
        (9, "documents"),
        (9, "documents"),
        (9, "documents"),
        (9, "documents"),
    ]
    messages = [m for _, _, m in found]
    assert "already on row 2" in messages[2]
    assert "calls A.8.23 'Web filtering'" in messages[6]
    assert "write https://wiki.example/p" in messages[12]
    assert "2 documents are known as 'Twin'" in messages[13]
    assert control("A.8.20").status == "not_started"
    assert not Ticket.objects.exists() and not TicketLink.objects.exists()
    assert not Document.objects.filter(url="https://wiki.example/new").exists()


def test_hand_typed_lists_and_escaped_semicolons(catalogs, tmp_path, ciso):
    Document.objects.create(title="Runbook; v2")
    Document.objects.create(title=r"S:\policies\net")
    # Only `\;` and `\\` are escapes, so a path typed with single backslashes is taken as it is.
    rows = [row("A.8.20", tickets="jira:SEC-1;github:acme/infra#7 ;", documents=r"Runbook\; v2;S:\policies\net")]
    import_register(parse_register(write_rows(tmp_path, rows)), actor=ciso)
    assert row("A.8.20")["tickets"] == "github:acme/infra#7; jira:SEC-1"
    assert row("A.8.20")["documents"] == r"Runbook\; v2; S:\\policies\\net"
    (tmp_path / "again.csv").write_bytes(exported_csv(ISO))
    assert import_register(parse_register(tmp_path / "again.csv"), actor=ciso).links_added == 0


def test_read_only_columns_are_ignored_on_import(catalogs, tmp_path, ciso):
    rows = [row("A.8.20", evidence_count="lots", exemptions="=not a real exemption; another")]
    summary = import_register(parse_register(write_rows(tmp_path, rows)), actor=ciso)
    assert (summary.controls_changed, summary.links_added) == (0, 0)
    assert not Exemption.objects.exists()


def test_a_dry_run_counts_the_changes_and_writes_nothing(catalogs, tmp_path, ciso):
    path = write_rows(tmp_path, [row("A.8.20", status="implemented", tickets="jira:SEC-1")])
    out = io.StringIO()
    call_command("import_register", str(path), "--dry-run", stdout=out)
    assert "1 controls changed, 1 links added" in out.getvalue() and "dry run" in out.getvalue()
    assert control("A.8.20").status == "not_started"
    assert not Ticket.objects.exists()


def test_the_command_lists_every_problem_with_its_row(catalogs, tmp_path, ciso):
    path = write_rows(tmp_path, [row("A.8.20", status="done"), row("A.8.21", owner="nobody")])
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_register", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        "row 2, status: 'done' is not one of: not_started, in_progress, implemented, not_applicable",
        "row 3, owner: no user named 'nobody'",
    ]


def test_an_unknown_twice_named_or_missing_key_column_is_reported_on_the_header(catalogs, tmp_path, problems):
    (tmp_path / "r.csv").write_text("framework,title,applicable,status,owner,Status,exemptions,colour\r\n")
    assert [(r, c) for r, c, _ in problems(tmp_path / "r.csv")] == [(1, "colour"), (1, "status"), (1, "ref")]


def test_a_column_absent_from_the_file_leaves_that_field_alone(traced, tmp_path, ciso):
    (tmp_path / "r.csv").write_text("framework,ref,status\r\niso27001-2022,A.8.20,implemented\r\n")
    summary = import_register(parse_register(tmp_path / "r.csv"), actor=ciso)
    assert (summary.controls_changed, summary.links_added, summary.links_removed) == (1, 0, 0)
    net = control("A.8.20")
    assert (net.status, net.justification, net.owner.username) == ("implemented", "=1+2", "engineer")
    assert net.documents.count() == 2 and net.tickets.count() == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("r.csv", b"", "the file is empty"),
        ("r.csv", ",".join(COLUMNS).encode() + b"\r\n", "a header but no controls"),
        ("r.txt", b"framework,ref\r\n", "only .csv and .xlsx"),
        ("r.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "named .csv but holds a PNG image"),
        ("r.xlsx", b"framework,ref\r\n", "named .xlsx but holds CSV or other text"),
        ("r.xlsx", b"PK\x03\x04 not really a zip", "not a readable XLSX workbook"),
        ("r.csv", "framework,ref\r\ncafé".encode("latin-1"), "not UTF-8 text (byte 0xE9 on line 2)"),
        ("r.csv", b"framework;ref;title\r\n", "separated by ';'"),
        ("r.csv", b'framework,"ref\r\n', "not valid CSV"),
        ("r.csv", (",".join(COLUMNS) + "\r\n" + "x," * 12 + "\r\n").encode(), "13 cells where the header has 11"),
    ],
)
def test_files_that_are_not_a_register_are_refused(catalogs, tmp_path, name, content, message, problems):
    (tmp_path / name).write_bytes(content)
    [(_, _, found)] = problems(tmp_path / name)
    assert message in found


def test_an_oversized_file_is_refused_before_it_is_read_whole(catalogs, tmp_path, settings, problems):
    settings.REGISTER_IMPORT_MAX_BYTES = 100
    (tmp_path / "r.csv").write_bytes(b"x" * 101)
    [(_, _, found)] = problems(tmp_path / "r.csv")
    assert "larger than the import limit of 100 bytes" in found


def test_a_workbook_that_unpacks_too_large_is_refused(catalogs, tmp_path, settings, problems):
    settings.REGISTER_IMPORT_MAX_BYTES = 20_000
    with zipfile.ZipFile(tmp_path / "r.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 1_000_000)
    [(_, _, found)] = problems(tmp_path / "r.xlsx")
    assert "unpacks to 1,000,000 bytes" in found


def test_a_missing_file_is_a_command_error(catalogs, tmp_path, ciso):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_register", str(tmp_path / "nope.csv"))


def test_utf8_with_a_bom_is_accepted(catalogs, tmp_path, ciso):
    path = write_rows(tmp_path, [row("A.8.20", justification="Zürich segment")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    import_register(parse_register(path), actor=ciso)
    assert control("A.8.20").justification == "Zürich segment"


def test_a_formula_typed_into_the_workbook_is_refused(catalogs, tmp_path, problems):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    sheet.append([row("A.8.20")[c] for c in COLUMNS[:4]] + ['=HYPERLINK("http://x")'] + [""] * 6)
    workbook.save(tmp_path / "r.xlsx")
    assert problems(tmp_path / "r.xlsx")[0][:2] == (2, "justification")


def test_export_runs_the_same_queries_however_many_links(traced, django_assert_num_queries):
    with django_assert_num_queries(4):
        small = register_rows()
    documents = Document.objects.bulk_create(Document(title=f"Doc {i}", url=f"https://d/{i}") for i in range(60))
    tickets = Ticket.objects.bulk_create(Ticket(system="jira", key=f"OPS-{i}") for i in range(60))
    controls = list(Control.objects.all()[:30])
    DocumentLink.objects.bulk_create(DocumentLink(document=d, control=c) for d in documents for c in controls[:5])
    TicketLink.objects.bulk_create(TicketLink(ticket=t, control=c) for t in tickets for c in controls[5:10])
    make_exemption(controls, title="E", expires_at=timezone.now() + timedelta(days=1), approved_at=timezone.now())
    with django_assert_num_queries(4):
        large = register_rows()
    assert len(large) == len(small)


def test_an_unchanged_import_reads_a_constant_number_of_queries_and_writes_nothing(
    traced, tmp_path, ciso, django_user_model
):
    def import_unchanged() -> list[str]:
        (tmp_path / "r.csv").write_bytes(exported_csv())
        rows = parse_register(tmp_path / "r.csv")
        actor = django_user_model.objects.get(pk=ciso.pk)  # a fresh user: its role is looked up each time
        with CaptureQueriesContext(connection) as queries:
            import_register(rows, actor=actor)
        return [q["sql"].split()[0].upper() for q in queries.captured_queries]

    small = import_unchanged()
    tickets = Ticket.objects.bulk_create(Ticket(system="jira", key=f"OPS-{i}") for i in range(100))
    TicketLink.objects.bulk_create(TicketLink(ticket=t, control=c) for t in tickets for c in Control.objects.all()[:4])
    large = import_unchanged()
    assert len(small) == len(large)
    assert not {"INSERT", "UPDATE", "DELETE"} & set(large)
