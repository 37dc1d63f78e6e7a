"""Ticket webhooks: a GitHub issue or Jira ticket that names a control is linked to it and kept in sync."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid

import pytest

from compliance.models import LinkOrigin, Ticket, TicketLink, WebhookDelivery
from compliance.webhooks import MAX_BODY_BYTES

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.JIRA_WEBHOOK_SECRET = SECRET


def github_issue(*, number=7, title="Close SSH to the world", body="", labels=(), state="open", action="opened"):
    return {
        "action": action,
        "issue": {
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "html_url": f"https://github.com/acme/infra/issues/{number}",
            "labels": [{"name": name} for name in labels],
        },
        "repository": {"full_name": "acme/infra"},
    }


def send_github(client, payload, *, event="issues", delivery=None, secret=SECRET, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/github/",
        body,
        content_type="application/json",
        headers={
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": signature,
        },
    )


def test_an_issue_naming_controls_is_linked_to_them(client, catalogs):
    response = send_github(
        client,
        github_issue(body="Fixes the SG rules. ctrl:iso27001-2022:A.8.20 and [CC6.6]", labels=["A.8.22", "bug"]),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["linked"] == ["ctrl:iso27001-2022:A.8.20", "ctrl:soc2-2017:CC6.6", "ctrl:iso27001-2022:A.8.22"]
    assert body["unknown"] == []
    ticket = Ticket.objects.get(system="github", key="acme/infra#7")
    assert ticket.title == "Close SSH to the world" and ticket.state == "open" and ticket.last_synced_at
    assert ticket.url == "https://github.com/acme/infra/issues/7"
    links = TicketLink.objects.filter(ticket=ticket)
    assert links.count() == 3 and {link.origin for link in links} == {LinkOrigin.WEBHOOK}
    assert {link.linked_by for link in links} == {None}


def test_unknown_references_are_answered_back_never_dropped(client, catalogs, caplog):
    response = send_github(client, github_issue(body="ctrl:iso27001-2022:A.8.20 ctrl:iso27001-2022:A.9.99 [XX1.1]"))
    body = response.json()
    assert body["linked"] == ["ctrl:iso27001-2022:A.8.20"]
    assert body["unknown"] == ["iso27001-2022:A.9.99", "XX1.1"]
    assert "A.9.99" in caplog.text


def test_a_mention_in_prose_is_not_a_reference(client, catalogs):
    response = send_github(client, github_issue(body="As A.8.20 says, we should segment. See also CC6.6."))
    assert response.json()["linked"] == []
    assert not Ticket.objects.exists()  # nothing names a control, and the ticket was not in the register


def test_closing_the_issue_keeps_the_ticket_state_in_sync(client, catalogs):
    send_github(client, github_issue(body="[A.8.20]"))
    send_github(client, github_issue(title="Close SSH (done)", state="closed", action="closed"))
    ticket = Ticket.objects.get(key="acme/infra#7")
    assert ticket.state == "closed" and ticket.title == "Close SSH (done)" and not ticket.is_open
    assert ticket.links.count() == 1  # links stay: removing one is a person's decision


def test_a_merged_pull_request_reads_as_merged(client, catalogs):
    payload = {
        "action": "closed",
        "pull_request": {
            "number": 12,
            "title": "Enforce IMDSv2 ctrl:iso27001-2022:A.8.9",
            "body": None,
            "state": "closed",
            "merged": True,
            "html_url": "https://github.com/acme/infra/pull/12",
            "labels": [],
        },
        "repository": {"full_name": "acme/infra"},
    }
    assert send_github(client, payload, event="pull_request").status_code == 200
    assert Ticket.objects.get(key="acme/infra#12").state == "merged"


def test_a_replayed_delivery_changes_nothing(client, catalogs):
    payload = github_issue(body="[A.8.20]")
    first = send_github(client, payload, delivery="delivery-1")
    ticket = Ticket.objects.get()
    synced = ticket.last_synced_at
    history = ticket.history.count()
    replay = send_github(client, github_issue(body="[A.8.20]", state="closed"), delivery="delivery-1")
    assert first.status_code == replay.status_code == 200
    assert replay.json()["duplicate"] is True
    ticket.refresh_from_db()
    assert ticket.state == "open" and ticket.last_synced_at == synced and ticket.history.count() == history
    assert WebhookDelivery.objects.count() == 1


def test_a_bad_signature_changes_nothing_and_is_logged_without_secrets(client, catalogs, caplog):
    caplog.set_level(logging.WARNING)
    response = send_github(client, github_issue(body="[A.8.20]"), secret="wrong")
    assert response.status_code == 401
    assert not Ticket.objects.exists() and not WebhookDelivery.objects.exists()
    assert "refused" in caplog.text and SECRET not in caplog.text and "sha256=" not in caplog.text


def test_an_unsigned_delivery_is_refused(client, catalogs):
    response = client.post("/webhooks/github/", github_issue(), content_type="application/json")
    assert response.status_code == 401 and not Ticket.objects.exists()


def test_without_a_secret_the_endpoints_are_not_configured(client, catalogs, settings):
    settings.GITHUB_WEBHOOK_SECRET = None
    settings.JIRA_WEBHOOK_SECRET = ""
    assert send_github(client, github_issue(body="[A.8.20]")).status_code == 503
    assert send_github(client, github_issue(body="[A.8.20]"), secret="").status_code == 503
    response = client.post("/webhooks/jira/", {}, content_type="application/json")
    assert response.status_code == 503 and response.json()["error"] == "webhook not configured"
    assert not Ticket.objects.exists()


def test_github_ping_is_answered(client):
    response = send_github(client, {"zen": "Keep it logically awesome.", "hook_id": 1}, event="ping")
    assert response.status_code == 200 and response.json()["pong"] is True


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2, 3]",
        json.dumps({"action": "opened", "repository": {"full_name": "acme/infra"}}).encode(),
        json.dumps({**github_issue(), "issue": {**github_issue()["issue"], "number": "seven"}}).encode(),
        json.dumps({**github_issue(), "issue": {**github_issue()["issue"], "labels": "A.8.20"}}).encode(),
        json.dumps({**github_issue(), "issue": {**github_issue()["issue"], "title": ["x"]}}).encode(),
    ],
    ids=["bad-json", "not-an-object", "no-issue", "number-not-a-number", "labels-not-a-list", "title-not-text"],
)
def test_a_malformed_payload_is_a_400_and_changes_nothing(client, catalogs, raw):
    response = send_github(client, None, raw=raw)
    assert response.status_code == 400 and "error" in response.json()
    assert not Ticket.objects.exists() and not WebhookDelivery.objects.exists()


def test_nul_characters_in_a_ticket_do_not_break_the_database(client, catalogs):
    response = send_github(client, github_issue(title="Close\x00 SSH", body="[A.8.20]\x00"))
    assert response.status_code == 200
    assert Ticket.objects.get().title == "Close SSH"


def test_a_ticket_naming_too_many_controls_is_refused(client, catalogs):
    body = "[A.8.20] " + " ".join(f"[A.9.{n}]" for n in range(100))
    response = send_github(client, github_issue(body=body))
    assert response.status_code == 400 and "at most 100" in response.json()["error"]
    assert not Ticket.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_huge_body_is_refused_unread(client, catalogs):
    raw = json.dumps(github_issue(body="[A.8.20] " + "x" * MAX_BODY_BYTES)).encode()
    response = send_github(client, None, raw=raw)
    assert response.status_code == 413 and not Ticket.objects.exists()


def test_other_github_events_are_acknowledged_and_ignored(client, catalogs):
    response = send_github(client, {"ref": "refs/heads/main"}, event="push")
    assert response.status_code == 200 and "ignored" in response.json()


# --- Jira -------------------------------------------------------------------------------------------------


def jira_issue(*, key="SEC-12", summary="Rotate the KMS keys", description=None, labels=(), status="In Progress"):
    return {
        "webhookEvent": "jira:issue_updated",
        "issue": {
            "key": key,
            "self": "https://acme.atlassian.net/rest/api/2/issue/10012",
            "fields": {
                "summary": summary,
                "description": description,
                "labels": list(labels),
                "status": {"name": status},
            },
        },
    }


def send_jira(client, payload, *, secret=SECRET, identifier=None, raw: bytes | None = None, url="/webhooks/jira/"):
    """As Jira Cloud sends an admin webhook with a secret: the body's HMAC-SHA256 in X-Hub-Signature."""
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    if identifier:
        headers["X-Atlassian-Webhook-Identifier"] = identifier
    return client.post(url, body, content_type="application/json", headers=headers)


