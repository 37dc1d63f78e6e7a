"""The scan pages, as the CISO, an engineer and an auditor use them."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scanners import engine
from scanners.models import RESULTS_ORDER, CheckStatus, RunState, ScanRun
from scanners.services import cloud_account_create

pytestmark = pytest.mark.django_db


def scan(account) -> ScanRun:
    return engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk)


def grow_cloud(fake_cloud, accounts: range, per_type: int) -> None:
    """More accounts, runs and resources: the pages' query counts must not follow."""
    for n in accounts:
        account = cloud_account_create(name=f"acct-{n}", regions="eu-west-1,us-east-1", schedule="6h")
        fake_cloud.reset()
        for i in range(per_type):
            fake_cloud.add("fake.security_group", "eu-west-1", f"sg-{n}-{i}", open_ssh=i % 2 == 0)
            fake_cloud.add("fake.volume", "us-east-1", f"vol-{n}-{i}", encrypted=True)
            fake_cloud.add("fake.user", "global", f"user/{n}-{i}", mfa=i % 3 == 0)
        scan(account)
        scan(account)


def test_everyone_sees_accounts_runs_and_errors(client, auditor, fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    fake_cloud.break_read("fake-network", "us-east-1", ("fake.volume",), "AccessDenied: ec2:DescribeVolumes")
    run = scan(cloud_account)
    client.force_login(auditor)
    page = client.get(reverse("scan-list")).content.decode()
    assert "prod" in page and "0 3 * * *" in page and f"Scan {run.pk}" in page
    assert "fake-network in us-east-1: AccessDenied: ec2:DescribeVolumes" in page
    assert "Scan now" not in page  # auditors and engineers see no button


def test_the_auditor_cannot_start_a_scan(client, auditor, engineer, cloud_account):
    for person in (auditor, engineer):
        client.force_login(person)
        response = client.post(reverse("scan-now", args=[cloud_account.pk]))
        assert response.status_code == 403
    assert not ScanRun.objects.exists()


def test_scan_now_needs_a_post(client, ciso, cloud_account):
    client.force_login(ciso)
    assert client.get(reverse("scan-now", args=[cloud_account.pk])).status_code == 405


def test_the_ciso_starts_a_scan_and_watches_its_progress(
    client, ciso, fake_cloud, cloud_account, catalogs, django_capture_on_commit_callbacks
):
    fake_cloud.seed_default()
    client.force_login(ciso)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("scan-now", args=[cloud_account.pk]), headers={"HX-Request": "true"})
    run = ScanRun.objects.get()
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert 'hx-trigger="every 1s"' in fragment and reverse("scan-progress", args=[run.pk]) in fragment

    for callback in callbacks:  # the transaction commits: the scan runs (in-process in tests)
        callback()
    progress = client.get(reverse("scan-progress", args=[run.pk]), headers={"HX-Request": "true"})
    assert RunState.SUCCEEDED.label in progress.content.decode()
    assert "every 1s" not in progress.content.decode()  # finished: the polling stops
    assert "scansChanged" in json.loads(progress.headers["HX-Trigger"])  # and the runs table reloads
    runs = client.get(reverse("scan-list"), headers={"HX-Request": "true"}).content.decode()
    assert runs.startswith('\n<div id="runs"') and f"Scan {run.pk}" in runs and "<html" not in runs


def test_a_plain_post_redirects_back_to_the_scans(client, ciso, cloud_account):
    client.force_login(ciso)
    response = client.post(reverse("scan-now", args=[cloud_account.pk]))
    assert response.status_code == 302 and response.url == reverse("scan-list")


