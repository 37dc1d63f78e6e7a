"""Writing the chain head to an external append-only store: an S3 bucket with Object Lock.

Each anchor is a new object under compliance-mode retention, which nobody (the bucket owner and root
included) can shorten, overwrite in place or delete before it expires. A later rewrite of the chain in
the database then no longer matches the heads anchored before it. Credentials and endpoint come from
boto3's default chain (instance role, AWS_PROFILE, AWS_ENDPOINT_URL); no keys are stored here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
from django.conf import settings
from django.utils import timezone

from ledger.models import LedgerAnchor, LedgerHead


def s3_client():
    return boto3.client("s3", region_name=settings.LEDGER_ANCHOR_REGION or None)


def ledger_anchor(*, client=None) -> LedgerAnchor | None:
    """Write the current head to LEDGER_ANCHOR_BUCKET; None when anchoring is off or the chain is empty."""
    bucket = settings.LEDGER_ANCHOR_BUCKET
    head = LedgerHead.objects.first()
    if not bucket or head is None or head.seq == 0:
        return None
    now = timezone.now()
    retain_until = now + timedelta(days=settings.LEDGER_ANCHOR_RETENTION_DAYS)
    key = f"{settings.LEDGER_ANCHOR_PREFIX}head-{head.seq:012d}-{now:%Y%m%dT%H%M%S%fZ}.json"
    body = json.dumps({"seq": head.seq, "entry_hash": head.entry_hash, "anchored_at": now.isoformat()}).encode()
    response = (client or s3_client()).put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="application/json",
        ChecksumAlgorithm="SHA256",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=retain_until,
    )
    return LedgerAnchor.objects.create(
        seq=head.seq,
        entry_hash=head.entry_hash,
        bucket=bucket,
        key=key,
        version_id=response.get("VersionId") or "",
        retain_until=retain_until,
        anchored_at=now,
    )


def latest_anchored_head(*, client=None) -> tuple[str, dict] | None:
    """(key, body) of the newest head in the bucket; None when anchoring is off or nothing is anchored yet.

    Keys sort by entry number. Listing starts after the newest anchor this database knows of, so it stays
    short, yet deleting anchor rows from the database only makes the listing longer, never wrong.
    """
    bucket = settings.LEDGER_ANCHOR_BUCKET
    if not bucket:
        return None
    client = client or s3_client()
    known = LedgerAnchor.objects.filter(bucket=bucket).order_by("-seq", "-anchored_at").first()
    newest = None
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=settings.LEDGER_ANCHOR_PREFIX, StartAfter=known.key if known else ""
    )
    for page in pages:
        for item in page.get("Contents", []):
            newest = item["Key"]
    newest = newest or (known.key if known else None)
    if newest is None:
        return None
    body = client.get_object(Bucket=bucket, Key=newest)["Body"].read()
    return newest, json.loads(body)
