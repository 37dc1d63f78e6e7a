"""One bound on what a request may upload, applied while the body streams in, for every page and the API.

`BoundedUploadHandler` is the first of FILE_UPLOAD_HANDLERS. A body whose declared length is already past the
limit gets no file read at all; a file that grows past the limit while streaming is stopped there. Either way the
rest of the body is left unread (`StopUpload(connection_reset=True)`), the form fields that came before the file
are kept (the CSRF token among them), and the refusal is noted on the request for `upload_refusal()`, so the page
and the API answer with the same sentence instead of "choose a file".
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

# Room for the multipart envelope and the text fields around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
REFUSAL_ATTRIBUTE = "upload_refused"


def upload_limit() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_BYTES


def too_large_message(size: int, *, at_least: bool = False) -> str:
    measured = f"{'more than ' if at_least else ''}{filesizeformat(size)}"
    return f"The file is {measured}; evidence files can be at most {filesizeformat(upload_limit())}."


def declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def upload_refusal(request: HttpRequest) -> str | None:
    """Why this request's upload is refused for its size, or None. Decided without reading the body when the
    declared length says so; otherwise as noted by the handler while the body was parsed."""
    declared = declared_length(request)
    if declared > upload_limit() + MULTIPART_OVERHEAD_BYTES:
        return too_large_message(declared)
    return getattr(request, REFUSAL_ATTRIBUTE, None)


class BoundedUploadHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive and stops the upload once the limit is passed."""

    refused = False
    received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.refused = bool(self.request is not None and upload_refusal(self.request))

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.refused:  # the declared length is past the limit: not one byte of the file is read
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > upload_limit():
            if self.request is not None:
                setattr(self.request, REFUSAL_ATTRIBUTE, too_large_message(upload_limit(), at_least=True))
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int):
        return None  # the handlers after this one store the file
