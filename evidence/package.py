"""The audit package: one zip with the Statement of Applicability, a folder per control with its
evidence and an index, the files reports name by SHA-256 once under parts/, and a manifest of every
file's SHA-256 (manifest.json and MANIFEST.sha256).

A stored file whose hash no longer matches the one recorded is left out and listed in the manifest's
`integrity_failures`: the package never carries a changed file under an unchanged record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from accounts import roles
from compliance.events import audit_event_record
from compliance.models import AuditVerb, Control, ControlComment, Framework
from config.celery import enqueue_or_reason
from evidence.audit_data import csv_text, in_force_during, soa_csv, soa_entries, start_of_day
from evidence.integrity import IntegrityFailure, verified_copy
from evidence.models import AuditPackage, Evidence, EvidencePart, PackageState
from evidence.requests import requests_shown
from ledger.export import ledger_slice_write

logger = logging.getLogger("controltrace.evidence.package")

FORMAT = "controltrace-audit-package/1"
SOA_NAME = "statement-of-applicability.csv"
CHUNK = 1024 * 1024
INDEX_HEADER = [
    "evidence_id",
    "title",
    "kind",
    "file_in_package",
    "sha256_recorded",
    "size",
    "content_type",
    "collected_at",
    "collected_by",
    "produced_by",
    "valid_until",
    "supersedes",
    "superseded_by",
    "state",
    "integrity",
    "recorded_at",  # counts from max(collected_at, recorded_at); added last so column positions stay
]

Progress = Callable[[int, int], None]
# A section another app adds to every package: it gets the scope and the writer's `add(path, bytes)`, so its
# files are hashed into the manifest like the rest. Apps register theirs in AppConfig.ready() (the OSCAL
# export does), which keeps evidence free of imports from the apps above it.
Section = Callable[["Scope", Callable[[str, bytes], dict]], None]
SECTIONS: list[Section] = []


def package_section_register(section: Section) -> None:
    if section not in SECTIONS:
        SECTIONS.append(section)


@dataclass
class Scope:
    framework: Framework | None = None
    start: date | None = None
    end: date | None = None

    def describe(self) -> dict:
        return {
            "framework": self.framework.slug if self.framework else "all",
            "period": {
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None,
            },
        }


@dataclass
class Report:
    files: list[dict] = field(default_factory=list)  # path, sha256, size
    integrity_failures: list[dict] = field(default_factory=list)
    controls: int = 0
    evidence_entries: int = 0


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name that means the same on every OS and in sha256sum's format."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return cleaned[:limit] or "item"


class PackageWriter:
    def __init__(self, archive: zipfile.ZipFile, report: Report):
        self.archive, self.report = archive, report

    def add(self, path: str, source: IO[bytes] | bytes) -> dict:
        """Write one entry, hashing exactly the bytes that go into the zip."""
        digest, size = hashlib.sha256(), 0
        with self.archive.open(path, "w", force_zip64=True) as target:
            chunks = [source] if isinstance(source, bytes) else iter(lambda: source.read(CHUNK), b"")
            for chunk in chunks:
                digest.update(chunk)
                target.write(chunk)
                size += len(chunk)
        entry = {"path": path, "sha256": digest.hexdigest(), "size": size}
        self.report.files.append(entry)
        return entry


def evidence_in_scope(scope: Scope):
    evidence = in_force_during(Evidence.objects.all(), scope.start, scope.end)
    return (
        evidence.select_related("collected_by", "superseded_by")
        .prefetch_related("parts")
        .order_by("collected_at", "pk")
    )


def controls_with_evidence(scope: Scope, evidence) -> list[Control]:
    """Only controls that have evidence in scope get a folder; each with its evidence, oldest first."""
    links = Evidence.controls.through.objects.filter(control_id=OuterRef("pk"), evidence__in=evidence)
    controls = Control.objects.select_related("framework").filter(Exists(links))
    if scope.framework:
        controls = controls.filter(framework=scope.framework)
    return list(controls.prefetch_related(Prefetch("evidence", queryset=evidence, to_attr="package_evidence")))


def state_label(item: Evidence, now) -> str:
    if getattr(item, "superseded_by", None) is not None:
        return "superseded"
    return "stale" if item.is_stale_at(now) else "fresh"


def _shortcut(url: str) -> bytes:
    return f"[InternetShortcut]\r\nURL={url}\r\n".encode()


def _note(item: Evidence) -> bytes:
    lines = [item.title, "", item.description]
    if item.produced_by:
        lines += ["", f"Produced by: {item.produced_by}"]
    return "\n".join(lines).encode()


def write_evidence(writer: PackageWriter, folder: str, control: Control, item: Evidence) -> tuple[str, str]:
    """Add one item to a control's folder; returns (name in the folder, integrity verdict)."""
    stem = f"{item.pk}-{safe_name(item.title, 60)}"
    if item.file:
        name = f"{item.pk}-{safe_name(item.file.name.rsplit('/', 1)[-1])}"
        try:
            with verified_copy(item) as copy:
                writer.add(f"{folder}/{name}", copy)
        except IntegrityFailure as failure:
            writer.report.integrity_failures.append(
                {
                    "evidence_id": item.pk,
                    "title": item.title,
                    "control": f"{control.framework.slug}:{control.ref}",
                    "stored_file": item.file.name,
                    "sha256_recorded": failure.expected,
                    "sha256_found": failure.actual,
                    "problem": "missing" if failure.actual is None else "hash mismatch",
                    "excluded_from_package": True,
                }
            )
            return "", "MISSING: not included" if failure.actual is None else "MISMATCH: not included"
        return name, "verified"
    if item.url:
        name = f"{stem}.url"
        writer.add(f"{folder}/{name}", _shortcut(item.url))
        return name, "link (not stored)"
    name = f"{stem}.txt"
    writer.add(f"{folder}/{name}", _note(item))
    return name, "note"


