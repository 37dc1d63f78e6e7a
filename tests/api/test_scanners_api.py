"""Scans through the API: the CISO manages accounts and starts scans; everyone reads runs, findings, inventory."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from scanners import engine
from scanners.models import RESULTS_ORDER, CheckStatus, CloudAccount, Finding, RunState, ScanRun
from scanners.services import SCHEDULED_TASK, cloud_account_create, cloud_account_set_enabled
from tests.api.conftest import token_client
from tests.scanners import conftest as scanner_fixtures

# The scanner tests' fake cloud, demo account and in-process Celery, shared rather than copied.
celery_in_process = scanner_fixtures.celery_in_process
fake_cloud = scanner_fixtures.fake_cloud
cloud_account = scanner_fixtures.cloud_account

pytestmark = pytest.mark.django_db


def scan_schedules():
    return PeriodicTask.objects.filter(task=SCHEDULED_TASK)


def scan(account) -> ScanRun:
    return engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk)


def results(client, url: str, **params) -> list[dict]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_ciso_adds_a_cloud_account_with_a_schedule_and_no_keys(as_ciso):
    response = as_ciso.post(
        "/api/cloud-accounts/",
        {
            "name": "staging",
            "role_arn": "arn:aws:iam::210987654321:role/ControlTraceAudit",
            "external_id": "ct-7f3a",
            "regions": ["eu-west-1", "eu-central-1"],
            "schedule": "0 3 * * *",
            "aws_secret_access_key": "ignored",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["regions"] == ["eu-west-1", "eu-central-1"] and body["schedule"] == "0 3 * * *"
    assert body["last_run"] is None and body["enabled"] is True
    assert not any("key" in field or "secret" in field for field in body)
    task = CloudAccount.objects.get(name="staging").schedule
    assert task.enabled and task.crontab.hour == "3"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("regions", ["eu-west-1", "all"]),
        ("regions", ["narnia"]),
        ("schedule", "every tuesday"),
        ("schedule", "a b c d e"),
        ("schedule", "99999999999h"),
        ("role_arn", "AKIAIOSFODNN7EXAMPLE"),
        ("name", "Prod Account"),
    ],
)
def test_a_bad_account_is_refused_field_by_field(as_ciso, field, value):
    account = {"name": "prod", "regions": ["eu-west-1"], field: value}
    response = as_ciso.post("/api/cloud-accounts/", account, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not CloudAccount.objects.exists() and not scan_schedules().exists()


def test_an_account_name_is_unique(as_ciso, cloud_account):
    response = as_ciso.post("/api/cloud-accounts/", {"name": "prod", "regions": ["eu-west-1"]}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_the_ciso_renames_pauses_and_reschedules_an_account(as_ciso, cloud_account):
    url = f"/api/cloud-accounts/{cloud_account.pk}/"
    response = as_ciso.patch(url, {"name": "production", "enabled": False, "schedule": "6h"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["schedule"] == "6h" and response.json()["enabled"] is False
    task = scan_schedules().get()
    assert task.name == "scan cloud account production" and not task.enabled and task.interval.every == 6
    # The old name is free again, schedule included.
    assert (
        as_ciso.post(
            "/api/cloud-accounts/", {"name": "prod", "regions": ["all"], "schedule": "1h"}, format="json"
        ).status_code
        == 201
    )
    assert as_ciso.patch(url, {"schedule": ""}, format="json").json()["schedule"] == ""
    assert scan_schedules().count() == 1
    assert as_ciso.patch(url, {}, format="json").status_code == 400


def test_engineers_and_auditors_read_accounts_but_change_nothing(as_engineer, as_auditor, cloud_account):
    for client in (as_engineer, as_auditor):
        [account] = results(client, "/api/cloud-accounts/")
        assert account["name"] == "prod" and account["regions"] == ["eu-west-1", "us-east-1"]
        assert account["schedule"] == "0 3 * * *"
        created = client.post("/api/cloud-accounts/", {"name": "x", "regions": ["eu-west-1"]}, format="json")
        changed = client.patch(f"/api/cloud-accounts/{cloud_account.pk}/", {"enabled": False}, format="json")
        scanned = client.post(f"/api/cloud-accounts/{cloud_account.pk}/scan/")
        assert (created.status_code, changed.status_code, scanned.status_code) == (403, 403, 403)
    assert CloudAccount.objects.get().enabled and not ScanRun.objects.exists()


def test_scan_now_queues_one_run_and_the_run_finishes(
    as_ciso, ciso, fake_cloud, cloud_account, catalogs, django_capture_on_commit_callbacks
):
    fake_cloud.seed_default()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_ciso.post(f"/api/cloud-accounts/{cloud_account.pk}/scan/")
    assert response.status_code == 202, response.content
    run = response.json()
    assert run["state"] == "queued" and run["trigger"] == "manual" and run["triggered_by"] == "ciso"
    finished = as_ciso.get(f"/api/scan-runs/{run['id']}/").json()  # tasks run in-process here
    assert finished["state"] == "succeeded" and finished["units_done"] == finished["units_total"] > 0
    assert finished["percent_done"] == 100 and finished["finished_at"] and finished["errors"] == []
    assert as_ciso.get(f"/api/cloud-accounts/{cloud_account.pk}/").json()["last_run"] == run["id"]


def test_asking_twice_returns_the_scan_already_queued(as_ciso, cloud_account):
    first = as_ciso.post(f"/api/cloud-accounts/{cloud_account.pk}/scan/").json()
    second = as_ciso.post(f"/api/cloud-accounts/{cloud_account.pk}/scan/").json()
    assert first["id"] == second["id"] and ScanRun.objects.count() == 1


def test_a_disabled_account_is_not_scanned(as_ciso, cloud_account):
    cloud_account_set_enabled(account=cloud_account, enabled=False)
    response = as_ciso.post(f"/api/cloud-accounts/{cloud_account.pk}/scan/")
    assert response.status_code == 409 and "disabled" in response.json()["detail"]
    assert not ScanRun.objects.exists()


def test_runs_show_their_errors_and_filter_by_account_and_state(as_auditor, fake_cloud, cloud_account):
    fake_cloud.seed_default()
    fake_cloud.break_read("fake-network", "us-east-1", ("fake.volume",), "AccessDenied: ec2:DescribeVolumes")
    partial = scan(cloud_account)
    other = cloud_account_create(name="sandbox", regions="eu-west-1")
    fake_cloud.reset()
    clean = scan(other)
    [shown] = results(as_auditor, "/api/scan-runs/", account="prod")
    assert shown["id"] == partial.pk and shown["state"] == RunState.PARTIAL
    assert {"region": "us-east-1", "service": "fake-network", "reason": "AccessDenied: ec2:DescribeVolumes"} in (
        shown["errors"]
    )
    assert [r["id"] for r in results(as_auditor, "/api/scan-runs/", state="succeeded")] == [clean.pk]
    assert results(as_auditor, "/api/scan-runs/", state="running") == []


def test_the_latest_findings_name_the_check_the_resource_and_the_controls(as_engineer, fake_cloud, cloud_account):
    fake_cloud.seed_default()
    scan(cloud_account)
    run = scan(cloud_account)
    rows = results(as_engineer, "/api/findings/", status="fail")
    by_check = {row["check_id"]: row for row in rows}
    assert set(by_check) == {"fake_sg_no_open_ssh", "fake_user_has_mfa"}  # one row per pair, not per scan
    ssh = by_check["fake_sg_no_open_ssh"]
    assert ssh["check"] == {
        "id": "fake_sg_no_open_ssh",
        "title": "Security groups do not open SSH to the internet",
        "severity": "high",
        "remediation": "Remove the 0.0.0.0/0 rule on port 22.",
        "controls": ["iso27001-2022:A.8.20", "soc2-2017:CC6.6"],
    }
    assert ssh["resource"]["uid"] == "sg-open" and ssh["resource"]["type"] == "fake.security_group"
    assert ssh["resource"]["name"] == "sg-open" and ssh["region"] == "eu-west-1"
    assert ssh["reason"] == "not closed to the internet" and ssh["account"] == "prod" and ssh["run"] == run.pk


def test_the_latest_findings_filter_like_the_findings_page(as_auditor, fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    scan(cloud_account)

    def uids(**params) -> list[str]:
        return sorted(row["resource"]["uid"] for row in results(as_auditor, "/api/findings/", **params))

    assert uids() == ["sg-closed", "sg-open", "user/alice", "vol-1"]
    assert uids(check="fake_volume_encrypted") == ["vol-1"]
    assert uids(region="us-east-1") == ["sg-closed"]
    assert uids(resource="ALICE") == ["user/alice"]
    assert uids(status="pass") == ["sg-closed", "vol-1"]
    assert uids(account="prod", status="fail") == ["sg-open", "user/alice"]
    assert uids(account="nobody") == []
    assert uids(control="iso27001-2022:A.8.20") == ["sg-closed", "sg-open"]
    # A.13.1.1 of the 2013 edition is equal to A.8.20: the same checks speak for it; CC6.1 only intersects.
    assert uids(control="iso27001-2013:A.13.1.1") == ["sg-closed", "sg-open"]
    assert uids(control="soc2-2017:CC6.1") == []
    assert uids(control="iso27001-2022:A.5.1") == [] and uids(control="no-such:control") == []
    assert as_auditor.get("/api/findings/", {"status": "green"}).status_code == 400


def test_each_run_keeps_its_own_findings(as_auditor, fake_cloud, cloud_account):
    fake_cloud.seed_default()
    before = scan(cloud_account)
    fake_cloud.remove("sg-open")
    fake_cloud.add("fake.security_group", "eu-west-1", "sg-open", open_ssh=False)
    after = scan(cloud_account)

    def ssh_status(run: ScanRun) -> str:
        [row] = results(as_auditor, "/api/run-findings/", run=run.pk, check="fake_sg_no_open_ssh", resource="open")
        assert row["run"] == run.pk and row["account"] == "prod" and row["check"]["severity"] == "high"
        return row["status"]

    assert (ssh_status(before), ssh_status(after)) == ("fail", "pass")
    everything = results(as_auditor, "/api/run-findings/")
    assert {row["run"] for row in everything} == {before.pk, after.pk} and everything[0]["run"] == after.pk
    assert as_auditor.get("/api/run-findings/", {"run": 999999}).status_code == 400


def test_the_inventory_keeps_what_disappeared(as_auditor, fake_cloud, cloud_account):
    fake_cloud.seed_default()
    scan(cloud_account)
    fake_cloud.remove("vol-1")
    scan(cloud_account)
    rows = {row["uid"]: row for row in results(as_auditor, "/api/resources/", account="prod")}
    assert rows["vol-1"]["gone"] is True and rows["vol-1"]["gone_at"]
    assert rows["sg-open"]["gone"] is False and rows["sg-open"]["first_seen"] <= rows["sg-open"]["last_seen"]
    assert "config" not in rows["sg-open"]
    assert [row["uid"] for row in results(as_auditor, "/api/resources/", gone="true")] == ["vol-1"]
    assert "vol-1" not in [row["uid"] for row in results(as_auditor, "/api/resources/", gone="false")]
    detail = as_auditor.get(f"/api/resources/{rows['sg-open']['id']}/").json()
    assert detail["config"] == {"open_ssh": True} and detail["tags"] == {}


def test_times_from_any_offset_are_compared_in_utc(as_auditor, fake_cloud, cloud_account):
    fake_cloud.seed_default()
    run = scan(cloud_account)
    # PostgreSQL refuses offsets past 15:59 in a literal; ISO 8601 (and a client's clock) may send them.
    assert [r["id"] for r in results(as_auditor, "/api/scan-runs/", created_after="2001-03-03T17:12:32-21:28")] == [
        run.pk
    ]
    assert len(results(as_auditor, "/api/resources/", seen_after="0115-03-03T17:12:32.0-21:28")) == 4
    assert results(as_auditor, "/api/resources/", seen_after="9999-12-31T23:00:00+14:00") == []
    late = as_auditor.get("/api/resources/", {"seen_after": "9999-12-31T23:00:00-05:00"})
    assert late.status_code == 400 and "seen_after" in late.json()


def test_nothing_is_readable_without_a_current_role(client, expired_auditor, cloud_account):
    for url in ("/api/cloud-accounts/", "/api/scan-runs/", "/api/findings/", "/api/run-findings/", "/api/resources/"):
        assert client.get(url).status_code == 401
        assert token_client(expired_auditor).get(url).status_code in (401, 403)


@pytest.mark.parametrize(
    "url, order",
    [("/api/findings/", RESULTS_ORDER), ("/api/run-findings/", tuple(f"-{f}" for f in ("run_id", *RESULTS_ORDER)))],
)
def test_result_lists_are_paged_by_cursor_in_one_fixed_order(as_auditor, fake_cloud, cloud_account, url, order):
    fake_cloud.seed_default()
    scan(cloud_account)
    scan(cloud_account)
    model = CheckStatus if url == "/api/findings/" else Finding
    expected = list(model.objects.order_by(*order).values_list("pk", flat=True))
    assert len(expected) > 3

    as_auditor.get("/api/frameworks/")  # the token's first use is recorded once; leave it out of the counts
    pages, link, queries = [], f"{url}?page_size=3", set()
    while link:
        with CaptureQueriesContext(connection) as asked:
            body = as_auditor.get(link).json()
        queries.add(len(asked))
        assert "count" not in body  # counting every row on every request is what made deep pages slow
        pages.append([row["id"] for row in body["results"]])
        last, link = body, body["next"]
    assert [pk for rows in pages for pk in rows] == expected
    assert len(queries) == 1  # every page, however deep, in the same queries
    assert [row["id"] for row in as_auditor.get(last["previous"]).json()["results"]] == pages[-2]
    assert as_auditor.get(url, {"page": 2}).status_code == 400
    assert as_auditor.get(url, {"cursor": "garbage"}).status_code == 404
    assert as_auditor.get(url, {"ordering": "-status"}).status_code == 400  # not an option: refused, not ignored
