"""The head is written on a schedule to an S3 bucket with Object Lock (moto over HTTP), in compliance mode."""

from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from evidence.models import Evidence
from ledger.canonical import content_hash, entry_hash
from ledger.models import GENESIS, LedgerAnchor, LedgerEntry, LedgerHead
from ledger.tasks import anchor_head
from ledger.verify import ledger_verify

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

BUCKET = "acme-ledger-anchors"


@pytest.fixture
def locked_bucket(aws, settings):
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket=BUCKET,
        ObjectLockEnabledForBucket=True,
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    settings.LEDGER_ANCHOR_BUCKET = BUCKET
    return s3


def test_beat_anchors_the_head_every_hour():
    task = PeriodicTask.objects.get(task="ledger.tasks.anchor_head")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "hours")


def test_anchoring_is_off_without_a_bucket(recorded, settings):
    settings.LEDGER_ANCHOR_BUCKET = ""
    assert anchor_head() == "anchoring off or nothing to anchor"
    assert not LedgerAnchor.objects.exists()


def test_the_head_is_written_locked_in_compliance_mode(recorded, locked_bucket, settings, eager_tasks):
    settings.LEDGER_ANCHOR_RETENTION_DAYS = 30
    head = LedgerHead.objects.get()

    anchor_head.delay()

    anchor = LedgerAnchor.objects.get()
    assert (anchor.seq, anchor.entry_hash, anchor.bucket) == (head.seq, head.entry_hash, BUCKET)
    stored = locked_bucket.get_object(Bucket=BUCKET, Key=anchor.key, VersionId=anchor.version_id)
    assert stored["ObjectLockMode"] == "COMPLIANCE"
    assert abs(stored["ObjectLockRetainUntilDate"] - (timezone.now() + timedelta(days=30))) < timedelta(minutes=5)
    body = stored["Body"].read()
    assert f'"seq": {head.seq}'.encode() in body and head.entry_hash.encode() in body

    with pytest.raises(ClientError) as refused:
        locked_bucket.delete_object(Bucket=BUCKET, Key=anchor.key, VersionId=anchor.version_id)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # Writing the same key again only adds a version; the locked one is still there, unchanged.
    locked_bucket.put_object(Bucket=BUCKET, Key=anchor.key, Body=b'{"seq": 0}')
    again = locked_bucket.get_object(Bucket=BUCKET, Key=anchor.key, VersionId=anchor.version_id)
    assert again["Body"].read() == body


def test_the_anchor_shows_on_the_ledger_page(client, auditor, recorded, locked_bucket):
    anchor_head()
    anchor = LedgerAnchor.objects.get()
    client.force_login(auditor)
    page = client.get("/audit/ledger/").content.decode()
    assert f"Entry {anchor.seq} (head <code>{anchor.entry_hash}</code>) was written to" in page
    assert f"s3://{BUCKET}/{anchor.key}" in page


def test_a_chain_rewritten_consistently_after_an_anchor_is_caught_by_the_anchor(recorded, locked_bucket, capsys):
    """Someone with the database edits an evidence row, then rewrites its entry, every later entry and the head."""
    anchor_head()
    item = recorded["evidence"][0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE evidence_evidence SET title = 'Other runbook' WHERE id = %s", [item.pk])
    prev = GENESIS
    for entry in LedgerEntry.objects.order_by("seq"):
        if entry.table_name == "evidence_evidence" and entry.row_id == item.pk:
            entry.content_hash = content_hash(Evidence.objects.get(pk=item.pk))
        entry.prev_hash, entry.entry_hash = (
            prev,
            entry_hash(entry.seq, entry.table_name, entry.row_id, entry.content_hash, prev),
        )
        LedgerEntry.objects.filter(seq=entry.seq).update(
            content_hash=entry.content_hash, prev_hash=prev, entry_hash=entry.entry_hash
        )
        prev = entry.entry_hash
    LedgerHead.objects.update(entry_hash=prev)
    assert ledger_verify().intact  # consistent in itself

    with pytest.raises(CommandError) as broken:
        call_command("verify_ledger")
    head = LedgerHead.objects.get()
    assert f"entry {head.seq} (ledger_ledgerentry): chain differs from the anchored head" in str(broken.value)
