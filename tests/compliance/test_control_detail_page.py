"""A control's page: its record edited in place, documents, tickets, exemptions, mappings and history."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import services
from compliance.forms import DocumentLinkForm
from compliance.models import Control, ControlState, ControlStatus, Document, Exemption, Ticket
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owned(control, engineer):
    Control.objects.filter(pk=control.pk).update(owner=engineer)
    control.refresh_from_db()
    return control


def url(control: Control, action: str = "", *args) -> str:
    tail = "/".join(str(part) for part in (action, *args) if part != "")
    return control.get_absolute_url() + (f"{tail}/" if tail else "")


def test_every_role_sees_the_control_with_its_tag(client, auditor, control):
    client.force_login(auditor)
    response = client.get(control.get_absolute_url())
    assert response.status_code == 200
    assert "A.8.20 Networks security" in response.text
    assert 'value="ctrl:iso27001-2022:A.8.20"' in response.text and "data-copy" in response.text


def test_the_auditor_sees_no_form_and_no_button_that_changes_anything(client, auditor, control):
    client.force_login(auditor)
    page = client.get(control.get_absolute_url()).text
    for control_label in ("Edit", "Link a document", "Link a ticket", "Add evidence", "Propose an exemption", "Unlink"):
        assert control_label not in page
    # Only the log-out form (in the header), and the one kind of write auditors get: questions and requests.
    actions = re.findall(r'<form method="post"[^>]*action="([^"]+)"', page.split("<main", 1)[1])
    assert actions and all(a.endswith(("/comments/", "/evidence-requests/open/")) for a in actions), actions


WRITE_ENDPOINTS = [
    ("get", "edit", {}),
    ("post", "edit", {"status": "implemented", "applicable": "on"}),
    ("post", "documents/link", {"title": "Policy", "kind": "policy"}),
    ("post", "tickets/link", {"reference": "SEC-12"}),
    ("post", "exemptions/propose", {"title": "t", "reason": "r", "expires_on": "2099-01-01"}),
]


@pytest.mark.parametrize(("method", "action", "data"), WRITE_ENDPOINTS)
def test_the_auditor_is_refused_every_change_with_the_reason(client, auditor, control, method, action, data):
    client.force_login(auditor)
    response = getattr(client, method)(url(control, action), data, **HTMX)
    assert response.status_code == 403
    assert "read-only" in response.text
    assert not control.documents.exists() and not control.tickets.exists() and not control.exemptions.exists()
    assert Control.objects.get(pk=control.pk).status == ControlStatus.NOT_STARTED


def test_the_auditor_cannot_unlink_or_decide(client, auditor, ciso, control):
    document = services.document_create(actor=ciso, title="Policy", kind="policy")
    services.document_link(document=document, control=control, actor=ciso)
    ticket = services.ticket_get_or_create(reference=_ref("SEC-1"), actor=ciso)
    services.ticket_link(ticket=ticket, control=control, actor=ciso)
    exemption = _proposed(control, ciso)
    client.force_login(auditor)
    for action in (
        url(control, "documents", document.pk, "unlink"),
        url(control, "tickets", ticket.pk, "unlink"),
        url(control, "exemptions", exemption.pk, "approve"),
        url(control, "exemptions", exemption.pk, "revoke"),
    ):
        assert client.post(action, **HTMX).status_code == 403
    assert control.documents.exists() and control.tickets.exists()
    assert Exemption.objects.get(pk=exemption.pk).state == "proposed"


def test_an_engineer_cannot_edit_a_control_they_do_not_own(client, engineer, control):
    client.force_login(engineer)
    page = client.get(control.get_absolute_url()).text
    assert url(control, "edit") not in page
    response = client.post(url(control, "edit"), {"status": "implemented", "applicable": "on"}, **HTMX)
    assert response.status_code == 403
    assert "Only the CISO and the owner of this control" in response.text


def test_the_owner_edits_the_record_in_place(client, engineer, owned):
    client.force_login(engineer)
    form = client.get(url(owned, "edit"), **HTMX)
    assert form.text.lstrip().startswith('<section id="record"') and 'name="justification"' in form.text
    response = client.post(
        url(owned, "edit"),
        {"applicable": "on", "justification": "Segmented VPCs", "status": "implemented", "owner": engineer.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "Saved." in response.text
    assert "controlChanged" in json.loads(response["HX-Trigger"])  # the header state and history redraw themselves
    owned.refresh_from_db()
    assert (owned.status, owned.justification) == (ControlStatus.IMPLEMENTED, "Segmented VPCs")
    latest = owned.history.latest()
    assert latest.history_user == engineer


def test_excluding_a_control_needs_a_justification_and_the_not_applicable_status(client, ciso, control):
    client.force_login(ciso)
    response = client.post(url(control, "edit"), {"status": "implemented", "justification": ""}, **HTMX)
    assert response.status_code == 200
    errors = response.context_data["record_form"].errors
    assert "needs a justification" in errors["justification"][0]
    assert "“Not applicable”" in errors["status"][0]
    assert 'aria-invalid="true"' in response.text
    assert Control.objects.get(pk=control.pk).applicable is True


def test_a_next_review_in_the_past_is_refused_at_the_field(client, ciso, control):
    client.force_login(ciso)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {"applicable": "on", "status": "in_progress", "next_review": yesterday}
    response = client.post(url(control, "edit"), data, **HTMX)
    assert "The next review must be today or later." in response.text
    assert Control.objects.get(pk=control.pk).next_review is None


def test_without_javascript_a_save_redirects_and_an_error_shows_the_whole_page(client, ciso, control):
    client.force_login(ciso)
    saved = client.post(url(control, "edit"), {"applicable": "on", "status": "in_progress"})
    assert saved.status_code == 302 and saved["Location"] == control.get_absolute_url()
    refused = client.post(url(control, "edit"), {"status": "in_progress"})
    assert refused.status_code == 200 and "<html" in refused.text and "needs a justification" in refused.text


def test_an_engineer_links_an_existing_document_and_a_new_one(client, engineer, control):
    policy = Document.objects.create(title="Network security policy", kind="policy")
    client.force_login(engineer)
    response = client.post(url(control, "documents/link"), {"document": policy.pk, "kind": "policy"}, **HTMX)
    assert response.status_code == 200 and "Linked “Network security policy”." in response.text
    client.post(
        url(control, "documents/link"),
        {"title": "Firewall runbook", "kind": "runbook", "url": "https://wiki.example.com/fw"},
        **HTMX,
    )
    assert sorted(control.documents.values_list("title", flat=True)) == ["Firewall runbook", "Network security policy"]
    runbook = Document.objects.get(title="Firewall runbook")
    assert runbook.links.get().linked_by == engineer and runbook.url == "https://wiki.example.com/fw"


def test_linking_a_document_needs_a_choice_or_a_title(client, engineer, control):
    policy = Document.objects.create(title="Policy", kind="policy")
    client.force_login(engineer)
    neither = client.post(url(control, "documents/link"), {"kind": "policy"}, **HTMX)
    assert "Pick a document, or give the title of a new one." in neither.text
    both = client.post(url(control, "documents/link"), {"document": policy.pk, "title": "x", "kind": "policy"}, **HTMX)
    assert "not both" in both.text
    assert not control.documents.exists()


def test_unlinking_a_document_keeps_who_did_it(client, engineer, control):
    policy = Document.objects.create(title="Policy", kind="policy")
    services.document_link(document=policy, control=control, actor=engineer)
    client.force_login(engineer)
    response = client.post(url(control, "documents", policy.pk, "unlink"), **HTMX)
    assert "Unlinked “Policy”." in response.text
    assert not control.documents.exists()
    history = client.get(url(control, "part/history"), **HTMX).text
    assert "unlinked document" in history and "linked document" in history


@pytest.mark.parametrize(
    ("pasted", "system", "key"),
    [
        ("https://github.com/acme/infra/issues/7", "github", "acme/infra#7"),
        ("https://acme.atlassian.net/browse/SEC-12", "jira", "SEC-12"),
        ("SEC-12", "jira", "SEC-12"),
        ("https://gitlab.com/acme/platform/net/-/issues/3", "gitlab", "acme/platform/net#3"),
    ],
)
def test_an_engineer_links_a_ticket_by_url_or_key(client, engineer, control, pasted, system, key):
    client.force_login(engineer)
    response = client.post(url(control, "tickets/link"), {"reference": pasted}, **HTMX)
    assert response.status_code == 200 and key in response.text
    ticket = control.tickets.get()
    assert (ticket.system, ticket.key) == (system, key)
    assert ticket.links.get().linked_by == engineer


def test_linking_the_same_ticket_twice_keeps_one_link(client, engineer, control):
    client.force_login(engineer)
    client.post(url(control, "tickets/link"), {"reference": "https://github.com/acme/infra/issues/7"}, **HTMX)
    client.post(url(control, "tickets/link"), {"reference": "acme/infra#7"}, **HTMX)
    assert Ticket.objects.count() == 1 and control.tickets.count() == 1


def test_something_that_is_not_a_ticket_is_refused_at_the_field(client, engineer, control):
    client.force_login(engineer)
    response = client.post(url(control, "tickets/link"), {"reference": "fix the firewall"}, **HTMX)
    assert "Not a ticket reference" in response.text
    assert 'value="fix the firewall"' in response.text  # nothing typed is lost
    assert not Ticket.objects.exists()


def test_unlinking_a_ticket(client, engineer, control):
    ticket = services.ticket_get_or_create(reference=_ref("SEC-9"), actor=engineer)
    services.ticket_link(ticket=ticket, control=control, actor=engineer)
    client.force_login(engineer)
    client.post(url(control, "tickets", ticket.pk, "unlink"), **HTMX)
    assert not control.tickets.exists() and Ticket.objects.filter(pk=ticket.pk).exists()


def _ref(text: str):
    from compliance.ticket_refs import parse_ticket_reference

    return parse_ticket_reference(text)


def _proposed(control, actor, title: str = "Legacy VPC") -> Exemption:
    return services.exemption_propose(
        controls=[control], title=title, reason="Old", expires_at=timezone.now() + timedelta(9), actor=actor
    )


def test_an_engineer_proposes_an_exemption_and_the_ciso_approves_then_revokes(client, engineer, ciso, control):
    ControlState.objects.update_or_create(control=control, defaults={"automated_status": "failing"})
    client.force_login(engineer)
    expires = (timezone.localdate() + timedelta(days=60)).isoformat()
    data = {"title": "Legacy VPC", "reason": "Migration in Q1", "expires_on": expires}
    proposed = client.post(url(control, "exemptions/propose"), data, **HTMX)
    assert "the CISO decides" in proposed.text and "Approve" not in proposed.text
    exemption = control.exemptions.get()
    assert exemption.state == "proposed" and exemption.requested_by == engineer
    assert client.post(url(control, "exemptions", exemption.pk, "approve"), **HTMX).status_code == 403

    client.force_login(ciso)
    assert "failing" in client.get(url(control, "part/state"), **HTMX).text
    client.post(url(control, "exemptions", exemption.pk, "approve"), **HTMX)
    assert Exemption.objects.get(pk=exemption.pk).state == "active"
    assert "exempted" in client.get(url(control, "part/state"), **HTMX).text
    revoked = client.post(url(control, "exemptions", exemption.pk, "revoke"), **HTMX)
    assert "Revoked “Legacy VPC”." in revoked.text
    assert Exemption.objects.get(pk=exemption.pk).state == "revoked"
    again = client.post(url(control, "exemptions", exemption.pk, "approve"), **HTMX)
    assert "only proposed exemptions can be approved" in again.text


def test_an_exemption_must_end_within_a_year(client, engineer, control):
    client.force_login(engineer)
    too_late = (timezone.localdate() + timedelta(days=400)).isoformat()
    response = client.post(
        url(control, "exemptions/propose"), {"title": "t", "reason": "r", "expires_on": too_late}, **HTMX
    )
    assert "at most 366 days" in response.text and not control.exemptions.exists()


def test_mapped_controls_show_with_their_relation(client, auditor, catalogs):
    control_2013 = Control.objects.get(framework__slug="iso27001-2013", ref="A.5.1.1")
    client.force_login(auditor)
    mapped = client.get(control_2013.get_absolute_url()).context_data["mapped"]
    assert [(row.control.ref, row.phrase) for row in mapped] == [("A.5.1", "part of")]
    control_2022 = Control.objects.get(framework__slug="iso27001-2022", ref="A.5.1")
    mapped = client.get(control_2022.get_absolute_url()).context_data["mapped"]
    assert ("A.5.1.1", "covers") in {(row.control.ref, row.phrase) for row in mapped}


def test_the_history_says_who_changed_which_field_from_what_to_what(client, ciso, engineer, control):
    services.control_update(control=control, actor=ciso, status="in_progress", owner=engineer)
    services.control_update(control=control, actor=engineer, status="implemented")
    client.force_login(ciso)
    timeline = client.get(control.get_absolute_url()).context_data["timeline"]
    newest, first = timeline[0], timeline[1]
    assert (newest.who, [(c.field, c.old, c.new) for c in newest.changes]) == (
        "engineer",
        [("Status", "In progress", "Implemented")],
    )
    assert ("Owner", "—", "engineer") in [(c.field, c.old, c.new) for c in first.changes]


def test_evidence_lists_current_items_newest_first_and_marks_stale_and_superseded(client, engineer, control):
    old = evidence_add(controls=[control], title="Old export", actor=engineer, url="https://wiki/v1")
    evidence_add(controls=[control], title="New export", actor=engineer, url="https://wiki/v2", supersedes=old)
    last_year = timezone.now() - timedelta(days=400)
    evidence_add(controls=[control], title="Old review", actor=engineer, description="-", collected_at=last_year)
    client.force_login(engineer)
    response = client.get(control.get_absolute_url())
    assert [item.title for item in response.context_data["current_evidence"]] == ["New export", "Old review"]
    assert [item.title for item in response.context_data["superseded_evidence"]] == ["Old export"]
    assert "badge stale" in response.text and "badge superseded" in response.text


def test_the_control_links_to_its_findings(client, auditor, control):
    client.force_login(auditor)
    assert "/scans/findings/?control=iso27001-2022:A.8.20" in client.get(control.get_absolute_url()).text


def test_an_unknown_section_or_control_is_not_found(client, auditor, control):
    client.force_login(auditor)
    assert client.get(url(control, "part/secrets"), **HTMX).status_code == 404
    assert client.get("/controls/iso27001-2022/A.99.99/").status_code == 404


def _detail_queries(client, control) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(control.get_absolute_url())
    assert response.status_code == 200
    return len(queries)


def _grow(control, actor, n: int, start: int) -> None:
    for i in range(start, start + n):
        document = services.document_create(actor=actor, title=f"Procedure {i}", kind="procedure")
        services.document_link(document=document, control=control, actor=actor)
        ticket = services.ticket_get_or_create(reference=_ref(f"SEC-{i}"), title=f"Ticket {i}", actor=actor)
        services.ticket_link(ticket=ticket, control=control, actor=actor)
        evidence_add(controls=[control], title=f"Export {i}", actor=actor, url=f"https://wiki/{i}")
        services.control_update(control=control, actor=actor, notes=f"Note {i}", owner=actor if i % 2 else None)
    _proposed(control, actor, title=f"Legacy VPC {start}")


def test_the_control_page_runs_the_same_queries_however_much_is_linked(client, ciso, control):
    client.force_login(ciso)
    _grow(control, ciso, 1, 0)
    few = _detail_queries(client, control)
    _grow(control, ciso, 25, 1)
    many = _detail_queries(client, control)
    assert few == many
    assert many <= 30


def test_the_control_page_says_which_sources_evidence_it_and_through_which_checks(client, auditor, catalogs):
    client.force_login(auditor)
    page = client.get("/controls/iso27001-2022/A.8.16/").text
    assert "Evidenced automatically by" in page
    assert "AWS GuardDuty" in page and "guardduty_enabled" in page
    assert "AWS Security Hub" in page
    assert "GitHub organisation" in client.get("/controls/iso27001-2022/A.8.5/").text

    unchecked = client.get("/controls/iso27001-2022/A.5.1/").text
    assert "No automated check speaks for this control" in unchecked


def test_a_check_of_an_equal_control_is_named_with_the_mapping_it_comes_through(client, auditor, catalogs):
    from compliance.models import ControlMapping, MappingRelation

    client.force_login(auditor)
    old = Control.objects.get(framework__slug="iso27001-2013", ref="A.13.1.1")
    new = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    assert ControlMapping.objects.filter(source=old, target=new, relation=MappingRelation.EQUAL).exists() or (
        ControlMapping.objects.filter(source=new, target=old, relation=MappingRelation.EQUAL).exists()
    )
    page = client.get(old.get_absolute_url()).text
    assert "vpc_default_security_group_closed" in page  # names A.13.1.1 itself
    assert "ec2_instance_in_vpc" in page and "through A.8.20 (equal)" in page  # names only A.8.20


def _register_of_documents(actor, titles):
    return [services.document_create(actor=actor, title=title, kind="procedure") for title in titles]


def test_the_document_picker_offers_a_searched_few_not_the_whole_register(client, engineer, control):
    _register_of_documents(engineer, [f"Runbook {i:03}" for i in range(60)] + ["Incident response plan"])
    client.force_login(engineer)

    page = client.get(control.get_absolute_url()).text
    picker = re.search(r'<select name="document"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert picker.count("<option") == 1 + DocumentLinkForm.PICKER_SIZE  # "Choose…" and the first by title
    assert "Incident response plan" in picker and "Runbook 059" not in page

    options = client.get(url(control, "documents", "options") + "?documents=incident plan", **HTMX)
    assert options.status_code == 200
    assert "Incident response plan" in options.text and "Runbook" not in options.text
    assert options.text.startswith('<option value="">')

    without_javascript = client.get(control.get_absolute_url() + "?documents=runbook 059").text
    assert "Runbook 059" in without_javascript and "Runbook 058" not in without_javascript


def test_a_document_the_picker_did_not_offer_can_still_be_linked(client, engineer, control):
    documents = _register_of_documents(engineer, [f"Runbook {i:03}" for i in range(30)])
    client.force_login(engineer)
    last = documents[-1]
    response = client.post(url(control, "documents/link"), {"document": last.pk, "kind": "policy"}, **HTMX)
    assert response.status_code == 200
    assert control.documents.filter(pk=last.pk).exists()


def test_only_contributors_search_the_document_picker(client, auditor, control):
    client.force_login(auditor)
    assert client.get(url(control, "documents", "options") + "?documents=x", **HTMX).status_code == 403
