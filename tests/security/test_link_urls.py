"""Ticket and document links are clicked by people: only http(s) is stored, whichever way the link arrives."""

from __future__ import annotations

import pytest

from compliance.models import Document, Ticket
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

NOT_HTTP = ["javascript:alert(document.cookie)", "ftp://files.example/policy.pdf", "data:text/html,<b>hi</b>"]


@pytest.mark.parametrize("url", NOT_HTTP)
def test_no_write_path_stores_a_link_that_is_not_http(client, ciso, control, url):
    client.force_login(ciso)
    answers = {
        "document page": client.post("/documents/new/", {"title": "Policy", "kind": "policy", "url": url}),
        "control page": client.post(
            f"/controls/{control.framework.slug}/{control.ref}/documents/link/",
            {"title": "Policy", "kind": "policy", "url": url},
        ),
        "admin": client.post(
            "/admin/compliance/document/add/", {"title": "Policy", "kind": "policy", "url": url, "controls": []}
        ),
        "ticket page": client.post(
            f"/controls/{control.framework.slug}/{control.ref}/tickets/link/", {"reference": url}
        ),
    }
    api = token_client(ciso)
    answers["document API"] = api.post("/api/documents/", {"title": "Policy", "kind": "policy", "url": url})
    answers["ticket API"] = api.post("/api/tickets/", {"system": "other", "key": "X-1", "url": url})
    assert not Document.objects.exists() and not Ticket.objects.exists()
    # Pages answer with the form and its error; the API with a 400 naming the field.
    assert {path: answer.status_code for path, answer in answers.items()} == {
        **{page: 200 for page in ["document page", "control page", "admin", "ticket page"]},
        "document API": 400,
        "ticket API": 400,
    }
    assert "url" in answers["document API"].json() and "url" in answers["ticket API"].json()


def test_http_and_https_links_are_kept(client, ciso):
    api = token_client(ciso)
    assert (
        api.post("/api/documents/", {"title": "A", "kind": "policy", "url": "https://wiki.example/a"}).status_code
        == 201
    )
    assert (
        api.post("/api/tickets/", {"system": "other", "key": "X-2", "url": "http://tracker.example/2"}).status_code
        == 201
    )