def parts_in(controls: list[Control]) -> dict[EvidencePart, list[int]]:
    """The shared files the packaged evidence names by SHA-256, each with the items that refer to it."""
    referring: dict[EvidencePart, set[int]] = {}
    for control in controls:
        for item in control.package_evidence:
            for part in item.parts.all():
                referring.setdefault(part, set()).add(item.pk)
    return {part: sorted(items) for part, items in sorted(referring.items(), key=lambda pair: pair[0].pk)}


def write_parts(writer: PackageWriter, parts: dict[EvidencePart, list[int]]) -> list[dict]:
    """Each shared file once, under parts/, verified like evidence; a damaged one is listed, not packaged."""
    listed = []
    for part, referred_by in parts.items():
        path = f"parts/{part.pk}-{safe_name(part.name)}"
        entry = {"part_id": part.pk, "sha256_recorded": part.sha256, "referred_by": referred_by, "path": path}
        try:
            with verified_copy(part) as copy:
                writer.add(path, copy)
        except IntegrityFailure as failure:
            entry["path"] = ""
            writer.report.integrity_failures.append(
                {
                    "evidence_part_id": part.pk,
                    "title": part.name,
                    "referred_by": referred_by,
                    "stored_file": part.file.name,
                    "sha256_recorded": failure.expected,
                    "sha256_found": failure.actual,
                    "problem": "missing" if failure.actual is None else "hash mismatch",
                    "excluded_from_package": True,
                }
            )
        listed.append(entry)
    return listed


def index_row(item: Evidence, name: str, verdict: str, now) -> list:
    return [
        item.pk,
        item.title,
        item.get_kind_display(),
        name,
        item.sha256,
        item.size if item.size is not None else "",
        item.content_type,
        item.collected_at.isoformat(),
        item.collected_by.get_username() if item.collected_by else "",
        item.produced_by,
        item.valid_until.isoformat() if item.valid_until else "",
        item.supersedes_id or "",
        item.superseded_by.pk if getattr(item, "superseded_by", None) else "",
        state_label(item, now),
        verdict,
        item.created_at.isoformat(),
    ]


