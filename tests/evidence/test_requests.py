"""Evidence requests and questions on a control, as the CISO, auditors and owners use them through HTTP and the API."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from compliance import services
from compliance.models import AuditEvent, AuditVerb, ControlComment, OwnerNotice
from compliance.notifications import owners_notify
from evidence.models import Evidence, EvidenceRequest
from evidence.requests import evidence_request_open
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owned(ciso, engineer, auditor, control):
    """A.8.20, owned by the engineer; everyone has an email address."""
    for person in (ciso, engineer, auditor):
        person.email = f"{person.username}@example.com"
        person.save()
    services.control_update(control=control, actor=ciso, owner=engineer)
    return control


def due(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def ask(control, auditor, what: str = "The firewall rule review of Q3") -> EvidenceRequest:
    return evidence_request_open(control=control, actor=auditor, what=what, due=timezone.localdate())


def test_an_auditor_asks_the_owner_who_is_told_at_once(
    client, auditor, engineer, owned, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    page = client.get(owned.get_absolute_url()).text
    assert "Ask Eli" not in page and "Ask engineer for evidence" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{owned.get_absolute_url()}evidence-requests/open/",
            {"what": "The firewall rule review of Q3", "due": due()},
            **HTMX,
        )

    assert response.status_code == 200 and "Asked engineer for evidence" in response.text
    asked = EvidenceRequest.objects.get()
    assert (asked.asked_by, asked.addressed_to, asked.state) == (auditor, engineer, "open")
    event = AuditEvent.objects.get(verb=AuditVerb.EVIDENCE_REQUESTED)
    assert event.actor == auditor and event.details["addressed_to"] == "engineer"
    (told,) = [message for message in mail.outbox if message.to == ["engineer@example.com"]]
    assert "Evidence requested of you" in told.body and "The firewall rule review of Q3" in told.body


def test_the_owner_answers_by_uploading_and_the_request_closes_with_the_item(client, auditor, engineer, owned):
    asked = ask(owned, auditor)
    client.force_login(engineer)
    assert "The firewall rule review of Q3" in client.get("/inbox/").text
    page = client.get(f"/evidence-requests/{asked.pk}/").text
    assert "Send the evidence" in page

    response = client.post(
        f"/evidence-requests/{asked.pk}/",
        {"kind": "file", "title": "Q3 review", "upload": SimpleUploadedFile("review.txt", b"rules reviewed")},
    )

    assert response.status_code == 302 and response["Location"] == "/inbox/"
    asked.refresh_from_db()
    item = Evidence.objects.get(title="Q3 review")
    assert asked.state == "answered" and list(asked.answered_with.all()) == [item]
    assert list(item.controls.all()) == [owned] and item.collected_by == engineer
    assert AuditEvent.objects.get(verb=AuditVerb.EVIDENCE_REQUEST_ANSWERED).details["evidence"] == [item.pk]

    client.force_login(auditor)
    mine = client.get("/inbox/").text
    assert "answered" in mine and "Q3 review" in mine


def test_a_bad_upload_is_refused_and_the_request_stays_open(client, auditor, engineer, owned):
    asked = ask(owned, auditor)
    client.force_login(engineer)
    response = client.post(
        f"/evidence-requests/{asked.pk}/",
        {"kind": "file", "upload": SimpleUploadedFile("run.exe", b"MZ\x90\x00binary")},
    )
    assert response.status_code == 200 and "Nothing was sent" in response.text
    assert EvidenceRequest.objects.get().state == "open" and not Evidence.objects.exists()


def test_nobody_but_the_addressee_answers_and_a_closed_request_is_not_answered_again(
    client, ciso, auditor, engineer, other_engineer, owned
):
    asked = ask(owned, auditor)
    answer = {"kind": "link", "url": "https://wiki.example/fw-review", "title": "Review"}
    for intruder in (ciso, auditor, other_engineer):
        client.force_login(intruder)
        assert client.post(f"/evidence-requests/{asked.pk}/", answer).status_code == 403
    client.force_login(engineer)
    assert client.post(f"/evidence-requests/{asked.pk}/", answer).status_code == 302

    again = client.post(f"/evidence-requests/{asked.pk}/", {**answer, "title": "Again"})
    assert "Send the evidence" not in again.text  # no form on a closed request
    assert not Evidence.objects.filter(title="Again").exists()


def test_the_asker_withdraws_and_nobody_can_ask_about_a_control_without_an_owner(
    client, ciso, auditor, owned, catalogs
):
    asked = ask(owned, auditor)
    client.force_login(auditor)
    response = client.post(f"/evidence-requests/{asked.pk}/withdraw/", **HTMX)
    assert "Request withdrawn." in response.text
    assert EvidenceRequest.objects.get().state == "withdrawn"

    unowned = owned.framework.controls.get(ref="A.8.21")
    refused = client.post(f"{unowned.get_absolute_url()}evidence-requests/open/", {"what": "x", "due": due()}, **HTMX)
    assert "the CISO assigns one first" in refused.text
    assert EvidenceRequest.objects.count() == 1


def test_an_engineer_cannot_ask_for_evidence(client, engineer, owned):
    client.force_login(engineer)
    response = client.post(f"{owned.get_absolute_url()}evidence-requests/open/", {"what": "x", "due": due()})
    assert response.status_code == 403 and not EvidenceRequest.objects.exists()


def test_a_question_and_its_answer_with_a_mention_that_tells_the_person(
    client, ciso, auditor, engineer, owned, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(
            f"{owned.get_absolute_url()}comments/", {"body": "Why is port 22 open? @ciso please confirm."}, **HTMX
        )
    assert asked.status_code == 200 and 'id="comments"' in asked.text and "Why is port 22 open?" in asked.text
    question = ControlComment.objects.get()
    told = {message.to[0]: message.body for message in mail.outbox}
    assert "You were mentioned" in told["ciso@example.com"]
    assert "New comments" in told["engineer@example.com"]  # the owner of the control
    assert OwnerNotice.objects.filter(topic=f"comment:{question.pk}").count() == 2

    client.force_login(engineer)
    reply = client.post(f"{owned.get_absolute_url()}comments/", {"body": "A leftover; SEC-41.", "parent": question.pk})
    assert reply.status_code == 302
    answer = ControlComment.objects.get(parent=question)
    assert answer.author == engineer
    page = client.get(owned.get_absolute_url()).text
    assert page.index("Why is port 22 open?") < page.index("A leftover; SEC-41.")

    empty = client.post(f"{owned.get_absolute_url()}comments/", {"body": "  "}, **HTMX)
    assert "Nothing was posted" in empty.text and ControlComment.objects.count() == 2


def test_the_owner_digest_tells_open_requests_overdue_ones_and_answers_once(auditor, engineer, owned):
    asked = ask(owned, auditor)
    services.control_comment_add(control=owned, actor=auditor, body="Who approved sg-web?")
    assert owners_notify()["digests"] == 1  # the engineer: the request and the question, in one digest
    (digest,) = mail.outbox
    assert "Evidence requested of you" in digest.body and "Who approved sg-web?" in digest.body
    assert owners_notify() == {"events": 0, "digests": 0}

    EvidenceRequest.objects.filter(pk=asked.pk).update(due=timezone.localdate() - timedelta(days=1))
    owners_notify()
    assert "Evidence requests past their due date" in mail.outbox[-1].body


def test_the_audit_package_holds_requests_their_answers_and_the_questions(tmp_path, auditor, engineer, owned):
    asked = ask(owned, auditor)
    item = Evidence.objects.create(kind="note", title="n", collected_by=engineer, sha256="0" * 64)
    item.controls.add(owned)
    from evidence.requests import evidence_request_answer

    evidence_request_answer(request=asked, actor=engineer, items=[item])
    services.control_comment_add(control=owned, actor=auditor, body="Who approved sg-web?")
    out = tmp_path / "package.zip"
    call_command("export_audit_package", "--out", str(out))

    archive = zipfile.ZipFile(out)
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["path"] for entry in manifest["files"]}
    assert {"requests.csv", "requests.json", "comments.csv"} <= listed
    (row,) = csv.DictReader(io.StringIO(archive.read("requests.csv").decode()))
    assert (row["control"], row["state"], row["answered_with"]) == ("iso27001-2022:A.8.20", "answered", str(item.pk))
    document = json.loads(archive.read("requests.json"))
    assert document["comments"][0]["body"] == "Who approved sg-web?"


# --- The API: the same services and permissions -------------------------------------------------------------


def test_the_api_asks_answers_and_lists_requests_and_comments(auditor, engineer, owned):
    as_auditor, as_engineer = token_client(auditor), token_client(engineer)
    created = as_auditor.post(
        "/api/evidence-requests/",
        {"control": "iso27001-2022:A.8.20", "what": "Q3 firewall review", "due": due()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["addressed_to"] == "engineer" and created.json()["state"] == "open"
    pk = created.json()["id"]

    upload = SimpleUploadedFile("review.txt", b"reviewed", content_type="text/plain")
    answered = as_engineer.post(f"/api/evidence-requests/{pk}/answer/", {"title": "Q3 review", "file": upload})
    assert answered.status_code == 200, answered.json()
    assert answered.json()["state"] == "answered" and len(answered.json()["answered_with"]) == 1

    again = as_engineer.post(f"/api/evidence-requests/{pk}/answer/", {"title": "x", "url": "https://example.com/x"})
    assert again.status_code == 400 and "only open requests" in json.dumps(again.json())

    comment = as_auditor.post("/api/comments/", {"control": "iso27001-2022:A.8.20", "body": "Thanks @engineer"})
    assert comment.status_code == 201 and comment.json()["mentions"] == ["engineer"]
    listed = as_engineer.get("/api/comments/?control=iso27001-2022:A.8.20").json()["results"]
    assert [c["body"] for c in listed] == ["Thanks @engineer"]
    assert as_engineer.post("/api/evidence-requests/", {"control": "iso27001-2022:A.8.20"}).status_code == 403


def test_the_demo_seeds_one_open_request_to_the_engineer_and_one_question_thread_once(catalogs):
    from accounts.demo import demo_users_reset
    from evidence.demo import demo_requests_seed

    demo_users_reset()
    assert demo_requests_seed() == {"requests": 1, "comments": 2}
    asked = EvidenceRequest.objects.get()
    assert (asked.addressed_to.username, asked.asked_by.username, asked.state) == ("engineer", "auditor", "open")
    thread = ControlComment.objects.get(parent=None)
    assert thread.mentioned_usernames() == ["engineer"] and thread.replies.count() == 1
    assert demo_requests_seed() == {"requests": 0, "comments": 0}