def test_run_detail_shows_errors_and_findings_linked_to_controls(client, engineer, fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    fake_cloud.break_read("fake-identity", "eu-west-1", ("fake.user",), "Throttling")
    run = scan(cloud_account)
    client.force_login(engineer)
    page = client.get(reverse("scan-detail", args=[run.pk])).content.decode()
    assert "fake-identity in eu-west-1: Throttling" in page
    assert "sg-open" in page and "Remove the 0.0.0.0/0 rule on port 22." in page
    assert reverse("control-detail", args=["iso27001-2022", "A.8.20"]) in page
    assert "could not be read: Throttling" in page


def test_latest_findings_filter_by_check_resource_region_status_and_account(
    client, auditor, fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    scan(cloud_account)
    client.force_login(auditor)
    url = reverse("finding-list")

    def resources(**filters) -> set[str]:
        response = client.get(url, filters)
        return {row.resource.uid for row in response.context["page"]}

    assert resources() == {"sg-open", "sg-closed", "vol-1", "user/alice"}
    assert resources(status="fail") == {"sg-open", "user/alice"}
    assert resources(check="fake_volume_encrypted") == {"vol-1"}
    assert resources(region="us-east-1") == {"sg-closed"}
    assert resources(resource="sg-") == {"sg-open", "sg-closed"}
    assert resources(account=cloud_account.pk, status="pass") == {"sg-closed", "vol-1"}
    assert resources(control="iso27001-2022:A.8.24") == {"vol-1"}
    # ISO 2013 A.13.1.1 has no fake check of its own: the checks of its equal, 2022 A.8.20, speak for it.
    assert resources(control="iso27001-2013:A.13.1.1") == {"sg-open", "sg-closed"}
    assert resources(control="iso27001-2022:A.99.99") == set()
    page = client.get(url, {"status": "fail"}).content.decode()
    assert reverse("control-detail", args=["iso27001-2022", "A.8.5"]) in page


@pytest.mark.parametrize("name", ["scan-list", "finding-list", "scan-detail"])
def test_scan_pages_run_a_constant_number_of_queries(
    client, ciso, fake_cloud, catalogs, django_assert_num_queries, name
):
    client.force_login(ciso)

    def url() -> str:
        if name == "scan-detail":
            return reverse(name, args=[ScanRun.objects.order_by("-pk").first().pk])
        return reverse(name)

    grow_cloud(fake_cloud, accounts=range(1), per_type=2)
    client.get(url())  # warm the session and the role cache
    with CaptureQueriesContext(connection) as small:
        assert client.get(url()).status_code == 200
    grow_cloud(fake_cloud, accounts=range(1, 4), per_type=30)
    with django_assert_num_queries(len(small)):
        first = client.get(url())
        assert first.status_code == 200
    if name == "finding-list":  # a deep page of a keyset list costs what the first does
        assert first.context["page"].next_cursor
        with django_assert_num_queries(len(small)):
            assert client.get(url(), {"cursor": first.context["page"].next_cursor}).status_code == 200


@pytest.mark.parametrize("name", ["finding-list", "scan-detail"])
def test_findings_pages_walk_forward_and_back_by_cursor(client, auditor, fake_cloud, catalogs, name):
    grow_cloud(fake_cloud, accounts=range(2), per_type=40)
    run = ScanRun.objects.order_by("-pk").first()
    url = reverse(name, args=[run.pk]) if name == "scan-detail" else reverse(name)
    expected = CheckStatus.objects.all() if name == "finding-list" else run.findings.all()
    expected = list(expected.order_by(*RESULTS_ORDER).values_list("pk", flat=True))
    assert len(expected) > 100  # more than one page
    client.force_login(auditor)

    pages, cursor = [], None
    while True:
        response = client.get(url, {"cursor": cursor} if cursor else {})
        page = response.context["page"]
        pages.append([row.pk for row in page])
        if not page.next_cursor:
            break
        assert f"cursor={page.next_cursor}" in response.content.decode()
        cursor = page.next_cursor
    assert [pk for rows in pages for pk in rows] == expected
    assert "about" in client.get(url).content.decode()  # no count of the whole list: the planner's estimate

    back = client.get(url, {"cursor": page.previous_cursor}).context["page"]
    assert [row.pk for row in back] == pages[-2]
    assert client.get(url, {"page": 3}).url == url  # a numbered link from before opens the first page
    assert client.get(url, {"cursor": "bm90IGEgY3Vyc29y"}).status_code == 404
