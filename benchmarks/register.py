"""Register export and import at scale: the three catalogs, 2,500 documents, 2,500 tickets, 10,000 links.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_registerio .venv/bin/python benchmarks/register.py

Runs in a throwaway database (`<name>_bench`, or in memory on SQLite) that it creates and drops: the
database DATABASE_URL names is never written to. Prints the best and median of a few runs of each step,
the queries each ran, and checks that importing the export gives back the same bytes.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

DOCUMENTS = 2_500
TICKETS = 2_500
LINKS_EACH = 5_000  # document links, and as many ticket links
RUNS = 3


def build() -> None:
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Role
    from compliance.catalog import load_catalogs
    from compliance.models import Control, ControlState, Document, DocumentLink, Ticket, TicketLink

    load_catalogs()
    User = get_user_model()
    ciso = User.objects.create_user("ciso")
    Membership.objects.create(user=ciso, role=Role.CISO)
    engineers = User.objects.bulk_create(User(username=f"engineer{i}") for i in range(10))
    Membership.objects.bulk_create(Membership(user=u, role=Role.ENGINEER) for u in engineers)

    controls = list(Control.objects.order_by("pk"))
    for i, control in enumerate(controls):
        control.owner = engineers[i % len(engineers)]
        control.status = ["not_started", "in_progress", "implemented"][i % 3]
        control.justification = f"Justified by risk assessment RA-{i}" + ("\r\nSecond line" if i % 5 == 0 else "")
    Control.objects.bulk_update(controls, ["owner", "status", "justification"])
    ControlState.objects.update(evidence_count=4)

    # Half the documents have a URL (their identity), half only a title.
    documents = Document.objects.bulk_create(
        Document(title=f"Procedure {i:04d}", url=f"https://wiki.example/doc/{i}" if i % 2 else "")
        for i in range(DOCUMENTS)
    )
    tickets = Ticket.objects.bulk_create(
        Ticket(system="github", key=f"acme/infra#{i}") if i % 2 else Ticket(system="jira", key=f"SEC-{i}")
        for i in range(TICKETS)
    )
    n = len(controls)
    # Spread over the controls; (i % count, i * step % n) never repeats a pair for these sizes.
    DocumentLink.objects.bulk_create(
        DocumentLink(document=documents[i % DOCUMENTS], control=controls[i * 7 % n]) for i in range(LINKS_EACH)
    )
    TicketLink.objects.bulk_create(
        TicketLink(ticket=tickets[i % TICKETS], control=controls[i * 11 % n]) for i in range(LINKS_EACH)
    )


def timed(step, prepare=None) -> tuple[list[float], int, object]:
    seconds, result, queries = [], None, 0
    for _ in range(RUNS):
        if prepare:
            prepare()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            result = step()
            seconds.append(time.perf_counter() - start)
        queries = len(captured.captured_queries)
    return seconds, queries, result


def wipe_the_register() -> None:
    """What import must then write back: every link and every control's record."""
    from compliance.models import Control, DocumentLink, TicketLink

    DocumentLink.objects.all().delete()
    TicketLink.objects.all().delete()
    Control.objects.update(owner=None, status="not_started", justification="", applicable=False)


def unlink_every_row(exported: bytes) -> bytes:
    from compliance.register_io import export_csv, parse_register

    rows = [{**row.cells, "documents": "", "tickets": ""} for row in parse_register(io.BytesIO(exported), name="r.csv")]
    text = io.StringIO(newline="")
    export_csv(rows, text)
    return text.getvalue().encode("utf-8")


def main() -> None:
    from django.contrib.auth import get_user_model

    from compliance.models import DocumentLink, TicketLink
    from compliance.register_io import export_csv, export_xlsx, import_register, parse_register, register_rows

    build()
    ciso = get_user_model().objects.get(username="ciso")
    print(f"database: {connection.vendor}; {DocumentLink.objects.count() + TicketLink.objects.count():,} links")

    def csv_bytes() -> bytes:
        text = io.StringIO(newline="")
        export_csv(register_rows(), text)
        return text.getvalue().encode("utf-8")

    def xlsx_bytes() -> bytes:
        out = io.BytesIO()
        export_xlsx(register_rows(), out)
        return out.getvalue()

    def import_file(data: bytes, name: str):
        return lambda: import_register(parse_register(io.BytesIO(data), name=name), actor=ciso, confirm=True)

    figures = []
    seconds, queries, exported = timed(csv_bytes)
    figures.append(("export CSV", seconds, queries, f"{len(exported):,} bytes"))
    seconds, queries, workbook = timed(xlsx_bytes)
    figures.append(("export XLSX", seconds, queries, f"{len(workbook):,} bytes"))
    seconds, queries, summary = timed(import_file(exported, "register.csv"))
    figures.append(("import CSV, unchanged", seconds, queries, str(summary)))
    seconds, queries, summary = timed(import_file(workbook, "register.xlsx"))
    figures.append(("import XLSX, unchanged", seconds, queries, str(summary)))
    seconds, queries, summary = timed(import_file(exported, "register.csv"), prepare=wipe_the_register)
    figures.append(("import CSV into a wiped register", seconds, queries, str(summary)))
    unlinked = unlink_every_row(exported)
    seconds, queries, summary = timed(
        import_file(unlinked, "register.csv"), prepare=import_file(exported, "register.csv")
    )
    figures.append(("import CSV that removes every link", seconds, queries, str(summary)))
    import_file(exported, "register.csv")()
    if csv_bytes() != exported:
        raise SystemExit("export -> import -> export did not give the same bytes")

    print(f"{'step':36} {'best s':>8} {'median s':>9} {'queries':>8}  result")
    for name, seconds, queries, result in figures:
        print(f"{name:36} {min(seconds):8.3f} {statistics.median(seconds):9.3f} {queries:8}  {result}")
    print("export -> import -> export: same bytes")


if __name__ == "__main__":
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        main()
    finally:
        teardown_databases(old_config, verbosity=0)