def test_a_signed_jira_issue_is_linked(client, catalogs):
    response = send_jira(client, jira_issue(labels=["ctrl:iso27001-2022:A.8.24"]), identifier="jira-1")
    assert response.status_code == 200, response.content
    assert response.json()["linked"] == ["ctrl:iso27001-2022:A.8.24"]
    ticket = Ticket.objects.get(system="jira", key="SEC-12")
    assert ticket.url == "https://acme.atlassian.net/browse/SEC-12" and ticket.state == "In Progress"


def test_jira_cloud_descriptions_in_document_format_are_read(client, catalogs):
    adf = {
        "type": "doc",
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Scope: [iso27001-2022:A.8.24]"}]}],
    }
    response = send_jira(client, jira_issue(description=adf))
    assert response.status_code == 200 and response.json()["linked"] == ["ctrl:iso27001-2022:A.8.24"]


def test_jira_with_a_wrong_signature_changes_nothing(client, catalogs):
    assert send_jira(client, jira_issue(description="[A.8.24]"), secret="guess").status_code == 401
    unsigned = client.post("/webhooks/jira/", jira_issue(description="[A.8.24]"), content_type="application/json")
    assert unsigned.status_code == 401
    assert not Ticket.objects.exists()


def test_the_old_shared_secret_header_or_query_string_is_no_longer_accepted(client, catalogs, caplog):
    """The secret in the URL lands in every access log on the way; only the body's signature proves a delivery."""
    payload = json.dumps(jira_issue(description="[A.8.24]"))
    as_header = client.post(
        "/webhooks/jira/", payload, content_type="application/json", headers={"X-Webhook-Secret": SECRET}
    )
    in_query = client.post(f"/webhooks/jira/?secret={SECRET}", payload, content_type="application/json")
    assert as_header.status_code == in_query.status_code == 401
    # Even alongside a good signature, a secret in the URL is refused so that the operator removes it.
    signed_with_query = send_jira(client, jira_issue(description="[A.8.24]"), url=f"/webhooks/jira/?secret={SECRET}")
    assert signed_with_query.status_code == 401 and "URL" in signed_with_query.json()["error"]
    assert not Ticket.objects.exists() and SECRET not in caplog.text


