"""Without a broker, the CISO clicks "Scan now", gets the page back at once, and watches the run's progress bar
move unit by unit until the findings appear."""

from __future__ import annotations

import time

import pytest

from config.celery import app as celery_app
from scanners import background
from scanners.models import ScanRun
from scanners.services import cloud_account_create

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def moto_account(aws, catalogs, settings, monkeypatch):
    import boto3

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # no broker: the demo's mode
    settings.SCAN_SYNC_CONCURRENCY = 1  # one unit after another: a bar with many steps to watch
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    group = ec2.create_security_group(GroupName="ssh-from-anywhere", Description="open SSH")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0")
    yield cloud_account_create(name="moto", regions="eu-west-1")
    assert background.wait_all(timeout=180), "a background scan was still running after the test"


def test_the_ciso_watches_the_scan_progress_bar_move_to_the_findings(login_page, ciso, moto_account, screenshots):
    page = login_page(ciso)
    page.get_by_role("link", name="Scans").click()
    started = time.monotonic()
    page.get_by_role("button", name="Scan now").click()
    page.locator(f"#account-{moto_account.pk}-run .run-progress").wait_for()
    assert time.monotonic() - started < 3, "the button's request waited for the scan"
    run = ScanRun.objects.get(account=moto_account)
    page.screenshot(path=screenshots / "scan-started.png", full_page=True)

    page.locator(f"#account-{moto_account.pk}-run").get_by_role("link", name=f"Scan {run.pk}").click()
    bar = page.locator("#scan-progress progress")
    seen: list[int] = []
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and not page.locator("#scan-progress:not([hx-get])").count():
        if bar.count():
            value = int(bar.get_attribute("value") or 0)
            if not seen or value != seen[-1]:
                seen.append(value)
                if len(seen) in (2, 4):
                    page.screenshot(path=screenshots / f"scan-progress-{len(seen)}.png", full_page=True)
        time.sleep(0.3)
    run.refresh_from_db()
    assert run.is_finished, f"not finished: {run.state} {run.units_done}/{run.units_total}"
    assert seen == sorted(seen) and len([v for v in seen if 0 < v < run.units_total]) >= 2, seen

    page.get_by_text("ssh-from-anywhere").first.wait_for(timeout=15_000)  # the page reloaded with the findings
    page.screenshot(path=screenshots / "scan-finished.png")
