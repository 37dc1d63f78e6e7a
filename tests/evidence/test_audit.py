"""The auditor's views: the Statement of Applicability and its exports, evidence over the audit period,
each control's change log; all read-only and at a constant number of queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from compliance import services
from compliance.models import Control, Document, Ticket
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db


def ctrl(ref: str, framework: str = "iso27001-2022") -> Control:
    return Control.objects.get(framework__slug=framework, ref=ref)


def exempt(ciso, control, title="Legacy VPN", days=40):
    exemption = services.exemption_propose(
        controls=[control], title=title, reason="r", expires_at=timezone.now() + timedelta(days=days), actor=ciso
    )
    with override_settings(EXEMPTION_SELF_APPROVAL=True):  # a one-person team: these tests are about the audit
        return services.exemption_approve(exemption=exemption, actor=ciso)


def test_the_soa_lists_every_control_with_its_applicability_and_state(client, auditor, ciso, engineer, catalogs):
    services.control_update(
        control=ctrl("A.8.20"), actor=ciso, status="implemented", owner=engineer, justification="Cloud network"
    )
    services.control_update(
        control=ctrl("A.7.4"), actor=ciso, applicable=False, justification="No premises", status="not_applicable"
    )
    evidence_add(controls=[ctrl("A.8.20")], title="SG export", actor=engineer, url="https://wiki/sg")
    exempt(ciso, ctrl("A.8.20"), title="Legacy VPN")
    client.force_login(auditor)

    response = client.get("/audit/soa/")

    sections = dict((fw.slug, rows) for fw, rows in response.context["sections"])
    assert set(sections) == {"iso27001-2013", "iso27001-2022", "soc2-2017"}
    for slug, rows in sections.items():
        assert len(rows) == Control.objects.filter(framework__slug=slug).count()
    page = response.content.decode()
    row = re.search(r'<a href="/controls/iso27001-2022/A.8.20/">A.8.20</a>.*?</tr>', page, re.S).group(0)
    for expected in ("Cloud network", "Implemented", "engineer", ">1<span", "> evidence of A.8.20 over", "Legacy VPN"):
        assert expected in row
    row = re.search(r'<a href="/controls/iso27001-2022/A.7.4/">A.7.4</a>.*?</tr>', page, re.S).group(0)
    assert "No premises" in row and "<td>No</td>" in row


def test_the_soa_of_one_framework(client, auditor, catalogs):
    client.force_login(auditor)
    response = client.get("/audit/soa/", {"framework": "soc2-2017"})
    assert [fw.slug for fw, _ in response.context["sections"]] == ["soc2-2017"]


def soa_csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_soa_exports_as_csv_with_formulas_neutralised(client, auditor, ciso, catalogs):
    services.control_update(control=ctrl("A.5.1"), actor=ciso, justification='=HYPERLINK("http://evil","x")')
    services.control_update(control=ctrl("A.5.2"), actor=ciso, justification="+1 required by law")
    services.control_update(control=ctrl("A.5.3"), actor=ciso, justification="@SUM(A1)")
    services.control_update(control=ctrl("A.5.4"), actor=ciso, justification="-2 exceptions")
    client.force_login(auditor)

    response = client.get("/audit/soa.csv", {"framework": "iso27001-2022"})

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="statement-of-applicability-iso')
    header, *rows = soa_csv_rows(response)
    assert header[:8] == ["Framework", "Ref", "Title", "Theme", "Applicable", "Justification", "Status", "Owner"]
    assert len(rows) == Control.objects.filter(framework__slug="iso27001-2022").count()
    justification = {row[1]: row[5] for row in rows}
    assert justification["A.5.1"] == '\'=HYPERLINK("http://evil","x")'
    assert justification["A.5.2"] == "'+1 required by law"
    assert justification["A.5.3"] == "'@SUM(A1)"
    assert justification["A.5.4"] == "'-2 exceptions"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_soa_exports_as_xlsx_where_no_cell_is_a_formula(client, auditor, ciso, catalogs):
    services.control_update(control=ctrl("A.5.1"), actor=ciso, justification="=1+1")
    client.force_login(auditor)

    response = client.get("/audit/soa.xlsx")

    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Framework" and len(rows) == 1 + Control.objects.count()
    a51 = next(r for r in rows if r[0].startswith("ISO/IEC 27001:2022") and r[1] == "A.5.1")
    assert a51[5] == "'=1+1"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def day(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def test_the_timeline_shows_evidence_in_force_over_the_period_and_its_gaps(client, auditor, engineer, control, clock):
    start, end = date(2026, 1, 1), date(2026, 12, 31)

    def recorded_on(collected: date, **kwargs):
        clock(day(collected) + timedelta(minutes=5))  # each item is recorded here when it is collected
        return evidence_add(controls=[control], actor=engineer, collected_at=day(collected), **kwargs)

    carried = recorded_on(
        date(2025, 12, 1), title="2025 review", url="https://wiki/2025", valid_until=day(date(2026, 3, 1))
    )
    spring = recorded_on(
        date(2026, 4, 1), title="Spring review", url="https://wiki/spring", valid_until=day(date(2027, 4, 1))
    )
    recorded_on(
        date(2026, 6, 1),
        title="Spring correction",
        url="https://wiki/spring2",
        valid_until=day(date(2026, 9, 1)),
        supersedes=spring,
    )
    recorded_on(date(2027, 1, 5), title="2027 plan", url="https://wiki/2027")
    clock(None)
    client.force_login(auditor)

    response = client.get(
        f"/audit/controls/{control.framework.slug}/{control.ref}/evidence/", {"start": start, "end": end}
    )

    assert [i.title for i in response.context["items"]] == ["2025 review", "Spring review", "Spring correction"]
    gaps = [(g.start.date(), g.end.date()) for g in response.context["gaps"]]
    assert gaps == [(date(2026, 3, 1), date(2026, 4, 1)), (date(2026, 9, 1), date(2027, 1, 1))]
    assert response.context["items"][1].created_at.date() == date(2026, 4, 1)
    page = response.content.decode()
    assert "before the period" in page and carried.title in page
    assert 'value="2026-01-01"' in page and 'value="2026-12-31"' in page


def test_the_timeline_defaults_to_the_last_year_and_rejects_an_inverted_period(client, auditor, control):
    client.force_login(auditor)
    url = f"/audit/controls/{control.framework.slug}/{control.ref}/evidence/"
    response = client.get(url)
    assert response.context["end"] == timezone.localdate()
    assert response.context["start"] == timezone.localdate() - timedelta(days=365)
    response = client.get(url, {"start": "2026-05-01", "end": "2026-01-01"})
    assert b"The period must start before it ends." in response.content


def test_the_change_log_says_who_changed_what_and_when(client, auditor, ciso, engineer, other_engineer, control):
    services.control_update(control=control, actor=ciso, status="in_progress", owner=engineer)
    services.control_update(control=control, actor=engineer, status="implemented", notes="Done")
    services.control_update(control=control, actor=ciso, owner=other_engineer)
    document = Document.objects.create(title="Network policy")
    services.document_link(document=document, control=control, actor=engineer)
    services.document_unlink(document=document, control=control, actor=ciso)
    ticket = Ticket.objects.create(system="jira", key="SEC-7", title="Close port 22")
    services.ticket_link(ticket=ticket, control=control, actor=engineer)
    client.force_login(auditor)

    response = client.get(f"/audit/controls/{control.framework.slug}/{control.ref}/changes/")

    changes = response.context["changes"]
    assert [(c.who, c.what) for c in changes] == [
        ("engineer", "Linked ticket Jira SEC-7 (manual)"),
        ("ciso", "Unlinked document Network policy (manual)"),
        ("engineer", "Linked document Network policy (manual)"),
        ("ciso", "Changed"),
        ("engineer", "Changed"),
        ("ciso", "First recorded change"),  # the catalog was loaded without history
    ]
    assert changes[3].fields == [("Owner", "engineer", "engineer2")]
    assert changes[4].fields == [("Notes", "—", "Done"), ("Status", "In progress", "Implemented")]
    assert ("Status", "not recorded", "In progress") in changes[5].fields
    assert ("Owner", "not recorded", "engineer") in changes[5].fields
    page = response.content.decode()
    assert "<del>In progress</del> → <ins>Implemented</ins>" in page


def test_the_audit_pages_offer_no_form_that_changes_a_record(client, auditor, control):
    client.force_login(auditor)
    urls = [
        "/audit/",
        "/audit/soa/",
        f"/audit/controls/{control.framework.slug}/{control.ref}/evidence/",
        f"/audit/controls/{control.framework.slug}/{control.ref}/changes/",
    ]
    for url in urls:
        page = client.get(url).content.decode()
        actions = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page)
        assert set(actions) <= {"/logout/", "/audit/packages/"}, url


def grow(ciso, engineer, size: int) -> None:
    controls = list(Control.objects.filter(framework__slug="iso27001-2022")[: size * 4])
    for index, control in enumerate(controls):
        evidence_add(controls=[control], title=f"E{size}-{index}", actor=engineer, url=f"https://wiki/{index}")
        services.control_update(control=control, actor=ciso, status="in_progress", owner=engineer)
        services.control_update(control=control, actor=engineer, notes=f"size {size}")
        ticket = Ticket.objects.create(system="jira", key=f"SEC-{size}-{index}")
        services.ticket_link(ticket=ticket, control=control, actor=engineer)
        if index % 2:
            exempt(ciso, control, title=f"X{size}-{index}")


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_audit_pages_run_the_same_number_of_queries_whatever_the_data(client, auditor, ciso, engineer, catalogs):
    first, exempted = Control.objects.filter(framework__slug="iso27001-2022")[:2]
    urls = [
        "/audit/",
        "/audit/soa/",
        "/audit/soa.csv",
        f"/audit/controls/iso27001-2022/{first.ref}/evidence/",
        f"/audit/controls/iso27001-2022/{exempted.ref}/changes/",
        "/audit/events/",
    ]
    client.force_login(auditor)
    grow(ciso, engineer, 1)
    small = [queries(client, url) for url in urls]
    grow(ciso, engineer, 8)
    assert [queries(client, url) for url in urls] == small
    assert small == [8, 7, 5, 6, 12, 6]  # the pages count the navigation's "Inbox (N)"; the export does not


def test_an_item_counts_from_when_it_was_recorded_and_both_dates_are_shown(client, auditor, engineer, control, clock):
    clock(day(date(2026, 3, 1)) + timedelta(hours=9))  # recorded on 1 March, a document collected in January
    evidence_add(
        controls=[control],
        title="January review",
        actor=engineer,
        url="https://wiki/jan",
        collected_at=day(date(2026, 1, 10)),
    )
    clock(None)
    client.force_login(auditor)

    response = client.get(
        f"/audit/controls/{control.framework.slug}/{control.ref}/evidence/",
        {"start": "2026-01-01", "end": "2026-06-30"},
    )

    gaps = [(g.start, g.end) for g in response.context["gaps"]]
    assert gaps == [(day(date(2026, 1, 1)), day(date(2026, 3, 1)) + timedelta(hours=9))]
    page = response.content.decode()
    assert "2026-01-10 00:00" in page and "2026-03-01 09:00" in page and "counts from here" in page