def test_a_replayed_jira_delivery_changes_nothing(client, catalogs):
    send_jira(client, jira_issue(description="[A.8.24]"), identifier="jira-7")
    replay = send_jira(client, jira_issue(description="[A.8.24]", status="Done"), identifier="jira-7")
    assert replay.json()["duplicate"] is True
    assert Ticket.objects.get().state == "In Progress"
    # Without an identifier, the same bytes twice are the same delivery.
    payload = jira_issue(key="SEC-13", description="[A.8.24]")
    send_jira(client, payload)
    assert send_jira(client, payload).json()["duplicate"] is True


def test_a_deleted_jira_issue_reads_as_closed(client, catalogs):
    send_jira(client, jira_issue(description="[A.8.24]"))
    send_jira(client, {**jira_issue(), "webhookEvent": "jira:issue_deleted"})
    assert not Ticket.objects.get().is_open


@pytest.mark.parametrize(
    "payload",
    [{"webhookEvent": "jira:issue_updated", "issue": {"fields": {}}}, {"issue": "SEC-1"}, {"issue": {"key": 12}}],
    ids=["no-key", "issue-not-an-object", "key-not-text"],
)
def test_a_malformed_jira_payload_is_a_400(client, catalogs, payload):
    assert send_jira(client, payload).status_code == 400
    assert not WebhookDelivery.objects.exists()


