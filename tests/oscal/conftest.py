"""OSCAL fixtures: a register with a real scan of a moto account behind it."""

from __future__ import annotations

import boto3
import pytest


@pytest.fixture
def scanned(aws, catalogs, eager_tasks, monkeypatch):
    """A real scan, through the moto server, of the S3 buckets of an account holding one without versioning.

    S3 only: a scan of every service takes minutes on a loaded machine, and the export reads the results the
    same way whatever produced them (benchmarks/oscal.py exports after a scan of every service).
    """
    from scanners import engine
    from scanners.collectors import base as collectors
    from scanners.models import ScanRun
    from scanners.services import cloud_account_create

    engine.registries_load()
    monkeypatch.setattr(collectors, "SERVICE_GROUPS", {"s3": collectors.SERVICE_GROUPS["s3"]})

    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="acme-records", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    account = cloud_account_create(name="prod", regions="eu-west-1")
    return engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk)
