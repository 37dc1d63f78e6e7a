"""Documents and tickets: their lists, creating them, and the controls each serves, linked from their side."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import services
from compliance.models import Control, Document, DocumentLink, Ticket, TicketLink
from compliance.ticket_refs import parse_ticket_reference

pytestmark = pytest.mark.django_db

HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def iso(ref: str) -> Control:
    return Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref=ref)


@pytest.fixture
def policy(ciso, catalogs):
    document = services.document_create(actor=ciso, title="Network security policy", kind="policy")
    for ref in ("A.8.20", "A.8.21", "A.8.22"):
        services.document_link(document=document, control=iso(ref), actor=ciso)
    return document


@pytest.fixture
def ticket(ciso, catalogs):
    ticket = services.ticket_get_or_create(reference=parse_ticket_reference("SEC-12"), title="Close SSH", actor=ciso)
    services.ticket_link(ticket=ticket, control=iso("A.8.20"), actor=ciso)
    return ticket


def test_the_document_list_counts_the_controls_each_serves(client, auditor, policy):
    Document.objects.create(title="Orphan runbook", kind="runbook")
    client.force_login(auditor)
    response = client.get("/documents/")
    counts = {document.title: document.control_count for document in response.context_data["page"]}
    assert counts == {"Network security policy": 3, "Orphan runbook": 0}


def test_documents_are_searched_and_filtered_through_the_url(client, auditor, policy):
    Document.objects.create(title="Backup runbook", kind="runbook")
    client.force_login(auditor)
    titles = lambda response: [d.title for d in response.context_data["page"]]  # noqa: E731
    assert titles(client.get("/documents/", {"q": "backup"})) == ["Backup runbook"]
    assert titles(client.get("/documents/", {"kind": "policy"})) == ["Network security policy"]
    assert titles(client.get("/documents/", {"linked": "no"})) == ["Backup runbook"]
    fragment = client.get("/documents/", {"kind": "runbook"}, **HTMX_RESULTS)
    assert fragment.text.lstrip().startswith('<div id="results"') and "Backup runbook" in fragment.text


def test_an_engineer_adds_a_document_and_lands_on_its_page(client, engineer, catalogs):
    client.force_login(engineer)
    response = client.post("/documents/new/", {"title": "Access policy", "kind": "policy", "url": "wiki.example/ac"})
    document = Document.objects.get(title="Access policy")
    assert response.status_code == 302 and response["Location"] == document.get_absolute_url()
    assert document.url == "https://wiki.example/ac"
    assert document.history.get().history_user == engineer


def test_a_document_without_title_is_refused_with_the_form_kept(client, engineer, catalogs):
    client.force_login(engineer)
    response = client.post("/documents/new/", {"title": "", "kind": "policy", "version": "2.1"})
    assert response.status_code == 200
    assert "This field is required." in response.text and 'value="2.1"' in response.text
    assert 'action="/documents/" role="search"' in response.text  # the filters still filter the list
    assert not Document.objects.exists()


def test_the_auditor_sees_no_creation_form_and_cannot_create(client, auditor, catalogs):
    client.force_login(auditor)
    assert "Add a document" not in client.get("/documents/").text
    assert "Add a ticket" not in client.get("/tickets/").text
    assert client.post("/documents/new/", {"title": "x", "kind": "policy"}).status_code == 403
    assert client.post("/tickets/new/", {"reference": "SEC-1"}).status_code == 403
    assert not Document.objects.exists() and not Ticket.objects.exists()


def test_a_document_page_shows_the_controls_it_serves_with_their_state(client, auditor, policy):
    client.force_login(auditor)
    response = client.get(policy.get_absolute_url())
    assert [link.control.ref for link, _ in response.context_data["served_rows"]] == ["A.8.20", "A.8.21", "A.8.22"]
    assert {derived.summary for _, derived in response.context_data["served_rows"]} == {"incomplete"}
    assert "Link a control" not in response.text and "Unlink" not in response.text


def test_an_engineer_links_a_control_from_the_document_by_ref_or_by_tag(client, engineer, policy):
    client.force_login(engineer)
    link_url = f"{policy.get_absolute_url()}controls/link/"
    by_ref = client.post(link_url, {"framework": "soc2-2017", "ref": "CC6.6"}, **HTMX)
    assert by_ref.status_code == 200 and "Linked CC6.6." in by_ref.text and "<html" not in by_ref.text
    client.post(link_url, {"ref": "ctrl:iso27001-2013:A.13.1.1"}, **HTMX)
    refs = set(policy.controls.values_list("ref", flat=True))
    assert {"CC6.6", "A.13.1.1"} <= refs
    assert DocumentLink.objects.get(document=policy, control__ref="CC6.6").linked_by == engineer
    # The control's own page sees the same link.
    soc2 = Control.objects.get(framework__slug="soc2-2017", ref="CC6.6")
    assert "Network security policy" in client.get(soc2.get_absolute_url()).text


def test_an_unknown_control_or_a_missing_framework_is_refused_at_the_field(client, engineer, policy):
    client.force_login(engineer)
    link_url = f"{policy.get_absolute_url()}controls/link/"
    unknown = client.post(link_url, {"framework": "iso27001-2022", "ref": "A.99.1"}, **HTMX)
    assert "There is no control A.99.1 in that framework." in unknown.text
    no_framework = client.post(link_url, {"ref": "A.8.23"}, **HTMX)
    assert "Choose the framework, or paste the control" in no_framework.text
    assert policy.controls.count() == 3


def test_unlinking_from_the_document_side_records_who(client, engineer, policy):
    client.force_login(engineer)
    control = iso("A.8.21")
    response = client.post(f"{policy.get_absolute_url()}controls/{control.pk}/unlink/")
    assert response.status_code == 302 and response["Location"] == policy.get_absolute_url()
    assert not policy.controls.filter(pk=control.pk).exists()
    removal = DocumentLink.history.filter(control_id=control.pk, history_type="-").get()
    assert removal.history_user == engineer


def test_the_auditor_cannot_link_or_unlink_from_the_other_side(client, auditor, policy, ticket):
    client.force_login(auditor)
    control = iso("A.8.20")
    for path, data in (
        (f"{policy.get_absolute_url()}controls/link/", {"framework": "soc2-2017", "ref": "CC6.6"}),
        (f"{policy.get_absolute_url()}controls/{control.pk}/unlink/", {}),
        (f"{ticket.get_absolute_url()}controls/link/", {"framework": "soc2-2017", "ref": "CC6.6"}),
        (f"{ticket.get_absolute_url()}controls/{control.pk}/unlink/", {}),
    ):
        assert client.post(path, data, **HTMX).status_code == 403
    assert policy.controls.count() == 3 and ticket.controls.count() == 1


def test_the_ticket_list_searches_filters_and_counts(client, auditor, ticket):
    Ticket.objects.create(system="github", key="acme/infra#9", title="Rotate keys")
    client.force_login(auditor)
    keys = lambda response: [t.key for t in response.context_data["page"]]  # noqa: E731
    assert keys(client.get("/tickets/", {"q": "rotate"})) == ["acme/infra#9"]
    assert keys(client.get("/tickets/", {"system": "jira"})) == ["SEC-12"]
    assert keys(client.get("/tickets/", {"linked": "yes"})) == ["SEC-12"]
    assert {t.key: t.control_count for t in client.get("/tickets/").context_data["page"]} == {
        "acme/infra#9": 0,
        "SEC-12": 1,
    }


def test_an_engineer_adds_a_ticket_by_pasting_its_url(client, engineer, catalogs):
    client.force_login(engineer)
    response = client.post("/tickets/new/", {"reference": "https://github.com/acme/infra/issues/7", "state": "open"})
    ticket = Ticket.objects.get()
    assert (ticket.system, ticket.key, ticket.url, ticket.state) == (
        "github",
        "acme/infra#7",
        "https://github.com/acme/infra/issues/7",
        "open",
    )
    assert response["Location"] == ticket.get_absolute_url()


def test_a_pasted_ticket_that_exists_is_not_duplicated(client, engineer, ticket):
    client.force_login(engineer)
    response = client.post("/tickets/new/", {"reference": "https://acme.atlassian.net/browse/SEC-12"})
    assert Ticket.objects.count() == 1 and response["Location"] == ticket.get_absolute_url()
    assert Ticket.objects.get().url == "https://acme.atlassian.net/browse/SEC-12"  # filled in, not overwritten


def test_a_ticket_reference_that_cannot_be_read_is_refused(client, engineer, catalogs):
    client.force_login(engineer)
    response = client.post("/tickets/new/", {"reference": "https://github.com/acme/infra"})
    assert "not an issue or a pull request" in response.text and not Ticket.objects.exists()


def test_the_ticket_page_shows_and_links_controls(client, engineer, ticket):
    client.force_login(engineer)
    page = client.get(ticket.get_absolute_url())
    assert "A.8.20" in page.text and "Networks security" in page.text
    client.post(f"{ticket.get_absolute_url()}controls/link/", {"ref": "ctrl:iso27001-2022:A.8.22"}, **HTMX)
    assert TicketLink.objects.get(ticket=ticket, control__ref="A.8.22").linked_by == engineer
    assert "SEC-12" in client.get(iso("A.8.22").get_absolute_url()).text


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_lists_and_pages_run_the_same_queries_however_many_links(client, ciso, policy, ticket):
    client.force_login(ciso)
    paths = ["/documents/", "/tickets/", policy.get_absolute_url(), ticket.get_absolute_url()]
    few = [_queries(client, path) for path in paths]
    controls = list(Control.objects.filter(framework__slug="iso27001-2022")[:40])
    for index, control in enumerate(controls):
        services.document_link(document=policy, control=control, actor=ciso)
        services.ticket_link(ticket=ticket, control=control, actor=ciso)
        other = services.document_create(actor=ciso, title=f"Record {index}", kind="record", owner=ciso)
        services.document_link(document=other, control=control, actor=ciso)
        Ticket.objects.create(system="jira", key=f"OPS-{index}")
    many = [_queries(client, path) for path in paths]
    assert few == many
    assert max(many) <= 12


def test_a_stored_document_file_is_downloaded_through_the_app_never_from_media(client, auditor):
    from django.core.files.base import ContentFile

    document = Document(title="Signed policy", kind="policy")  # files are attached in the admin
    document.file.save("signed-policy.pdf", ContentFile(b"%PDF-1.4 signed"))
    client.force_login(auditor)

    page = client.get(document.get_absolute_url()).content.decode()
    assert "/media/" not in page and f"/documents/{document.pk}/file/" in page
    download = client.get(f"/documents/{document.pk}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 signed"

    document.file.storage.delete(document.file.name)
    assert client.get(f"/documents/{document.pk}/file/").status_code == 410
    client.logout()
    assert client.get(f"/documents/{document.pk}/file/").status_code == 302  # to the sign-in page