# --- hostile deliveries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "JavaScript:alert(1)", "data:text/html,<b>x</b>"])
def test_a_signed_github_event_with_a_script_url_stores_no_link(client, catalogs, ciso, url):
    payload = github_issue(body="[A.8.20]")
    payload["issue"]["html_url"] = url
    assert send_github(client, payload).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.url == ""
    client.force_login(ciso)
    page = client.get(ticket.get_absolute_url())
    assert page.status_code == 200 and b"javascript:" not in page.content.lower() and b"data:text" not in page.content


def test_a_jira_event_with_a_script_self_url_stores_no_link(client, catalogs):
    payload = jira_issue(description="[A.8.24]")
    payload["issue"]["self"] = "javascript:alert(1)//rest/api/2/issue/1"
    assert send_jira(client, payload).status_code == 200
    assert Ticket.objects.get().url == ""


def test_a_deeply_nested_body_is_a_400_not_a_500(client, catalogs):
    raw = b"[" * 100_000 + b"]" * 100_000
    assert send_github(client, None, raw=raw).status_code == 400
    assert send_jira(client, None, raw=raw).status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_a_400_level_jira_description_is_a_400_not_a_500(client, catalogs):
    node = {"type": "text", "text": "[A.8.24]"}
    for _ in range(400):
        node = {"type": "paragraph", "content": [node]}
    response = send_jira(client, jira_issue(description={"type": "doc", "content": [node]}))
    assert response.status_code == 400 and "deeper" in response.json()["error"]
    assert not Ticket.objects.exists()


def test_brackets_inside_text_do_not_count_as_nesting(client, catalogs):
    response = send_github(client, github_issue(body="[A.8.20] " + "[[{{" * 5000 + ' \\" ]]'))
    assert response.status_code == 200 and response.json()["linked"] == ["ctrl:iso27001-2022:A.8.20"]


def test_an_old_body_replayed_under_a_new_delivery_id_does_not_roll_the_ticket_back(client, catalogs):
    opened = github_issue(body="[A.8.20]")
    opened["issue"]["updated_at"] = "2026-11-30T09:00:00Z"
    closed = github_issue(body="[A.8.20]", state="closed", action="closed")
    closed["issue"]["updated_at"] = "2026-11-30T10:00:00Z"
    send_github(client, opened)
    send_github(client, closed)
    history = Ticket.objects.get().history.count()
    replay = send_github(client, opened, delivery="a-fresh-delivery-id")
    assert replay.status_code == 200 and "stale" in replay.json()
    ticket = Ticket.objects.get()
    assert ticket.state == "closed" and ticket.history.count() == history
    assert ticket.source_updated_at.isoformat() == "2026-11-30T10:00:00+00:00"
    assert WebhookDelivery.objects.get(delivery_id="a-fresh-delivery-id").outcome["stale"]


def test_jira_deliveries_arriving_out_of_order_keep_the_latest_state(client, catalogs):
    done = jira_issue(description="[A.8.24]", status="Done")
    done["issue"]["fields"]["updated"] = "2026-11-30T10:00:00.000+0000"
    in_progress = jira_issue(description="[A.8.24]", status="In Progress")
    in_progress["issue"]["fields"]["updated"] = "2026-11-30T09:00:00.000+0000"
    send_jira(client, done, identifier="jira-later")
    assert send_jira(client, in_progress, identifier="jira-earlier").json()["stale"]
    assert Ticket.objects.get().state == "Done"
    # Without `updated`, the event's own millisecond timestamp orders it.
    older = jira_issue(description="[A.8.24]", status="To Do")
    older["timestamp"] = 1_764_490_000_000  # 2025-11-30, before both
    send_jira(client, older, identifier="jira-oldest")
    assert Ticket.objects.get().state == "Done"


def test_a_malformed_update_time_is_a_400(client, catalogs):
    payload = github_issue(body="[A.8.20]")
    payload["issue"]["updated_at"] = "yesterday"
    assert send_github(client, payload).status_code == 400
