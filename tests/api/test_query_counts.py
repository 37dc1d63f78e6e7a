"""Every list endpoint runs the same number of queries for a small register and a larger one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import services
from compliance.models import AutomatedStatus, Control, ControlState, Document, Ticket
from evidence.services import evidence_add
from scanners.models import ScanRun
from tests.scanners import conftest as scanner_fixtures
from tests.scanners.test_scans_pages import grow_cloud

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/frameworks/",
    "/api/controls/",
    "/api/mappings/",
    "/api/documents/",
    "/api/tickets/",
    "/api/document-links/",
    "/api/ticket-links/",
    "/api/evidence/",
    "/api/exemptions/",
]


def grow(size: int, engineer, ciso) -> None:
    """`size` more of everything, each linked to a few controls, owned, with state."""
    controls = list(Control.objects.filter(framework__slug="iso27001-2022").order_by("?")[: 3 * size])
    for index in range(size):
        mine = controls[3 * index : 3 * index + 3]
        for item in mine:
            item.owner = engineer
            item.save()
            ControlState.objects.update_or_create(control=item, defaults={"automated_status": AutomatedStatus.FAILING})
        document = Document.objects.create(title=f"Policy {size}-{index}", owner=engineer)
        ticket = Ticket.objects.create(system="jira", key=f"SEC-{size}-{index}")
        for item in mine:
            services.document_link(document=document, control=item, actor=engineer)
            services.ticket_link(ticket=ticket, control=item, actor=engineer)
        evidence_add(controls=mine, title=f"Export {index}", actor=engineer, url=f"https://ci.example/{size}/{index}")
        exemption = services.exemption_propose(
            controls=mine,
            title=f"Exception {size}-{index}",
            reason="-",
            expires_at=timezone.now() + timedelta(days=9),
            actor=engineer,
        )
        services.exemption_approve(exemption=exemption, actor=ciso)


SCANNER_LISTS = [
    "/api/cloud-accounts/",
    "/api/scan-runs/",
    "/api/findings/",
    "/api/findings/?control=iso27001-2022:A.8.20&status=fail",
    "/api/run-findings/",
    "/api/resources/",
]

fake_cloud = scanner_fixtures.fake_cloud


def queries_per_list(client, lists: list[str] = LISTS) -> dict[str, int]:
    counts = {}
    for url in lists:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(queries)
    return counts


def test_list_endpoints_run_a_constant_number_of_queries(as_ciso, catalogs, engineer, ciso):
    as_ciso.get("/api/frameworks/")  # the token's first use is recorded once; leave it out of the counts
    grow(2, engineer, ciso)
    small = queries_per_list(as_ciso)
    grow(8, engineer, ciso)
    large = queries_per_list(as_ciso)
    assert large == small
    assert max(small.values()) <= 7, small  # auth, role, count, page, prefetches: nothing per row
    assert len(as_ciso.get("/api/evidence/").json()["results"]) == 10


def test_scanner_lists_run_a_constant_number_of_queries(as_auditor, fake_cloud, catalogs):
    as_auditor.get("/api/frameworks/")
    grow_cloud(fake_cloud, range(1), per_type=2)
    lists = [*SCANNER_LISTS, f"/api/run-findings/?run={ScanRun.objects.latest('pk').pk}&account=acct-0"]
    small = queries_per_list(as_auditor, lists)
    grow_cloud(fake_cloud, range(1, 4), per_type=6)
    large = queries_per_list(as_auditor, lists)
    assert large == small
    # auth, role, page (no count: paged by cursor); a control filter adds the control and its mappings, a run
    # filter the run
    assert max(small.values()) <= 5, small
    assert len(as_auditor.get("/api/findings/").json()["results"]) == 3 * 2 + 3 * 3 * 6  # one per (check, resource)
