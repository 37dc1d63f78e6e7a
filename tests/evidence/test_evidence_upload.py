"""Adding evidence from a control's page: files checked for size, type and content; links and notes."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, FakePayload, encode_multipart
from django.utils import timezone

from compliance.models import ControlState
from evidence.models import Evidence
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def add_url(control) -> str:
    return f"{control.get_absolute_url()}evidence/add/"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_an_engineer_uploads_a_pdf_in_place(client, engineer, control):
    client.force_login(engineer)
    response = client.post(
        add_url(control), {"kind": "file", "title": "SG export", "upload": upload("sg.pdf", PDF)}, **HTMX
    )
    assert response.status_code == 200
    # The form replaced itself; on success the whole evidence section is redrawn instead.
    assert response["HX-Retarget"] == "#evidence" and response["HX-Reswap"] == "outerHTML"
    assert "controlChanged" in json.loads(response["HX-Trigger"])
    assert response.text.lstrip().startswith('<section id="evidence"') and "SG export" in response.text
    item = Evidence.objects.get()
    assert (item.sha256, item.size, item.content_type) == (hashlib.sha256(PDF).hexdigest(), len(PDF), "application/pdf")
    assert item.collected_by == engineer and list(item.controls.all()) == [control]
    assert ControlState.objects.get(control=control).evidence_count == 1


def test_the_title_defaults_to_the_file_name(client, engineer, control):
    client.force_login(engineer)
    client.post(add_url(control), {"kind": "file", "upload": upload("backup-report.png", PNG)}, **HTMX)
    assert Evidence.objects.get().title == "backup-report.png"


def test_without_javascript_the_form_is_a_page_and_success_returns_to_the_control(client, engineer, control):
    client.force_login(engineer)
    page = client.get(add_url(control))
    assert page.status_code == 200 and "<html" in page.text and 'enctype="multipart/form-data"' in page.text
    response = client.post(add_url(control), {"kind": "link", "url": "https://wiki.example.com/fw-review"})
    assert response.status_code == 302 and response["Location"] == control.get_absolute_url()
    assert Evidence.objects.get().kind == "link"


def test_htmx_gets_the_form_alone(client, engineer, control):
    client.force_login(engineer)
    fragment = client.get(add_url(control), **HTMX)
    assert fragment.text.lstrip().startswith('<form id="add-evidence"') and "<html" not in fragment.text
    assert 'accept=".pdf,' in fragment.text


def test_a_file_over_the_limit_is_refused_and_nothing_typed_is_lost(client, engineer, control, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    client.force_login(engineer)
    data = {
        "kind": "file",
        "title": "Quarterly export",
        "description": "All regions",
        "upload": upload("big.pdf", PDF + b"0" * 2000),
    }
    response = client.post(add_url(control), data, **HTMX)
    assert response.status_code == 200 and "HX-Retarget" not in response
    errors = response.context_data["form"].errors
    assert "evidence files can be at most 1.0\xa0KB" in errors["upload"][0]
    assert 'value="Quarterly export"' in response.text and "All regions" in response.text
    assert "Choose the file again" in response.text
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00", "are not accepted"),
        ("page.html", b"<html></html>", "are not accepted"),
        ("report", PDF, "are not accepted"),
        ("report.pdf", b"MZ\x90\x00\x03", "is a program"),
        ("notes.txt", b"\x7fELF\x02\x01\x01", "is a program"),
        ("cleanup.txt", b"#!/bin/sh\nrm -rf /\n", "is a program"),
        ("scan.png", PDF, "does not match a .png file"),
        ("export.pdf", b"just some text", "does not match a .pdf file"),
        ("table.csv", b"a,b\x00\x01\x02", "not a text file"),
        ("latin1.txt", "caf\xe9 cr\xe8me".encode("latin-1"), "not a text file"),
        ("empty.txt", b"", "file is empty."),
    ],
)
def test_files_of_the_wrong_type_or_content_are_refused_at_the_field(client, engineer, control, name, content, reason):
    client.force_login(engineer)
    response = client.post(add_url(control), {"kind": "file", "upload": upload(name, content)}, **HTMX)
    assert response.status_code == 200
    assert reason in response.context_data["form"].errors["upload"][0]
    assert not Evidence.objects.exists()


def test_text_and_office_files_with_the_right_content_are_accepted(client, engineer, control):
    client.force_login(engineer)
    for name, content in [
        ("findings.csv", "control,result\nA.8.20,crème\n".encode()),
        ("review.docx", b"PK\x03\x04" + b"\x00" * 40),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
    ]:
        response = client.post(add_url(control), {"kind": "file", "upload": upload(name, content)}, **HTMX)
        assert "HX-Retarget" in response, response.context_data["form"].errors
    assert Evidence.objects.count() == 3


def test_each_kind_needs_its_own_field(client, engineer, control):
    client.force_login(engineer)
    assert "Choose a file." in client.post(add_url(control), {"kind": "file"}, **HTMX).text
    assert "Give the link." in client.post(add_url(control), {"kind": "link"}, **HTMX).text
    assert "Write the note." in client.post(add_url(control), {"kind": "note"}, **HTMX).text
    invalid = client.post(add_url(control), {"kind": "automated", "description": "x"}, **HTMX)
    assert "Select a valid choice" in invalid.text
    assert not Evidence.objects.exists()


def test_a_note_takes_its_first_line_as_title_and_valid_until_must_lie_ahead(client, engineer, control):
    client.force_login(engineer)
    today = timezone.localdate().isoformat()
    past = client.post(add_url(control), {"kind": "note", "description": "x", "valid_until": today}, **HTMX)
    assert "valid until a day after today" in past.text
    later = (timezone.localdate() + timedelta(days=90)).isoformat()
    data = {"kind": "note", "description": "Walkthrough with the network team\nAll SGs reviewed.", "valid_until": later}
    client.post(add_url(control), data, **HTMX)
    item = Evidence.objects.get()
    assert item.title == "Walkthrough with the network team" and item.valid_until.date().isoformat() > later


def test_a_replacement_supersedes_the_old_item_which_stays_listed_as_superseded(client, engineer, control):
    old = evidence_add(controls=[control], title="Old export", actor=engineer, url="https://wiki/v1")
    client.force_login(engineer)
    data = {"kind": "link", "url": "https://wiki.example.com/v2", "title": "New export", "supersedes": old.pk}
    response = client.post(add_url(control), data, **HTMX)
    assert "badge superseded" in response.text, response.context_data["form"].errors
    assert Evidence.objects.get(pk=old.pk).superseded_by.title == "New export"
    assert ControlState.objects.get(control=control).evidence_count == 1


def test_an_item_already_superseded_cannot_be_replaced_again(client, engineer, control):
    old = evidence_add(controls=[control], title="Old", actor=engineer, url="https://wiki/v1")
    evidence_add(controls=[control], title="Newer", actor=engineer, url="https://wiki/v2", supersedes=old)
    client.force_login(engineer)
    response = client.post(
        add_url(control), {"kind": "link", "url": "https://wiki.example.com/v3", "supersedes": old.pk}, **HTMX
    )
    assert set(response.context_data["form"].errors) == {"supersedes"}
    assert "Select a valid choice" in response.context_data["form"].errors["supersedes"][0]
    assert Evidence.objects.count() == 2


def test_the_auditor_cannot_open_or_post_the_form(client, auditor, control):
    client.force_login(auditor)
    assert client.get(add_url(control), **HTMX).status_code == 403
    response = client.post(add_url(control), {"kind": "file", "upload": upload("a.pdf", PDF)}, **HTMX)
    assert response.status_code == 403 and "read-only" in response.text
    assert not Evidence.objects.exists()
    assert add_url(control) not in client.get(control.get_absolute_url()).text


class CountingPayload(FakePayload):
    """The request body as the server reads it, counting the bytes read."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


