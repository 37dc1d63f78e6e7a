"""What an evidence upload may be: a known kind of file, of a bounded size, whose bytes match its name;
and what its dates may be.

Used by the API and the evidence page alike: `validate_evidence_upload(upload)` raises ValidationError or
returns the content type we determined from the bytes, which is what gets stored (never the client's claim).
`validate_evidence_dates` is called by `evidence_add`, so every path (page, API, scans) meets the same rule.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from config.uploads import too_large_message

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
TEXT = "text"  # no magic number: checked as UTF-8 without NUL bytes instead


@dataclass(frozen=True)
class Kind:
    content_type: str
    magic: tuple[bytes, ...] | str


# The allow-list. HTML and SVG are left out on purpose: served back to an auditor's browser they could run script.
ALLOWED: dict[str, Kind] = {
    "pdf": Kind("application/pdf", (b"%PDF-",)),
    "png": Kind("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": Kind("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": Kind("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": Kind("image/gif", (b"GIF87a", b"GIF89a")),
    "zip": Kind("application/zip", ZIP_MAGIC),
    "docx": Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP_MAGIC),
    "xlsx": Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP_MAGIC),
    "pptx": Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP_MAGIC),
    "odt": Kind("application/vnd.oasis.opendocument.text", ZIP_MAGIC),
    "ods": Kind("application/vnd.oasis.opendocument.spreadsheet", ZIP_MAGIC),
    "txt": Kind("text/plain", TEXT),
    "log": Kind("text/plain", TEXT),
    "md": Kind("text/markdown", TEXT),
    "csv": Kind("text/csv", TEXT),
    "tsv": Kind("text/tab-separated-values", TEXT),
    "json": Kind("application/json", TEXT),
    "xml": Kind("application/xml", TEXT),
    "yaml": Kind("application/yaml", TEXT),
    "yml": Kind("application/yaml", TEXT),
    "sarif": Kind("application/sarif+json", TEXT),
}
JSON_EXTENSIONS = {"json", "sarif"}
# Programs are refused whatever their name: Windows PE, ELF, Mach-O (both byte orders, fat), scripts.
EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
CHUNK = 1024 * 1024


def allowed_extensions() -> list[str]:
    return sorted(ALLOWED)


def validate_evidence_upload(upload: UploadedFile) -> str:
    """Check size, extension and content; return the content type to store. (A body far past the size limit
    never gets here: config.uploads stops it while it streams, see `upload_refusal`.)"""
    size = upload.size or 0
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(too_large_message(size), code="too_large")
    extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
    kind = ALLOWED.get(extension)
    if kind is None:
        raise ValidationError(
            f"Files ending .{extension or '(none)'} are not accepted as evidence; "
            f"accepted: {', '.join(allowed_extensions())}.",
            code="extension",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError(
            "This file is a program (an executable binary or a script); it cannot be evidence.", code="program"
        )
    if kind.magic == TEXT:
        _require_text(upload, as_json=extension in JSON_EXTENSIONS)
    else:
        _require_magic(upload, kind.magic, extension)
    return kind.content_type


def _require_magic(upload: UploadedFile, magic: tuple[bytes, ...], extension: str) -> None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(m) for m in magic):
        raise ValidationError(f"The content does not match a .{extension} file; was it renamed?", code="content")


def _require_text(upload: UploadedFile, *, as_json: bool) -> None:
    """UTF-8 all the way through, no NUL bytes; JSON files must also parse."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()  # a byte-order mark is allowed
    text_parts: list[str] = []
    upload.seek(0)
    try:
        for chunk in iter(lambda: upload.read(CHUNK), b""):
            if b"\x00" in chunk:
                raise ValidationError("The file contains binary data; it is not a text file.", code="content")
            part = decoder.decode(chunk)
            if as_json:
                text_parts.append(part)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ValidationError("This is not a text file: it is not UTF-8.", code="content") from exc
    finally:
        upload.seek(0)
    if as_json:
        try:
            json.loads("".join(text_parts))
        except ValueError as exc:
            raise ValidationError(f"The file is not valid JSON: {exc}", code="content") from exc


def max_valid_until(recorded_at: datetime) -> datetime:
    return recorded_at + timedelta(days=settings.EVIDENCE_MAX_VALIDITY_DAYS)


def validate_evidence_dates(*, collected_at: datetime, valid_until: datetime, recorded_at: datetime) -> None:
    """Collected no later than it is recorded; valid after it was collected and for at most
    EVIDENCE_MAX_VALIDITY_DAYS from when it is recorded. An old collection date is allowed (people upload
    old documents): coverage counts from the recording anyway (`Evidence.counts_from`)."""
    if collected_at > recorded_at:
        raise ValidationError({"collected_at": "Evidence cannot be collected in the future."}, code="future")
    if valid_until <= collected_at:
        raise ValidationError({"valid_until": "Must be after the moment it was collected."}, code="before_collected")
    limit = max_valid_until(recorded_at)
    if valid_until > limit:
        last_day = timezone.localdate(limit) - timedelta(days=1)  # the last day valid through its end
        raise ValidationError(
            {
                "valid_until": f"Evidence can be valid for at most {settings.EVIDENCE_MAX_VALIDITY_DAYS} days "
                f"from when it is recorded: until {last_day:%Y-%m-%d} at the latest."
            },
            code="too_long",
        )
