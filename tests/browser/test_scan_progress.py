"""Without a broker, the CISO clicks "Scan now", gets the page back at once, and watches the run's progress bar
move unit by unit until the findings appear."""

from __future__ import annotations

import time

import pytest

from scanners.models import ScanRun

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_ciso_watches_the_scan_progress_bar_move_to_the_findings(
    login_page, ciso, background_scan_account, screenshots
):
    account = background_scan_account
    page = login_page(ciso)
    page.get_by_role("link", name="Scans").click()
    started = time.monotonic()
    page.get_by_role("button", name="Scan now").click()
    page.locator(f"#account-{account.pk}-run .run-progress").wait_for()
    assert time.monotonic() - started < 3, "the button's request waited for the scan"
    run = ScanRun.objects.get(account=account)
    page.screenshot(path=screenshots / "scan-started.png", full_page=True)

    page.locator(f"#account-{account.pk}-run").get_by_role("link", name=f"Scan {run.pk}").click()
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
