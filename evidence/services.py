"""Adding evidence (never editing it) and keeping the per-control evidence summary current."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts import roles
from compliance.events import audit_event_record
from compliance.models import AuditVerb, Control, ControlState
from evidence.integrity import IntegrityFailure, verified_copy
from evidence.models import Evidence, EvidenceKind, EvidencePart
from evidence.validation import max_valid_until, validate_evidence_dates


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def default_valid_until(collected_at: datetime, recorded_at: datetime) -> datetime:
    """Fresh for EVIDENCE_FRESHNESS_DAYS after collection, within the cap on validity."""
    return min(collected_at + timedelta(days=settings.EVIDENCE_FRESHNESS_DAYS), max_valid_until(recorded_at))


def supersede_check(*, supersedes: Evidence, controls: list[Control], actor) -> None:
    """Raise ValidationError (on `supersedes`) unless the new item may replace `supersedes`."""
    if Evidence.objects.filter(pk=supersedes.pk, superseded_by__isnull=False).exists():
        raise ValidationError(
            {"supersedes": "That evidence has already been superseded; supersede the newest item instead."}
        )
    refusal = supersedes.supersede_refusal(controls=controls, actor=actor)
    if refusal:
        raise ValidationError({"supersedes": refusal})


@transaction.atomic
def evidence_add(
    *,
    controls: Iterable[Control],
    title: str,
    actor=None,
    kind: str | None = None,
    upload: UploadedFile | None = None,
    url: str = "",
    description: str = "",
    collected_at: datetime | None = None,
    valid_until: datetime | None = None,
    produced_by: str = "",
    supersedes: Evidence | None = None,
    refresh_summary: bool = True,
    parts: Iterable[EvidencePart] = (),
) -> Evidence:
    """A person (actor) or a producer (scan) adds evidence; the SHA-256 is computed here, never taken.

    Every path goes through here, so the date rule (validate_evidence_dates) and the supersede rule
    (Evidence.supersede_refusal) hold for the page, the API and scans alike; both raise ValidationError.
    A producer adding many items at once passes refresh_summary=False and calls evidence_summary_refresh once.
    `parts`: the stored files (evidence_part_store) that the item's content names by SHA-256.
    """
    if actor is not None and not roles.can_contribute(actor):
        raise PermissionDenied("Only CISOs and engineers can add evidence.")
    if actor is None and not produced_by:
        raise ValueError("Evidence needs a person who collected it or a producer.")
    controls = list(controls)
    if not controls:
        raise ValidationError("Evidence must support at least one control.")
    recorded_at = timezone.now()
    collected_at = collected_at or recorded_at
    valid_until = valid_until or default_valid_until(collected_at, recorded_at)
    validate_evidence_dates(collected_at=collected_at, valid_until=valid_until, recorded_at=recorded_at)
    if supersedes is not None:
        supersede_check(supersedes=supersedes, controls=controls, actor=actor)
    kind = kind or (EvidenceKind.FILE if upload else EvidenceKind.LINK if url else EvidenceKind.NOTE)
    item = Evidence(
        kind=kind,
        title=title,
        description=description,
        url=url,
        collected_at=collected_at,
        collected_by=actor,
        produced_by=produced_by,
        supersedes=supersedes,
        valid_until=valid_until,
    )
    if upload is not None:
        item.sha256, item.size = sha256_of(upload), upload.size
        item.content_type = getattr(upload, "content_type", "") or ""
        item.file.save(upload.name, upload, save=False)
    elif url:
        item.sha256 = hashlib.sha256(url.encode()).hexdigest()
    else:
        item.sha256 = hashlib.sha256(description.encode()).hexdigest()
    item.save()
    item.controls.set(controls)
    if parts:
        item.parts.add(*parts)  # through the m2m signal, so the ledger records the links as it does controls
    if supersedes is not None:
        audit_event_record(verb=AuditVerb.EVIDENCE_SUPERSEDED, actor=actor, subject=supersedes, by=item.pk)
    if refresh_summary:
        evidence_summary_refresh(control_ids=[c.pk for c in controls] + _superseded_control_ids(supersedes))
    return item


def evidence_parts_store(files: dict[str, bytes], content_type: str = "application/json") -> dict[str, EvidencePart]:
    """Store each file (name: content) once: an intact part with the same SHA-256 is reused (unchanged results
    of a check cost nothing on the next scan). A stored copy that no longer verifies is never referred to
    again: a new copy is stored, and the damaged one keeps failing its downloads. Returns name: part."""
    hashes = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
    newest = {part.sha256: part for part in EvidencePart.objects.filter(sha256__in=set(hashes.values())).order_by("pk")}
    stored = {}
    for name, content in files.items():
        part = newest.get(hashes[name])
        if part is None or not _intact(part):
            part = EvidencePart(name=name, sha256=hashes[name], size=len(content), content_type=content_type)
            part.file.save(name, ContentFile(content), save=False)
            part.save()
            newest[part.sha256] = part
        stored[name] = part
    return stored


def evidence_part_store(*, name: str, content: bytes, content_type: str = "application/json") -> EvidencePart:
    return evidence_parts_store({name: content}, content_type)[name]


def _intact(part: EvidencePart) -> bool:
    try:
        verified_copy(part).close()
    except IntegrityFailure:
        return False
    return True


def _superseded_control_ids(supersedes: Evidence | None) -> list[int]:
    return list(supersedes.controls.values_list("pk", flat=True)) if supersedes else []


def evidence_summary_refresh(*, control_ids: Iterable[int] | None = None) -> None:
    """Recompute the evidence columns of ControlState for these controls (all when None), in bulk."""
    controls = Control.objects.all() if control_ids is None else Control.objects.filter(pk__in=set(control_ids))
    current = Q(evidence__superseded_by__isnull=True)
    rows = controls.annotate(
        count=Count("evidence", filter=current),
        latest=Max("evidence__collected_at", filter=current),
        fresh_until=Max("evidence__valid_until", filter=current),
        # MAX skips NULL, yet an item without a valid-until never expires (EvidenceQuerySet.stale agrees).
        open_ended=Count("evidence", filter=current & Q(evidence__valid_until__isnull=True)),
    ).values_list("pk", "count", "latest", "fresh_until", "open_ended")
    states = [
        ControlState(
            control_id=pk,
            evidence_count=count,
            evidence_latest_at=latest,
            evidence_fresh_until=None if open_ended else fresh,
        )
        for pk, count, latest, fresh, open_ended in rows
    ]
    ControlState.objects.bulk_create(
        states,
        update_conflicts=True,
        unique_fields=["control"],
        update_fields=["evidence_count", "evidence_latest_at", "evidence_fresh_until"],
        batch_size=1000,
    )
