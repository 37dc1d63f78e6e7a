"""An engineer's journey in a real browser: find a control, link a ticket and add evidence in place,
then find the control again from the ticket's side."""

import re

import pytest
from playwright.sync_api import expect

from compliance.models import Control, Ticket
from evidence.models import Evidence
from tests.browser.conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_engineer_links_a_ticket_and_uploads_evidence_without_leaving_the_control(
    login_page, engineer, owned_control, screenshots, tmp_path
):
    page = login_page(engineer)
    page.screenshot(path=screenshots / "01-logged-in.png", full_page=True)

    page.get_by_role("link", name="Controls", exact=True).click()
    page.get_by_label("Search ref, title or summary").fill("A.8.20")
    page.wait_for_url(re.compile(r"/controls/\?.*q=A\.8\.20"))  # htmx pushed the filter into the URL
    expect(page.locator("#results")).to_contain_text("1 control")
    page.screenshot(path=screenshots / "02-register-filtered.png", full_page=True)

    page.locator("#results").get_by_role("link", name="A.8.20", exact=True).click()
    page.wait_for_url("**/controls/iso27001-2022/A.8.20/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Networks security")
    page.screenshot(path=screenshots / "03-control.png", full_page=True)
    page.evaluate("window.stillTheSamePage = true")  # a full reload would drop this

    page.get_by_label("Ticket URL or key").fill("https://github.com/acme/infra/issues/7")
    page.get_by_role("button", name="Link ticket").click()
    expect(page.locator("#tickets")).to_contain_text("acme/infra#7")
    expect(page.locator("#history")).to_contain_text("linked ticket")  # redrawn on its own after the change
    page.screenshot(path=screenshots / "04-ticket-linked.png", full_page=True)

    page.get_by_role("link", name="Add evidence").click()
    form = page.locator("#add-evidence")
    expect(form).to_be_visible()
    export = tmp_path / "security-groups.pdf"
    export.write_bytes(PDF)
    form.locator("#evidence_upload").set_input_files(export)
    form.get_by_label("Title").fill("Security group export")
    page.screenshot(path=screenshots / "05-evidence-form.png", full_page=True)
    form.get_by_role("button", name="Add evidence").click()
    expect(page.locator("#evidence")).to_contain_text("Security group export")
    expect(page.locator("#evidence .badge.fresh")).to_have_count(1)
    expect(page.locator("#state")).not_to_contain_text("missing")  # the header's evidence state followed
    assert page.evaluate("window.stillTheSamePage") is True
    page.screenshot(path=screenshots / "06-evidence-added.png", full_page=True)

    item = Evidence.objects.get(title="Security group export")
    assert item.collected_by == engineer and item.content_type == "application/pdf" and item.size == len(PDF)

    page.locator("#tickets").get_by_role("link", name="GitHub acme/infra#7").click()
    page.wait_for_url(f"**{Ticket.objects.get(key='acme/infra#7').get_absolute_url()}")
    expect(page.locator("#served")).to_contain_text("A.8.20")
    expect(page.locator("#served")).to_contain_text("Networks security")
    page.screenshot(path=screenshots / "07-ticket-serves-the-control.png", full_page=True)


def test_a_refused_change_says_why_in_place(login_page, engineer, ciso, owned_control, screenshots):
    page = login_page(engineer)
    page.goto(owned_control.get_absolute_url())
    # Meanwhile the CISO gives the control to nobody: the engineer's Edit button is now out of date.
    Control.objects.filter(pk=owned_control.pk).update(owner=None)
    page.locator("#record").get_by_role("link", name="Edit").click()
    expect(page.locator("#record [role=alert]")).to_contain_text("Only the CISO and the owner of this control")
    page.screenshot(path=screenshots / "refused-in-place.png", full_page=True)
