"""Re-checking a stored file (evidence or an audit package) against the SHA-256 recorded when it was stored.

The file is copied to a temporary file while it is hashed, and the copy is what gets served or
packaged: a file changed on disk between the check and the read can never slip through.

`verified_download` is the one way a stored file leaves ControlTrace: the evidence page, the evidence API,
the evidence part page and API (the shared results files a scan's reports name by hash) and the audit package
page all call it. Stored files are never served from a media URL.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from typing import IO, Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from evidence.models import EvidencePart

logger = logging.getLogger("controltrace.evidence.integrity")

CHUNK = 1024 * 1024
IN_MEMORY_UP_TO = 8 * 1024 * 1024


class Stored(Protocol):
    """Anything with a stored file and the SHA-256 recorded for it: Evidence, AuditPackage."""

    pk: int
    file: FieldFile
    sha256: str


def describe(item: Stored) -> str:
    if isinstance(item, EvidencePart):
        return f"evidence part {item.pk} ({item.name})"
    title = getattr(item, "title", None)
    return f"evidence {item.pk} ({title})" if title is not None else f"audit package {item.pk}"


class IntegrityFailure(Exception):
    """The stored file is missing or its SHA-256 is no longer the one recorded."""

    def __init__(self, item: Stored, actual: str | None):
        self.item, self.expected, self.actual = item, item.sha256, actual
        if actual is None:
            message = f"The stored file of {describe(item)} is missing."
        else:
            message = (
                f"The stored file of {describe(item)} no longer matches its recorded SHA-256: "
                f"recorded {item.sha256}, now {actual}. It has been changed outside ControlTrace."
            )
        super().__init__(message)

    @property
    def missing(self) -> bool:
        return self.actual is None

    @property
    def status(self) -> int:
        """410 Gone when the file is missing, 409 Conflict when its bytes no longer match the record."""
        return 410 if self.missing else 409


def verified_copy(item: Stored) -> IO[bytes]:
    """A temporary copy of the stored file, positioned at its start; raises IntegrityFailure."""
    digest = hashlib.sha256()
    copy = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_UP_TO)
    try:
        with item.file.storage.open(item.file.name, "rb") as stored:
            for chunk in iter(lambda: stored.read(CHUNK), b""):
                digest.update(chunk)
                copy.write(chunk)
    except FileNotFoundError:
        copy.close()
        failure = IntegrityFailure(item, None)
        logger.error("%s", failure)
        raise failure from None
    if not item.sha256 or digest.hexdigest() != item.sha256:  # no recorded hash: nothing to vouch for
        copy.close()
        failure = IntegrityFailure(item, digest.hexdigest())
        logger.error("%s", failure)
        raise failure
    copy.seek(0)
    return copy


def verified_download(item: Stored, *, filename: str, content_type: str) -> FileResponse:
    """The verified bytes as an attachment; raises IntegrityFailure (see its `status`) instead of sending."""
    response = FileResponse(
        verified_copy(item),
        as_attachment=True,  # a stored file is never rendered by the browser in the app's origin
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