def post_counted(client, url: str, fields: dict, **extra) -> tuple:
    """Post a multipart body through a wsgi.input that counts what the server reads of it."""
    body = encode_multipart(BOUNDARY, fields)
    stream = CountingPayload(body)
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    response = client.post(url, body, content_type=content_type, **extra, **{"wsgi.input": stream})
    return response, stream, len(body)


def test_a_body_far_over_the_limit_is_refused_on_the_page_without_being_read(client, engineer, control, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(engineer)
    fields = {"kind": "file", "title": "Huge", "upload": upload("huge.pdf", PDF + b"0" * 3_000_000)}
    response, stream, size = post_counted(client, add_url(control), fields, **HTMX)
    assert response.status_code == 200 and "HX-Retarget" not in response
    message = response.context_data["form"].errors["upload"][0]
    assert message == "The file is 2.9\xa0MB; evidence files can be at most 1.0\xa0MB."
    assert stream.bytes_read == 0 and size > 3_000_000
    assert not Evidence.objects.exists()


def test_a_file_past_the_limit_is_stopped_while_it_streams(client, engineer, control, settings):
    """A body whose declared length passes the first check (limit + room for the form) still stops at the limit,
    and the form fields sent before the file are kept."""
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 200_000
    client.force_login(engineer)
    fields = {"kind": "file", "title": "Export", "upload": upload("big.pdf", PDF + b"0" * 201_000)}
    response, _, _ = post_counted(client, add_url(control), fields)
    assert response.context_data["form"].errors["upload"] == [
        "The file is more than 195.3\xa0KB; evidence files can be at most 195.3\xa0KB."
    ]
    assert 'value="Export"' in response.text
    assert not Evidence.objects.exists()


def test_without_javascript_an_oversized_body_gets_the_message_not_a_csrf_failure(engineer, control, settings):
    """The form's fields before the file, the CSRF token among them, are read; the file is not."""
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(engineer)
    browser.get(add_url(control))
    fields = {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        "kind": "file",
        "upload": upload("huge.pdf", PDF + b"0" * 3_000_000),
    }
    response, stream, _ = post_counted(browser, add_url(control), fields)
    assert response.status_code == 200
    assert response.context_data["form"].errors["upload"] == [
        "The file is 2.9\xa0MB; evidence files can be at most 1.0\xa0MB."
    ]
    assert stream.bytes_read <= 64 * 1024  # one chunk of the parser, for the fields before the file
