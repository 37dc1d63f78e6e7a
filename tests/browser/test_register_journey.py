"""The CISO works the register in a real browser: filters and sorting live in the URL, bulk changes keep it."""

import re

import pytest
from playwright.sync_api import expect

from compliance.models import Control, ControlStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ciso_filters_sorts_goes_back_and_changes_two_controls(login_page, ciso, engineer, catalogs, screenshots):
    page = login_page(ciso)
    page.goto("/controls/")
    page.get_by_label("Framework").select_option("iso27001-2022")
    page.wait_for_url(re.compile(r"/controls/\?framework=iso27001-2022$"))  # empty filters stay out of the URL
    expect(page.locator("#results")).to_contain_text("93 controls")
    page.screenshot(path=screenshots / "01-filtered.png")

    page.get_by_role("link", name="Title", exact=True).click()
    page.wait_for_url(re.compile(r"sort=title"))
    expect(page.locator("th[aria-sort=ascending]")).to_have_text(re.compile("Title"))
    assert page.evaluate("document.activeElement.id") == "sort-title"  # keyboard focus survives the redraw
    page.screenshot(path=screenshots / "02-sorted-by-title.png")

    page.go_back()
    page.wait_for_url(re.compile(r"/controls/\?framework=iso27001-2022$"))
    expect(page.locator("#results tbody tr").first).to_contain_text("A.5.1")

    page.get_by_label("Select A.5.1", exact=True).check()
    page.get_by_label("Select A.5.2", exact=True).check()
    page.get_by_label("Set owner").select_option(label="engineer")
    page.get_by_label("Set status").select_option("in_progress")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#results .notice")).to_have_text("Updated 2 controls.")
    assert re.search(r"/controls/\?framework=iso27001-2022$", page.url)
    page.screenshot(path=screenshots / "03-bulk-change.png")

    changed = Control.objects.filter(framework__slug="iso27001-2022", ref__in=["A.5.1", "A.5.2"])
    assert {(c.owner_id, c.status) for c in changed} == {(engineer.pk, ControlStatus.IN_PROGRESS)}
