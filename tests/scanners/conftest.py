"""Scanner fixtures: the fake cloud, a demo account, and Celery in-process for these tests."""

from __future__ import annotations

import pytest

from config.celery import app as celery_app
from tests.scanners import fakes


@pytest.fixture(autouse=True)
def celery_in_process():
    """Tasks run in the test's process and transaction even when a broker is configured (CI sets REDIS_URL)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def fake_cloud(monkeypatch):
    fakes.install(monkeypatch.setattr)
    fakes.CLOUD.reset()
    yield fakes.CLOUD
    fakes.CLOUD.reset()


@pytest.fixture
def cloud_account(db):
    from scanners.services import cloud_account_create

    return cloud_account_create(name="prod", regions="eu-west-1,us-east-1", schedule="0 3 * * *")


@pytest.fixture
def aws_emptied_after(aws):
    """The `aws` moto server, emptied again after the test with time to spare. For tests that leave state moto is
    slow to reset (an organization gives moto the IAM of a second account): the next test's reset stays quick."""
    import requests

    yield aws
    requests.post(f"{aws}/moto-api/reset", timeout=120).raise_for_status()
