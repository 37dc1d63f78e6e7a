"""The inventory and the grouped findings, as the CISO, an engineer and an auditor read them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scanners.models import Resource, ScanRun
from tests.scanners.test_scans_pages import grow_cloud, scan

pytestmark = pytest.mark.django_db


def uids(response) -> list[str]:
    assert response.status_code == 200
    return [resource.uid for resource in response.context["page"]]


def test_the_inventory_lists_resources_with_when_they_were_seen_and_how_many_results_fail(
    client, auditor, fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    scan(cloud_account)
    client.force_login(auditor)
    url = reverse("resource-list")
    page = client.get(url)
    assert sorted(uids(page)) == ["sg-closed", "sg-open", "user/alice", "vol-1"]
    failing = {resource.uid: resource.failing or 0 for resource in page.context["page"]}
    assert failing == {"sg-open": 1, "sg-closed": 0, "vol-1": 0, "user/alice": 1}
    assert sorted(uids(client.get(url, {"search": "sg-"}))) == ["sg-closed", "sg-open"]
    assert uids(client.get(url, {"type": "fake.volume"})) == ["vol-1"]
    assert uids(client.get(url, {"region": "us-east-1"})) == ["sg-closed"]
    assert len(uids(client.get(url, {"account": cloud_account.pk}))) == 4
    assert uids(client.get(url, {"present": "no"})) == []
    text = page.content.decode()
    assert "First seen" in text and "Last seen" in text and "prod" in text
    listed = client.get("/api/resources/", {"search": "sg-", "region": "eu-west-1"}).json()["results"]
    assert [row["uid"] for row in listed] == ["sg-open"]  # the API list takes the same filters


def test_a_resource_page_shows_its_latest_results_and_every_scans_findings(
    client, engineer, fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    first = scan(cloud_account)
    second = scan(cloud_account)
    resource = Resource.objects.get(uid="sg-open")
    client.force_login(engineer)
    response = client.get(reverse("resource-detail", args=[resource.pk]))
    assert response.status_code == 200
    assert [row.check_id for row in response.context["latest"]] == ["fake_sg_no_open_ssh"]
    assert [row.run_id for row in response.context["page"]] == [second.pk, first.pk]
    text = response.content.decode()
    assert "Remove the 0.0.0.0/0 rule on port 22." in text  # how to fix a failing result, behind its reason
    assert reverse("control-detail", args=["iso27001-2022", "A.8.20"]) in text
    assert reverse("scan-detail", args=[first.pk]) in text


def test_a_resource_of_an_account_nobody_may_see_is_not_found(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("resource-detail", args=[999999])).status_code == 404
    assert client.get(reverse("resource-list"), {"cursor": "not-a-cursor"}).status_code == 404


def test_findings_grouped_by_check_count_each_status_and_link_to_the_checks_results(
    client, ciso, fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    scan(cloud_account)
    client.force_login(ciso)
    response = client.get(reverse("finding-list"), {"group": "check"})
    groups = {group["check_id"]: group for group in response.context["check_groups"]}
    assert groups["fake_sg_no_open_ssh"]["fail"] == 1 and groups["fake_sg_no_open_ssh"]["pass"] == 1
    assert response.context["check_groups"][0]["fail"] == 1  # failing checks first
    assert "check=fake_sg_no_open_ssh" in response.content.decode()
    failing = client.get(reverse("finding-list"), {"group": "check", "status": "fail"}).context["check_groups"]
    assert {group["check_id"] for group in failing} == {"fake_sg_no_open_ssh", "fake_user_has_mfa"}


def test_findings_grouped_by_resource_show_each_resources_matching_results(
    client, auditor, fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    scan(cloud_account)
    client.force_login(auditor)
    response = client.get(reverse("finding-list"), {"group": "resource", "status": "fail"})
    page = response.context["page"]
    assert sorted(resource.uid for resource in page) == ["sg-open", "user/alice"]
    assert all([row.status for row in resource.results] == ["fail"] for resource in page)
    assert reverse("resource-detail", args=[Resource.objects.get(uid="sg-open").pk]) in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/scans/resources/",
        "/scans/resources/?search=sg&region=eu-west-1",
        "/scans/findings/?group=check",
        "/scans/findings/?group=resource",
        "resource-detail",
    ],
)
def test_the_inventory_and_grouped_findings_run_a_constant_number_of_queries(client, ciso, fake_cloud, catalogs, url):
    client.force_login(ciso)

    def target() -> str:
        if url != "resource-detail":
            return url
        return reverse(url, args=[Resource.objects.filter(uid__startswith="sg-0-").order_by("pk").first().pk])

    def counted() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(target())
        assert response.status_code == 200
        return len(queries)

    grow_cloud(fake_cloud, accounts=range(1), per_type=2)
    client.get(target())  # the session and role caches
    small = counted()
    grow_cloud(fake_cloud, accounts=range(1, 4), per_type=30)
    assert ScanRun.objects.count() == 8
    assert counted() == small
    assert small <= 9
