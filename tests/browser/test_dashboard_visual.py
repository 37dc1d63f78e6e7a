"""The CISO's first look at the demo dashboard, on a laptop and on a phone: posture at a glance, not a list."""

from __future__ import annotations

import re

import pytest

from compliance.models import Control, ControlState, Framework
from scanners.demo_history import demo_history_seed
from scanners.services import cloud_account_create
from tests.compliance.conftest import scanned

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
TALLEST_AT_1440 = 2600  # 2,384 px measured; the page of theme tables it replaces was 3,200 px

# The contrast of each heat-map number with its cell, computed by the browser from the styles it applied.
CONTRASTS = """() => {
  const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = rgb => { const [r, g, b] = rgb.match(/\\d+/g).map(Number);
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
  return [...document.querySelectorAll('table.heat td[class^=heat]')].map(td => {
    const a = luminance(getComputedStyle(td.querySelector('a')).color);
    const b = luminance(getComputedStyle(td).backgroundColor);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}"""


@pytest.fixture
def demo(ciso, engineer, catalogs):
    """The demo's state after `make run`: a scan's results, then the seeded register and its quarter of history."""
    scanned(
        cloud_account_create(name="demo-aws", regions="eu-west-1", schedule=""),
        {
            "s3_bucket_versioning_enabled": ["fail", "fail", "fail", "pass"],
            "iam_user_console_mfa": ["fail", "pass"],
            "s3_bucket_default_encryption": ["pass", "pass"],
            "s3_bucket_block_public_access": ["fail", "pass"],
        },
    )
    demo_history_seed()


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def test_the_ciso_sees_the_posture_at_a_glance_on_a_laptop_and_a_phone(login_page, ciso, demo, screenshots):
    page = login_page(ciso)
    page.set_default_timeout(10_000)
    page.set_viewport_size(LAPTOP)
    page.goto("/")

    frameworks = page.locator("section.framework")
    assert frameworks.count() == Framework.objects.count()
    for index in range(frameworks.count()):
        bars = frameworks.nth(index).locator("svg.dash-bar")
        assert bars.count() == 2  # status, and automated result
        for bar in range(2):
            box = bars.nth(bar).bounding_box()
            assert box["width"] > 250 and box["height"] >= 20
            assert bars.nth(bar).locator("a rect").count() >= 2
    trend = page.locator("svg.trend")
    assert trend.get_attribute("role") == "img"
    assert trend.locator("polyline").count() == Framework.objects.count()
    assert trend.bounding_box()["width"] > 600
    assert page.get_by_role("heading", name="Top failing checks").is_visible()
    assert page.get_by_role("heading", name="Since last week").is_visible()
    assert min(page.evaluate(CONTRASTS)) >= 4.5
    laptop_height = page_height(page)
    page.screenshot(path=screenshots / "dashboard-1440x900.png", full_page=True)
    print(f"dashboard height at 1440x900: {laptop_height} px")
    assert laptop_height < TALLEST_AT_1440

    page.set_viewport_size(PHONE)
    page.goto("/")
    assert page.locator("svg.dash-bar").first.bounding_box()["width"] > 250
    assert page.locator("svg.trend").bounding_box()["width"] > 300
    page.screenshot(path=screenshots / "dashboard-390x844.png", full_page=True)
    wide = page.evaluate(
        "() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], wide  # nothing off-screen
    page.screenshot(path=screenshots / "dashboard-390x844.png", full_page=True)
    print(f"dashboard height at 390x844: {page_height(page)} px")


def test_a_heat_map_cell_opens_the_register_listing_that_many_controls(login_page, ciso, demo, screenshots):
    page = login_page(ciso)
    page.set_default_timeout(10_000)
    page.set_viewport_size(LAPTOP)
    page.goto("/")
    row = page.locator("table.heat tr").filter(has=page.get_by_role("rowheader", name="Technological controls"))
    cell = row.get_by_role("link", name=re.compile(r"^\d+ implemented in Technological controls"))
    expected = int(cell.inner_text())
    assert expected == Control.objects.filter(group="Technological controls", status="implemented").count()

    cell.click()
    page.wait_for_url(re.compile(r"/controls/\?"))

    page.screenshot(path=screenshots / "register-from-heat-map.png", full_page=True)
    assert page.locator("p.summary strong").first.inner_text() == f"{expected} controls"


def test_a_bar_segment_opens_the_register_filtered_to_it(login_page, ciso, demo):
    page = login_page(ciso)
    page.set_default_timeout(10_000)
    page.set_viewport_size(LAPTOP)
    page.goto("/")
    failing = ControlState.objects.filter(control__framework__slug="iso27001-2022", automated_status="failing").count()
    card = page.locator("section.framework").first
    card.locator(f"svg.dash-bar a[aria-label^='{failing} failing']").click()
    page.wait_for_url(re.compile(r"automated=failing"))
    assert page.locator("p.summary strong").first.inner_text() == f"{failing} control{'s' if failing != 1 else ''}"
