"""The register through the API: controls and their derived state, the SoA, documents, tickets, links, exemptions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance import services
from compliance.models import AutomatedStatus, ControlState, DocumentLink, Exemption, Ticket
from tests.api.conftest import control

pytestmark = pytest.mark.django_db


def test_a_control_shows_its_derived_state_and_active_exemptions(as_auditor, register, ciso):
    network = register["control"]
    ControlState.objects.filter(control=network).update(
        automated_status=AutomatedStatus.FAILING, checks_failed=2, checks_passed=5
    )
    services.exemption_approve(exemption=register["exemption"], actor=ciso)
    body = as_auditor.get(f"/api/controls/{network.pk}/").json()
    assert body["tag"] == "ctrl:iso27001-2022:A.8.20" and body["framework"] == "iso27001-2022"
    assert body["state"]["automated_status"] == "failing" and body["state"]["checks_failed"] == 2
    assert body["state"]["evidence_count"] == 1 and body["state"]["evidence_stale"] is False
    assert body["active_exemptions"] == 1
    assert body["page_url"] == "/controls/iso27001-2022/A.8.20/"


def test_a_control_without_any_report_reads_as_not_automated(as_auditor, catalogs):
    ControlState.objects.filter(control=control("A.5.1")).delete()
    body = as_auditor.get(f"/api/controls/{control('A.5.1').pk}/").json()
    assert body["state"]["automated_status"] == "none" and body["state"]["evidence_count"] == 0
    assert body["active_exemptions"] == 0


def test_controls_are_filtered_ordered_and_paginated(as_auditor, catalogs):
    body = as_auditor.get("/api/controls/", {"framework": "soc2-2017", "page_size": 5}).json()
    assert body["count"] > 5 and len(body["results"]) == 5
    assert {c["framework"] for c in body["results"]} == {"soc2-2017"}
    refs = [c["ref"] for c in as_auditor.get("/api/controls/", {"framework": "iso27001-2022"}).json()["results"]]
    assert refs.index("A.5.9") < refs.index("A.5.10")  # natural order, not string order
    newest_first = as_auditor.get("/api/controls/", {"ordering": "-ref", "ref": "A.8.20"}).json()["results"]
    assert [c["framework"] for c in newest_first] == ["iso27001-2022"]


def test_the_owner_updates_the_statement_of_applicability(as_engineer, engineer, catalogs):
    network = control("A.8.20")
    network.owner = engineer
    network.save()
    response = as_engineer.patch(
        f"/api/controls/{network.pk}/",
        {"status": "implemented", "next_review": "2027-06-30", "justification": "Segmented VPCs"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "implemented"
    network.refresh_from_db()
    assert network.next_review.isoformat() == "2027-06-30"
    assert network.history.latest().history_user == engineer


def test_an_engineer_cannot_change_a_control_someone_else_owns(as_engineer, other_engineer, catalogs):
    network = control("A.8.20")
    network.owner = other_engineer
    network.save()
    response = as_engineer.patch(f"/api/controls/{network.pk}/", {"status": "implemented"}, format="json")
    assert response.status_code == 403
    network.refresh_from_db()
    assert network.status == "not_started"


def test_excluding_a_control_needs_a_justification(as_ciso, catalogs):
    network = control("A.8.20")
    response = as_ciso.patch(
        f"/api/controls/{network.pk}/", {"applicable": False, "status": "not_applicable"}, format="json"
    )
    assert response.status_code == 400 and "justification" in response.json()
    excluded = {"applicable": False, "justification": "No networks: SaaS only", "status": "not_applicable"}
    response = as_ciso.patch(f"/api/controls/{network.pk}/", excluded, format="json")
    assert response.status_code == 200 and response.json()["applicable"] is False


def test_only_people_who_can_do_the_work_may_own_a_control(as_ciso, auditor, engineer, catalogs):
    network = control("A.8.20")
    response = as_ciso.patch(f"/api/controls/{network.pk}/", {"owner": "auditor"}, format="json")
    assert response.status_code == 400
    response = as_ciso.patch(f"/api/controls/{network.pk}/", {"owner": "engineer"}, format="json")
    assert response.json()["owner"] == "engineer"


def test_put_replaces_nothing(as_ciso, catalogs):
    assert as_ciso.put(f"/api/controls/{control('A.8.20').pk}/", {}, format="json").status_code == 405


def test_documents_and_tickets_are_added_and_linked_with_who_did_it(as_engineer, engineer, catalogs):
    document = as_engineer.post(
        "/api/documents/", {"title": "Firewall runbook", "kind": "runbook", "url": "https://wiki.example/fw"}
    ).json()
    assert document["controls"] == [] and document["page_url"] == f"/documents/{document['id']}/"
    link = as_engineer.post(
        "/api/document-links/", {"document": document["id"], "control": "iso27001-2022:A.8.20"}, format="json"
    )
    assert link.status_code == 201, link.content
    assert link.json()["linked_by"] == "engineer" and link.json()["control"] == "iso27001-2022:A.8.20"
    assert as_engineer.get(f"/api/documents/{document['id']}/").json()["controls"] == ["iso27001-2022:A.8.20"]
    ticket = as_engineer.post("/api/tickets/", {"system": "jira", "key": "SEC-12", "title": "Rotate keys"}).json()
    as_engineer.post("/api/ticket-links/", {"ticket": ticket["id"], "control": "ctrl:iso27001-2022:A.5.15"})
    assert Ticket.objects.get(pk=ticket["id"]).links.get().linked_by == engineer
    assert as_engineer.get("/api/tickets/", {"control": "iso27001-2022:A.5.15"}).json()["count"] == 1


def test_a_ticket_key_is_unique_per_system(as_engineer, register):
    response = as_engineer.post("/api/tickets/", {"system": "github", "key": "acme/infra#7"}, format="json")
    assert response.status_code == 400


def test_a_link_to_an_unknown_control_is_refused_clearly(as_engineer, register):
    response = as_engineer.post(
        "/api/ticket-links/", {"ticket": register["ticket"].pk, "control": "iso27001-2022:A.99.1"}, format="json"
    )
    assert response.status_code == 400 and "A.99.1" in response.json()["control"][0]
    response = as_engineer.post(
        "/api/ticket-links/", {"ticket": register["ticket"].pk, "control": "iso27001-2022:A.8\x0020"}, format="json"
    )
    assert response.status_code == 400


def test_unlinking_goes_through_the_service_and_keeps_history(as_engineer, register):
    link = register["document_link"]
    assert as_engineer.delete(f"/api/document-links/{link.pk}/").status_code == 204
    assert not DocumentLink.objects.filter(pk=link.pk).exists()
    assert DocumentLink.history.filter(id=link.pk, history_type="-").get().history_user.username == "engineer"


def test_records_are_never_deleted_through_the_api(as_ciso, register):
    assert as_ciso.delete(f"/api/documents/{register['document'].pk}/").status_code == 405
    assert as_ciso.delete(f"/api/tickets/{register['ticket'].pk}/").status_code == 405
    assert as_ciso.delete(f"/api/exemptions/{register['exemption'].pk}/").status_code == 405


def test_an_exemption_is_proposed_then_approved_by_the_ciso_only(as_engineer, as_ciso, catalogs):
    expires = (timezone.now() + timedelta(days=90)).isoformat()
    response = as_engineer.post(
        "/api/exemptions/",
        {"title": "Legacy VPN", "control": ["iso27001-2022:A.8.20"], "reason": "Vendor box", "expires_at": expires},
        format="json",
    )
    assert response.status_code == 201, response.content
    proposed = response.json()
    assert proposed["state"] == "proposed" and proposed["requested_by"] == "engineer"
    assert as_engineer.post(f"/api/exemptions/{proposed['id']}/approve/").status_code == 403
    approved = as_ciso.post(f"/api/exemptions/{proposed['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["state"] == "active"
    assert as_ciso.post(f"/api/exemptions/{proposed['id']}/approve/").status_code == 409
    assert as_ciso.get("/api/exemptions/", {"state": "active"}).json()["count"] == 1
    assert as_engineer.post(f"/api/exemptions/{proposed['id']}/revoke/").status_code == 403
    assert as_ciso.post(f"/api/exemptions/{proposed['id']}/revoke/").json()["state"] == "revoked"
    assert Exemption.objects.get(pk=proposed["id"]).revoked_by.username == "ciso"


def test_an_exemption_must_expire_in_the_future(as_engineer, catalogs):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = as_engineer.post(
        "/api/exemptions/",
        {"title": "Too late", "control": ["iso27001-2022:A.8.20"], "reason": "-", "expires_at": past},
        format="json",
    )
    assert response.status_code == 400 and "expires_at" in response.json()
