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
