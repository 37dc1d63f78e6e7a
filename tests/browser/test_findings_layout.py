"""The findings and inventory tables fit the screen at 1440x900 and on a 390x844 phone, with compact rows."""

import pytest
from django.utils import timezone

from scanners import engine
from scanners.checks import base as checks
from scanners.models import CheckStatus, CloudAccount, Finding, FindingStatus, Resource, ScanRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_REASON = (
    "Bucket policy grants s3:GetObject to Principal * without a condition on aws:SourceVpce, aws:SourceIp or "
    "aws:PrincipalOrgID, and Block Public Access is off for BlockPublicPolicy and RestrictPublicBuckets, so any "
    "anonymous client on the internet can read every object, including backups and exported reports."
)
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
# A row may grow to show a few control links, never to a wall of text: the reason stays one line until opened.
MAX_ROW_HEIGHT = {"desktop": 120, "phone": 330}


@pytest.fixture
def findings(catalogs):
    """Long ARNs and reasons on the checks that evidence the most controls: the worst case for the layout."""
    engine.registries_load()
    widest = sorted(checks.all_checks(), key=lambda check: -len(check.controls))[:6]
    now = timezone.now()
    account = CloudAccount.objects.create(name="prod-eu", account_id="210987654321", regions=["eu-west-1"])
    run = ScanRun.objects.create(account=account, state="succeeded", started_at=now, finished_at=now)
    for index in range(40):
        check = widest[index % len(widest)]
        service = check.resource_type.split(".")[1]
        uid = f"arn:aws:{service}:eu-west-1:210987654321:{check.resource_type}/customer-data-exports-{index:04d}"
        resource = Resource.objects.create(
            account=account, uid=uid, type=check.resource_type, region="eu-west-1", first_seen=now, last_seen=now
        )
        status = FindingStatus.FAIL if index % 3 else FindingStatus.PASS
        common = {"check_id": check.id, "resource": resource, "region": "eu-west-1", "status": status}
        reason = LONG_REASON if status == FindingStatus.FAIL else "Compliant."
        Finding.objects.create(run=run, reason=reason, **common)
        CheckStatus.objects.create(account=account, run=run, checked_at=now, reason=reason, **common)
    return Resource.objects.order_by("pk").first()


def measure(page) -> dict:
    return page.evaluate(
        """() => {
          const table = document.querySelector("table.findings-table");
          const frame = table.closest(".table-wrap") || table.parentElement;
          const rows = [...table.querySelectorAll("tbody tr")].map(row => row.getBoundingClientRect().height);
          const controls = table.querySelector(".controls-cell");
          return {
            pageWidth: document.scrollingElement.scrollWidth,
            viewport: window.innerWidth,
            tableWidth: table.scrollWidth,
            frameWidth: frame.clientWidth,
            tallestRow: Math.max(...rows),
            controlsRight: controls ? controls.getBoundingClientRect().right : 0,
            pageHeight: document.scrollingElement.scrollHeight,
          };
        }"""
    )


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_findings_and_inventory_tables_fit_their_frame(login_page, ciso, findings, screenshots, screen):
    page = login_page(ciso)
    page.set_viewport_size(VIEWPORTS[screen])
    pages = {
        "findings": "/scans/findings/",
        "failing-by-check": "/scans/findings/?group=check",
        "failing-by-resource": "/scans/findings/?group=resource&status=fail",
        "inventory": "/scans/resources/",
        "resource": findings.get_absolute_url(),
    }
    for name, url in pages.items():
        page.goto(url)
        sizes = measure(page)
        page.screenshot(path=screenshots / f"{name}-{screen}.png", full_page=True)
        assert sizes["pageWidth"] <= sizes["viewport"], (name, sizes)  # no sideways scrolling of the page
        assert sizes["tableWidth"] <= sizes["frameWidth"] + 1, (name, sizes)  # nor of the table in its card
        assert sizes["tallestRow"] <= MAX_ROW_HEIGHT[screen], (name, sizes)
        if sizes["controlsRight"]:
            assert sizes["controlsRight"] <= sizes["viewport"], (name, sizes)  # the Controls column is on screen

    page.goto("/scans/findings/?status=fail")
    reason = page.locator("details.reason").first
    assert not reason.evaluate("details => details.open")
    reason.locator("summary").click()  # the whole reason and how to fix it, on demand
    assert reason.evaluate("details => details.open")
    page.screenshot(path=screenshots / f"reason-open-{screen}.png", full_page=False)
    assert page.get_by_role("link", name="Inventory").first.is_visible() or screen == "phone"
