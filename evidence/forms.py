"""Adding evidence to a control: a file (size, extension and content checked), a link or a note."""

from __future__ import annotations

import codecs
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from compliance.models import Control
from evidence.models import Evidence, EvidenceKind

SNIFF_BYTES = 8192
PDF, PNG, JPEG = (b"%PDF-",), (b"\x89PNG\r\n\x1a\n",), (b"\xff\xd8\xff",)
GIF, ZIP = (b"GIF87a", b"GIF89a"), (b"PK\x03\x04",)
TEXT = None  # text files have no signature: they must decode as UTF-8 and hold no NUL byte

# extension -> (what the first bytes must be, the content type we store)
ALLOWED = {
    "pdf": (PDF, "application/pdf"),
    "png": (PNG, "image/png"),
    "jpg": (JPEG, "image/jpeg"),
    "jpeg": (JPEG, "image/jpeg"),
    "gif": (GIF, "image/gif"),
    "zip": (ZIP, "application/zip"),
    "docx": (ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (ZIP, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "odt": (ZIP, "application/vnd.oasis.opendocument.text"),
    "ods": (ZIP, "application/vnd.oasis.opendocument.spreadsheet"),
    "txt": (TEXT, "text/plain"),
    "log": (TEXT, "text/plain"),
    "md": (TEXT, "text/markdown"),
    "csv": (TEXT, "text/csv"),
    "tsv": (TEXT, "text/tab-separated-values"),
    "json": (TEXT, "application/json"),
    "yaml": (TEXT, "application/yaml"),
    "yml": (TEXT, "application/yaml"),
}
ACCEPT = ",".join(f".{extension}" for extension in ALLOWED)

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


def check_upload(upload) -> str:
    """Size, extension and content of an uploaded file; returns the content type to store, or raises."""
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"The file is {filesizeformat(upload.size)}; evidence files can be at most {filesizeformat(limit)}."
        )
    if upload.size == 0:
        raise ValidationError("The file is empty.")
    extension = PurePath(upload.name).suffix.lower().lstrip(".")
    if extension not in ALLOWED:
        raise ValidationError(
            f"Files of type “.{extension or '?'}” are not accepted. Accepted: {', '.join(sorted(ALLOWED))}."
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError("This file is a program (an executable or a script); it cannot be evidence.")
    signatures, content_type = ALLOWED[extension]
    if signatures is TEXT:
        if not _looks_like_text(head):
            raise ValidationError(f"This is not a text file, although it is named .{extension}.")
    elif not head.startswith(signatures):
        raise ValidationError(f"The content does not match a .{extension} file; was it renamed?")
    return content_type


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        # Not final: the sample may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


class DateInput(forms.DateInput):
    input_type = "date"


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k, v) for k, v in EvidenceKind.choices if k != EvidenceKind.AUTOMATED],
        initial=EvidenceKind.FILE,
        widget=forms.RadioSelect,
        label="What kind of evidence",
    )
    title = forms.CharField(max_length=200, required=False, help_text="Leave empty to use the file name or link.")
    upload = forms.FileField(required=False, label="File", help_text="PDF, images, office files, text, CSV, JSON.")
    url = forms.URLField(max_length=1000, required=False, label="Link", assume_scheme="https")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Note or description")
    valid_until = forms.DateField(
        widget=DateInput(), required=False, help_text=f"Empty: fresh for {settings.EVIDENCE_FRESHNESS_DAYS} days."
    )
    supersedes = forms.ModelChoiceField(
        queryset=Evidence.objects.none(), required=False, label="Replaces", empty_label="Nothing (a new item)"
    )

    def __init__(self, *args, control: Control, **kwargs):
        kwargs.setdefault("auto_id", "evidence_%s")  # the control page holds other forms with a `title`
        super().__init__(*args, **kwargs)
        self.fields["upload"].widget.attrs["accept"] = ACCEPT
        self.fields["supersedes"].queryset = control.evidence.current().order_by("-collected_at")

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            upload.content_type = check_upload(upload)  # store what we verified, not what the browser claimed
        return upload

    def clean_valid_until(self) -> date | None:
        value = self.cleaned_data.get("valid_until")
        if value and value <= timezone.localdate():
            raise ValidationError("Evidence must be valid until a day after today.")
        return value

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        required = {EvidenceKind.FILE: "upload", EvidenceKind.LINK: "url", EvidenceKind.NOTE: "description"}.get(kind)
        if required and not cleaned.get(required) and not self.has_error(required):
            message = {"upload": "Choose a file.", "url": "Give the link.", "description": "Write the note."}
            self.add_error(required, message[required])
        return cleaned

    def service_arguments(self) -> dict:
        """What `evidence_add` needs, with only the field that matches the kind."""
        data = self.cleaned_data
        kind = data["kind"]
        upload = data["upload"] if kind == EvidenceKind.FILE else None
        url = data["url"] if kind == EvidenceKind.LINK else ""
        default_title = upload.name if upload else url or data["description"].strip().splitlines()[0][:200]
        valid_until = data["valid_until"]
        return {
            "kind": kind,
            "title": data["title"].strip() or default_title,
            "upload": upload,
            "url": url,
            "description": data["description"],
            "supersedes": data["supersedes"],
            "valid_until": _end_of(valid_until) if valid_until else None,
        }


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
