"""evidence.validation, which the API and the evidence page share."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart

from evidence.validation import validate_evidence_upload
from tests.evidence.test_evidence_upload import CountingPayload


def check(name: str, content: bytes) -> str:
    return validate_evidence_upload(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("policy.PDF", b"%PDF-1.7\n...", "application/pdf"),
        (
            "register.xlsx",
            b"PK\x03\x04rest-of-zip",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("scan.sarif", '\ufeff{"runs": []}'.encode(), "application/sarif+json"),
        ("notes.md", "Revue d’accès — trimestre 3".encode(), "text/markdown"),
        ("export.csv", b"id,open\nsg-1,false\n", "text/csv"),
    ],
)
def test_known_kinds_pass_and_get_their_content_type(name, content, content_type):
    assert check(name, content) == content_type


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.txt", b"", "empty"),
        ("noextension", b"hello", "extension"),
        ("image.svg", b"<svg onload=alert(1)>", "extension"),
        ("fake.png", b"GIF89a", "content"),
        ("latin1.txt", "café".encode("latin-1"), "content"),
        ("fake.docx", b"%PDF-1.4", "content"),
    ],
)
def test_the_wrong_kinds_are_refused_with_a_reason(name, content, code):
    with pytest.raises(ValidationError) as refused:
        check(name, content)
    assert refused.value.code == code


def test_the_file_can_be_read_again_after_the_check():
    upload = SimpleUploadedFile("report.json", b'{"ok": true}')
    validate_evidence_upload(upload)
    assert upload.read() == b'{"ok": true}'


def test_the_page_and_the_api_refuse_an_oversized_body_unread_with_the_same_sentence(
    client, as_engineer, engineer, control, settings
):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(engineer)
    content = b"%PDF-1.7\n" + b"0" * 3_000_000
    page_body = encode_multipart(BOUNDARY, {"kind": "file", "upload": SimpleUploadedFile("big.pdf", content)})
    api_body = encode_multipart(
        BOUNDARY, {"control": control.tag, "title": "x", "file": SimpleUploadedFile("big.pdf", content)}
    )
    page_stream, api_stream = CountingPayload(page_body), CountingPayload(api_body)
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    page = client.post(
        f"{control.get_absolute_url()}evidence/add/", page_body, content_type=multipart, **{"wsgi.input": page_stream}
    )
    api = as_engineer.post("/api/evidence/", api_body, content_type=multipart, **{"wsgi.input": api_stream})
    assert api.status_code == 413
    assert api.json()["detail"] == page.context_data["form"].errors["upload"][0]
    assert api.json()["detail"] == "The file is 2.9\xa0MB; evidence files can be at most 1.0\xa0MB."
    assert page_stream.bytes_read == api_stream.bytes_read == 0


def test_the_api_stops_a_file_that_streams_past_the_limit(as_engineer, control, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 200_000
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * 201_000)})
    response = as_engineer.post("/api/evidence/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert response.status_code == 413
    assert response.json()["detail"] == "The file is more than 195.3\xa0KB; evidence files can be at most 195.3\xa0KB."