def package_write(
    *,
    out: IO[bytes],
    scope: Scope,
    requested_by: str,
    progress: Progress | None = None,
    sections: list[Section] | None = None,
) -> Report:
    """Write the whole package to `out` (a binary, seekable file) and return what it holds; `sections` are
    the registered ones (SECTIONS) unless given."""
    now = timezone.now()
    report = Report()
    controls = controls_with_evidence(scope, evidence_in_scope(scope))
    parts = parts_in(controls)
    total = 1 + sum(len(c.package_evidence) for c in controls) + len(parts)
    done = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = PackageWriter(archive, report)
        framework_slug = scope.framework.slug if scope.framework else None
        writer.add(SOA_NAME, soa_csv(soa_entries(framework_slug)).encode())
        done += 1
        for control in controls:
            folder = f"controls/{control.framework.slug}/{safe_name(control.ref)}"
            rows = []
            for item in control.package_evidence:
                name, verdict = write_evidence(writer, folder, control, item)
                rows.append(index_row(item, name, verdict, now))
                done += 1
                if progress:
                    progress(done, total)
            writer.add(f"{folder}/index.csv", csv_text(INDEX_HEADER, rows).encode())
            report.controls += 1
            report.evidence_entries += len(rows)
        # Files several reports name by SHA-256 (a check's results in a scan) go in once, not in every folder.
        packaged_parts = write_parts(writer, parts)
        done += len(parts)
        write_requests_and_comments(writer, scope)
        for section in SECTIONS if sections is None else sections:
            section(scope, writer.add)
        ledger_slice_write(writer.add)  # the hash chain up to its head, checked offline as docs/ledger.md shows
        manifest = {
            "format": FORMAT,
            "generated_at": now.isoformat(),
            "requested_by": requested_by,
            **scope.describe(),
            "controls": report.controls,
            "evidence_entries": report.evidence_entries,
            "parts": packaged_parts,
            "files": list(report.files),
            "integrity_failures": report.integrity_failures,
        }
        writer.add("manifest.json", json.dumps(manifest, indent=2).encode())
        # sha256sum -c MANIFEST.sha256, run in the unzipped folder, re-checks every file and the manifest.
        lines = "".join(f"{f['sha256']}  {f['path']}\n" for f in report.files)
        archive.writestr("MANIFEST.sha256", lines)
    if progress:
        progress(total, total)
    return report


REQUESTS_NAME, COMMENTS_NAME = "requests.csv", "comments.csv"
REQUEST_HEADER = [
    "request_id",
    "control",
    "what",
    "due",
    "state",
    "asked_by",
    "asked_at",
    "addressed_to",
    "answered_at",
    "answered_with",  # evidence ids, space-separated; each item is in its control's folder when in scope
    "closed_by",
]
COMMENT_HEADER = ["comment_id", "control", "thread", "author", "created_at", "body"]


def _in_period(queryset, field: str, scope: Scope):
    if scope.framework:
        queryset = queryset.filter(control__framework=scope.framework)
    if scope.start:
        queryset = queryset.filter(**{f"{field}__gte": start_of_day(scope.start)})
    if scope.end:
        queryset = queryset.filter(**{f"{field}__lt": start_of_day(scope.end + timedelta(days=1))})
    return queryset


def _username(user) -> str:
    return user.get_username() if user else ""


