"""The tamper-evident ledger: a hash chain over the rows that auditors rely on (evidence, history, events).

Each entry holds the SHA-256 of one row's canonical content and of the entry before it; the head row is
both the chain's tip and the lock that serialises appends.
"""

from __future__ import annotations

from django.db import models

GENESIS = "0" * 64


class LedgerHead(models.Model):
    """One row (pk 1): the last entry's number and hash. Appenders lock it for the rest of their transaction."""

    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"ledger head at entry {self.seq}"


class LedgerEntry(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    table_name = models.CharField(max_length=100, help_text="The tracked row's database table.")
    row_id = models.BigIntegerField()
    content_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["table_name", "row_id"], name="ledger_entry_row")]

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.table_name} row {self.row_id}"


class LedgerAnchor(models.Model):
    """A copy of the head written to the external append-only store (an S3 bucket with Object Lock)."""

    seq = models.BigIntegerField()
    entry_hash = models.CharField(max_length=64)
    bucket = models.CharField(max_length=63)
    key = models.CharField(max_length=1024)
    version_id = models.CharField(max_length=1024, blank=True)
    retain_until = models.DateTimeField()
    anchored_at = models.DateTimeField()

    class Meta:
        ordering = ["-anchored_at", "-pk"]

    def __str__(self) -> str:
        return f"entry {self.seq} anchored in s3://{self.bucket}/{self.key}"
