"""Faults of the services the web answers from: the broker down when a scan or a package is asked for
(the app pointed at a closed Redis port, never the shared server stopped), and the database dropping
the web's persistent connection. A clear answer and a record that says why, never a 500 or a stuck row."""

from __future__ import annotations

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from config.celery import app as celery_app
from evidence.models import AuditPackage, PackageState
from scanners.models import RunState, ScanRun, Trigger
from scanners.services import cloud_account_create
from scanners.tasks import scan_scheduled
from tests.scanners.fault_injection import closed_port

pytestmark = pytest.mark.integration


def point_celery_at(broker_url: str | None) -> None:
    """Celery keeps a connection pool per app: drop it so the next send connects to the new URL."""
    celery_app.conf.broker_url = broker_url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    point_celery_at(closed_port().replace("http://", "redis://") + "/0")
    yield
    celery_app.conf.task_always_eager = saved[1]
    point_celery_at(saved[0])


def test_scan_now_with_the_broker_down_says_so_and_the_next_request_starts_a_new_scan(
    client, ciso, broker_down, transactional_db
):
    account = cloud_account_create(name="prod", regions="eu-west-1", schedule="0 3 * * *")
    client.force_login(ciso)

    response = client.post(reverse("scan-now", args=[account.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 503
    assert "could not be queued: the task broker is unreachable" in response.content.decode()
    failed = ScanRun.objects.get()
    assert (failed.state, failed.finished_at is not None) == (RunState.FAILED, True)
    assert "broker is unreachable" in failed.errors[0]["reason"]

    again = client.post(reverse("scan-now", args=[account.pk]))  # not handed the failed run for hours
    scheduled = ScanRun.objects.get(pk=scan_scheduled(account.pk))  # beat's task, as a worker runs it

    assert again.status_code == 503 and ScanRun.objects.count() == 3
    assert (scheduled.trigger, scheduled.state) == (Trigger.SCHEDULE, RunState.FAILED)
    assert all(run.errors for run in ScanRun.objects.all())


def test_the_scan_command_with_the_broker_down_fails_with_the_reason(broker_down, transactional_db):
    cloud_account_create(name="prod", regions="eu-west-1", schedule="")

    with pytest.raises(CommandError, match=r"Scan \d+ could not be sent to the workers: .*broker is unreachable"):
        call_command("scan", "prod")

    assert ScanRun.objects.get().state == RunState.FAILED


def test_an_audit_package_asked_for_with_the_broker_down_fails_with_the_reason(
    client, engineer, catalogs, broker_down, transactional_db
):
    client.force_login(engineer)

    response = client.post(reverse("audit-package-request"), {}, follow=True)

    package = AuditPackage.objects.get()
    assert (package.state, package.finished_at is not None) == (PackageState.FAILED, True)
    assert "broker is unreachable" in package.error
    assert response.status_code == 200
    assert "The package could not be built: The build could not be queued" in response.content.decode()


def wsgi_get(handler: WSGIHandler, path: str) -> int:
    """A request through the WSGI handler as a server sends it (the test client skips the connection checks)."""
    statuses = []
    response = handler(RequestFactory().get(path).environ, lambda status, headers: statuses.append(status))
    response.close()  # request_finished: Django's end-of-request connection handling
    return int(statuses[0].split()[0])


def test_the_first_request_after_the_database_dropped_the_connection_is_served(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    handler = WSGIHandler()
    assert wsgi_get(handler, "/healthz") == 200
    assert connection.settings_dict["CONN_MAX_AGE"] > 0 and connection.connection is not None  # kept open

    db = connection.settings_dict  # a database restart, as the web's persistent connection sees it
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
        dbname=db["NAME"], autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

    assert wsgi_get(handler, "/healthz") == 200