def write_requests_and_comments(writer: PackageWriter, scope: Scope) -> None:
    """The evidence requests asked in the period with their answers, and the questions and answers on
    controls: requests.csv, requests.json (both, with the comments) and comments.csv, covered by the manifest."""
    requests = _in_period(requests_shown(), "asked_at", scope).select_related("closed_by").order_by("asked_at", "pk")
    comments = _in_period(
        ControlComment.objects.select_related("control__framework", "author"), "created_at", scope
    ).order_by("created_at", "pk")
    request_rows = [
        {
            "request_id": asked.pk,
            "control": f"{asked.control.framework.slug}:{asked.control.ref}",
            "what": asked.what,
            "due": asked.due.isoformat(),
            "state": asked.state,
            "asked_by": _username(asked.asked_by),
            "asked_at": asked.asked_at.isoformat(),
            "addressed_to": _username(asked.addressed_to),
            "answered_at": asked.answered_at.isoformat() if asked.answered_at else "",
            "answered_with": [item.pk for item in asked.answered_with.all()],
            "closed_by": _username(asked.closed_by),
        }
        for asked in requests
    ]
    comment_rows = [
        {
            "comment_id": comment.pk,
            "control": f"{comment.control.framework.slug}:{comment.control.ref}",
            "thread": comment.thread_id,
            "author": _username(comment.author),
            "created_at": comment.created_at.isoformat(),
            "body": comment.body,
        }
        for comment in comments
    ]
    as_cells = [
        [" ".join(map(str, row[name])) if name == "answered_with" else row[name] for name in REQUEST_HEADER]
        for row in request_rows
    ]
    writer.add(REQUESTS_NAME, csv_text(REQUEST_HEADER, as_cells).encode())
    writer.add(
        COMMENTS_NAME, csv_text(COMMENT_HEADER, ([row[n] for n in COMMENT_HEADER] for row in comment_rows)).encode()
    )
    document = {"requests": request_rows, "comments": comment_rows}
    writer.add("requests.json", json.dumps(document, indent=2).encode())


PROGRESS_INTERVAL = 0.5  # seconds; the page polls every second


class ThrottledProgress:
    """Record progress on the package row at most twice a second, and always at the end."""

    def __init__(self, package_id: int):
        self.package_id, self.last = package_id, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        AuditPackage.objects.filter(pk=self.package_id).update(progress_done=done, progress_total=total)


def audit_package_build(*, package: AuditPackage) -> AuditPackage:
    """Build the zip for a claimed (running) package and store it; a failure is recorded, not raised."""
    scope = Scope(package.framework, package.period_start, package.period_end)
    requester = package.requested_by.get_username() if package.requested_by else "unknown"
    try:
        with tempfile.TemporaryFile() as out:
            report = package_write(out=out, scope=scope, requested_by=requester, progress=ThrottledProgress(package.pk))
            out.seek(0)
            digest = hashlib.sha256()
            for chunk in iter(lambda: out.read(CHUNK), b""):
                digest.update(chunk)
            out.seek(0)
            package.refresh_from_db(fields=["progress_done", "progress_total"])
            package.file.save(package.download_name, File(out), save=False)
        package.sha256 = digest.hexdigest()
        package.integrity_failures = len(report.integrity_failures)
        package.state = PackageState.SUCCEEDED
    except Exception as exc:  # noqa: BLE001 - any failure is shown to the requester, and logged in full
        logger.exception("Audit package %s failed", package.pk)
        package.state, package.error = PackageState.FAILED, f"{type(exc).__name__}: {exc}"
    package.finished_at = timezone.now()
    with transaction.atomic():
        package.save(update_fields=["file", "sha256", "integrity_failures", "state", "error", "finished_at"])
        if package.state == PackageState.SUCCEEDED:
            audit_event_record(
                verb=AuditVerb.AUDIT_PACKAGE_BUILT, actor=package.requested_by, subject=package, sha256=package.sha256
            )
    return package


@transaction.atomic
def audit_package_request(*, actor, framework: Framework | None, start: date | None, end: date | None):
    """Queue a package. Anyone who can read the register may export it, auditors included: the
    package copies what they can already read and changes no record."""
    if not roles.can_view(actor):
        raise PermissionDenied("Your access to ControlTrace has no role or has expired.")
    package = AuditPackage.objects.create(requested_by=actor, framework=framework, period_start=start, period_end=end)
    transaction.on_commit(lambda: audit_package_enqueue(package=package))
    return package


def audit_package_enqueue(*, package: AuditPackage) -> bool:
    """Send the build to a worker; if the broker cannot be reached the package fails with the reason
    (its page shows it) rather than staying queued for ever."""
    from evidence.tasks import build_audit_package  # the task module imports this one

    reason = enqueue_or_reason(build_audit_package, package.pk)
    if reason is None:
        return True
    AuditPackage.objects.filter(pk=package.pk, state=PackageState.QUEUED).update(
        state=PackageState.FAILED,
        error=f"The build {reason}. Ask for the package again later.",
        finished_at=timezone.now(),
    )
    return False
