"""Re-checking a stored evidence file against the SHA-256 recorded when it was added.

The file is copied to a temporary file while it is hashed, and the copy is what gets served or
packaged: a file changed on disk between the check and the read can never slip through.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from typing import IO

from evidence.models import Evidence

logger = logging.getLogger("controltrace.evidence.integrity")

CHUNK = 1024 * 1024
IN_MEMORY_UP_TO = 8 * 1024 * 1024


class IntegrityFailure(Exception):
    """The stored file is missing or its SHA-256 is no longer the one recorded."""

    def __init__(self, item: Evidence, actual: str | None):
        self.item, self.expected, self.actual = item, item.sha256, actual
        if actual is None:
            message = f"The stored file of evidence {item.pk} ({item.title}) is missing."
        else:
            message = (
                f"The stored file of evidence {item.pk} ({item.title}) no longer matches its recorded SHA-256: "
                f"recorded {item.sha256}, now {actual}. It has been changed outside ControlTrace."
            )
        super().__init__(message)


def verified_copy(item: Evidence) -> IO[bytes]:
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
    if digest.hexdigest() != item.sha256:
        copy.close()
        failure = IntegrityFailure(item, digest.hexdigest())
        logger.error("%s", failure)
        raise failure
    copy.seek(0)
    return copy
