"""The CISO scans the cloud account from the Scans page and follows a failing finding to its control."""

import pytest
from django.urls import reverse

from config.celery import app as celery_app
from scanners.services import cloud_account_create
from tests.scanners import fakes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cloud(monkeypatch):
    """The fake cloud of the scanner tests; the live server runs the scan's tasks in-process."""
    fakes.install(monkeypatch.setattr)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    fakes.CLOUD.reset()
    yield fakes.CLOUD
    fakes.CLOUD.reset()


def test_the_ciso_clicks_scan_now_and_sees_the_scan_finish(login_page, ciso, cloud, catalogs, screenshots):
    cloud.seed_default()
    cloud.break_read("fake-network", "us-east-1", ("fake.volume",), "AccessDenied: ec2:DescribeVolumes")
    cloud_account_create(name="prod", regions="eu-west-1,us-east-1", schedule="0 3 * * *")
    page = login_page(ciso)
    page.get_by_role("link", name="Scans").click()
    page.get_by_role("button", name="Scan now").click()
    progress = page.locator("[id^=account-] .run-progress").first
    progress.get_by_text("Partial (some reads failed)").wait_for(timeout=15_000)
    runs = page.locator("#runs")
    runs.get_by_text("fake-network in us-east-1: AccessDenied: ec2:DescribeVolumes").wait_for(timeout=15_000)
    page.screenshot(path=screenshots / "scans.png", full_page=True)
    page.goto(reverse("finding-list") + "?status=fail")
    page.screenshot(path=screenshots / "findings.png", full_page=True)
    assert page.get_by_role("link", name="iso27001-2022 A.8.20").first.is_visible()
    page.get_by_role("link", name="iso27001-2022 A.8.20").first.click()
    assert "/controls/iso27001-2022/A.8.20/" in page.url
