"""Evidence from pipelines: a file posted with a token becomes hashed, append-only evidence on its controls."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import ControlState
from evidence.models import Evidence
from tests.api.conftest import control

pytestmark = pytest.mark.django_db

REPORT = json.dumps({"security_groups": [{"id": "sg-1", "open_to_world": []}]}).encode()


def upload(name: str = "report.json", content: bytes = REPORT, content_type: str = "application/json"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_pipeline_attaches_a_report_to_two_controls(as_engineer, catalogs):
    # What `curl -F control=... -F control=... -F title=... -F file=@report.json` sends.
    response = as_engineer.post(
        "/api/evidence/",
        {
            "control": ["iso27001-2022:A.8.20", "soc2-2017:CC6.6"],
            "title": "Nightly security group export",
            "file": upload(),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(REPORT).hexdigest()
    assert body["size"] == len(REPORT) and body["kind"] == "file" and body["content_type"] == "application/json"
    assert body["controls"] == ["iso27001-2022:A.8.20", "soc2-2017:CC6.6"]
    assert body["collected_by"] == "engineer"
    item = Evidence.objects.get(pk=body["id"])
    assert ControlState.objects.get(control=control("CC6.6", "soc2-2017")).evidence_count == 1
    assert item.file.read() == REPORT


def test_the_hash_is_computed_by_the_server_never_taken_from_the_client(as_engineer, catalogs):
    response = as_engineer.post(
        "/api/evidence/",
        {"control": "iso27001-2022:A.8.20", "title": "Export", "file": upload(), "sha256": "0" * 64},
    )
    assert response.json()["sha256"] == hashlib.sha256(REPORT).hexdigest()


def test_the_stored_content_type_is_what_the_bytes_are_not_what_the_client_claims(as_engineer, catalogs):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    response = as_engineer.post(
        "/api/evidence/",
        {"control": "iso27001-2022:A.8.20", "title": "Screenshot", "file": upload("shot.png", png, "text/html")},
    )
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("payload.exe", b"MZ\x90\x00", "not accepted"),
        ("report.pdf", b"<html><script>alert(1)</script>", "does not match a .pdf"),
        ("notes.txt", b"\x7fELF\x02\x01\x00\x00", "binary"),
        ("report.json", b"{not json", "not valid JSON"),
        ("page.html", b"<html></html>", "not accepted"),
    ],
)
def test_uploads_are_checked_by_extension_and_content(as_engineer, catalogs, name, content, message):
    response = as_engineer.post(
        "/api/evidence/", {"control": "iso27001-2022:A.8.20", "title": "x", "file": upload(name, content)}
    )
    assert response.status_code == 400
    assert message in json.dumps(response.json())
    assert not Evidence.objects.exists()


def test_an_upload_over_the_limit_is_refused(as_engineer, catalogs, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 100
    response = as_engineer.post(
        "/api/evidence/", {"control": "iso27001-2022:A.8.20", "title": "x", "file": upload("big.txt", b"a" * 101)}
    )
    # Stopped while it streamed (config.uploads), so the answer is 413 like a body refused unread.
    assert response.status_code == 413 and "at most" in json.dumps(response.json())


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(as_engineer, catalogs, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1000
    response = as_engineer.post(
        "/api/evidence/", {"control": "iso27001-2022:A.8.20", "title": "x", "file": upload("big.txt", b"a" * 200_000)}
    )
    assert response.status_code == 413
    assert not Evidence.objects.exists()


def test_evidence_can_be_a_link_or_a_note(as_engineer, catalogs):
    link = as_engineer.post(
        "/api/evidence/",
        {"control": ["iso27001-2022:A.8.20"], "title": "CI run", "url": "https://ci.example/runs/42"},
        format="json",
    )
    assert link.status_code == 201 and link.json()["kind"] == "link"
    note = as_engineer.post(
        "/api/evidence/",
        {"control": ["iso27001-2022:A.8.20"], "title": "Walkthrough", "description": "Seen on 3 Dec"},
        format="json",
    )
    assert note.status_code == 201 and note.json()["kind"] == "note"
    empty = as_engineer.post("/api/evidence/", {"control": ["iso27001-2022:A.8.20"], "title": "x"}, format="json")
    assert empty.status_code == 400


def test_evidence_needs_a_known_control(as_engineer, catalogs):
    response = as_engineer.post("/api/evidence/", {"control": "iso27001-2022:Z.1", "title": "x", "file": upload()})
    assert response.status_code == 400 and "Z.1" in json.dumps(response.json())
    response = as_engineer.post("/api/evidence/", {"title": "x", "file": upload()})
    assert response.status_code == 400


def test_evidence_is_never_overwritten_or_deleted_through_the_api(as_ciso, register):
    item = register["evidence"]
    for method in ("put", "patch", "delete"):
        response = getattr(as_ciso, method)(f"/api/evidence/{item.pk}/", {"title": "changed"}, format="json")
        assert response.status_code == 405
    stored = Evidence.objects.get(pk=item.pk)
    assert stored.title == "Security group export" and stored.sha256 == item.sha256


def test_a_correction_supersedes_and_the_original_stays(as_engineer, register):
    original = register["evidence"]
    response = as_engineer.post(
        "/api/evidence/",
        {"control": "iso27001-2022:A.8.20", "title": "Export, corrected", "file": upload(), "supersedes": original.pk},
    )
    assert response.status_code == 201
    assert as_engineer.get(f"/api/evidence/{original.pk}/").json()["superseded_by"] == response.json()["id"]
    current = as_engineer.get("/api/evidence/", {"current": "true"}).json()["results"]
    assert [e["id"] for e in current] == [response.json()["id"]]
    again = as_engineer.post(
        "/api/evidence/",
        {"control": "iso27001-2022:A.8.20", "title": "Twice", "file": upload(), "supersedes": original.pk},
    )
    assert again.status_code == 400


def test_an_auditor_downloads_the_file_as_an_attachment(as_auditor, register):
    item = register["evidence"]
    response = as_auditor.get(f"/api/evidence/{item.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == item.sha256


def test_evidence_is_filtered_by_control_and_time(as_auditor, register):
    def found(**filters) -> int:
        return len(as_auditor.get("/api/evidence/", filters).json()["results"])

    assert found(control="iso27001-2022:A.8.20") == 1
    assert found(control="iso27001-2022:A.5.1") == 0
    assert found(collected_after="2999-01-01T00:00:00Z") == 0
    assert found(sha256=register["evidence"].sha256) == 1
