"""Shared fixtures. Real services: with CI=true a missing PostgreSQL or Redis fails the run."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Membership, Role

IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(what: str) -> None:
    """Fail in CI, skip elsewhere: a developer without Redis can still run the rest."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI and is not reachable", pytrace=False)
    pytest.skip(f"{what} is not reachable on this machine (CI fails instead of skipping)")


def pytest_sessionstart(session):
    if IN_CI and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError("CI must run the suite on PostgreSQL: set DATABASE_URL (see .ci/run).")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("ARTIFACTS_DIR") or Path(settings.BASE_DIR) / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def catalogs(db):
    """The three catalogs and their mappings, as `make run` loads them."""
    from compliance.catalog import load_catalogs
    from compliance.models import Framework

    if Framework.objects.count() < 3:
        load_catalogs()


def make_member(django_user_model, username: str, role: Role, **membership):
    user = django_user_model.objects.create_user(username=username, password="pw-" + username, is_staff=True)
    Membership.objects.create(user=user, role=role, **membership)
    return user


@pytest.fixture
def ciso(django_user_model):
    return make_member(django_user_model, "ciso", Role.CISO)


@pytest.fixture
def engineer(django_user_model):
    return make_member(django_user_model, "engineer", Role.ENGINEER)


@pytest.fixture
def other_engineer(django_user_model):
    return make_member(django_user_model, "engineer2", Role.ENGINEER)


@pytest.fixture
def auditor(django_user_model):
    return make_member(django_user_model, "auditor", Role.AUDITOR, expires_at=timezone.now() + timedelta(days=30))


@pytest.fixture
def redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        service_missing(f"Redis at {url}")
    return url


@pytest.fixture
def control(catalogs):
    from compliance.models import Control

    return Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref="A.8.20")


@pytest.fixture(scope="session")
def moto_server():
    """A moto server over real HTTP, as AWS would be reached; state is reset per test by `aws`."""
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """boto3 pointed at the moto server through the standard AWS_ENDPOINT_URL, with throwaway credentials."""
    import requests

    requests.post(f"{moto_server}/moto-api/reset", timeout=60).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process even when a broker is configured (CI sets REDIS_URL)."""
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def clock(monkeypatch):
    """Set the time the app reads (`timezone.now`), e.g. to record evidence on a day in the past:
    `clock(moment)` sets it, `clock(None)` gives the real time back."""
    real_now = timezone.now

    def set_to(moment):
        monkeypatch.setattr(timezone, "now", real_now if moment is None else lambda: moment)

    return set_to


def make_exemption(controls, *, expires_at, approved_at=None, title="Accepted risk", **fields):
    """An exemption written straight to the table for test data: the controls are set while it is proposed, as
    exemption_propose does (a decided exemption's controls never change), and the approval recorded after."""
    from compliance.models import Exemption

    exemption = Exemption.objects.create(title=title, reason=fields.pop("reason", "r"), expires_at=expires_at, **fields)
    exemption.controls.set(controls)
    if approved_at is not None:
        Exemption.objects.filter(pk=exemption.pk).update(approved_at=approved_at)
        exemption.approved_at = approved_at
    return exemption


@pytest.fixture
def background_scan_account(aws, catalogs, settings, monkeypatch):
    """A moto account with an SSH port open to the world, scanned as the demo scans without a broker: "Scan now"
    runs it on a background thread, one unit after another so that its progress has many steps to watch."""
    import boto3

    from config.celery import app as celery_app
    from scanners import background
    from scanners.services import cloud_account_create

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    settings.SCAN_SYNC_CONCURRENCY = 1
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    group = ec2.create_security_group(GroupName="ssh-from-anywhere", Description="open SSH")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0")
    yield cloud_account_create(name="moto", regions="eu-west-1")
    assert background.wait_all(timeout=180), "a background scan was still running after the test"
