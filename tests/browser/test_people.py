"""The CISO invites an auditor from the People page; the auditor joins through the emailed link, once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_ciso_invites_an_auditor_who_joins_read_only_through_a_link_that_works_once(
    login_page, browser, live_server, ciso, catalogs, screenshots
):
    last_day = timezone.localdate() + timedelta(days=60)
    page = login_page(ciso)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People", exact=True).click()
    invite = page.locator("form[action='/people/invite/']")
    invite.get_by_label("Email").fill("ada.auditor@example.com")
    invite.get_by_label("Role").select_option("auditor")
    invite.get_by_label("Access until").fill(last_day.isoformat())
    page.screenshot(path=screenshots / "1-invite.png", full_page=True)
    page.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent to ada.auditor@example.com" in page.locator(".messages").inner_text()
    pending = page.locator("tr", has_text="ada.auditor@example.com")
    assert last_day.strftime("%-d %b %Y") in pending.inner_text(), "the last day of access, as typed"
    assert page.get_by_role("button", name="Revoke invitation to ada.auditor@example.com").is_visible()
    page.screenshot(path=screenshots / "2-invited.png", full_page=True)

    [email] = mail.outbox
    link = re.search(r"(http://\S+/invitation/\?token=\S+)", email.body).group(1)
    assert link.startswith(live_server.url)

    newcomer = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    joining = newcomer.new_page()
    joining.goto(link)
    assert joining.url.endswith("/invitation/accept/"), "the secret leaves the address bar"
    assert "as Auditor" in joining.get_by_role("main").inner_text()
    joining.get_by_label("New password", exact=True).fill("a-long-auditor-pass")
    joining.get_by_label("New password again").fill("a-long-auditor-pass")
    joining.screenshot(path=screenshots / "3-set-password.png", full_page=True)
    joining.get_by_role("button", name="Set password and join").click()
    assert "Your account is ready" in joining.locator(".messages").inner_text()
    assert joining.locator("#id_username").input_value() == "ada.auditor@example.com"
    joining.fill("#id_password", "a-long-auditor-pass")
    joining.click("button[type=submit]")
    joining.wait_for_url(lambda url: "/login/" not in url)
    assert joining.locator(".who span").first.inner_text() == "ada.auditor@example.com · Auditor"
    joining.screenshot(path=screenshots / "4-auditor-signed-in.png", full_page=True)
    assert joining.request.get(f"{live_server.url}/people/").status == 403
    membership = Membership.objects.get(user__email="ada.auditor@example.com")
    assert (membership.role, membership.last_day) == (Role.AUDITOR, last_day)
    newcomer.close()

    stranger = browser.new_context(base_url=live_server.url)
    again = stranger.new_page()
    response = again.goto(link)
    assert response.status == 410 and "not valid" in again.get_by_role("alert").inner_text()
    again.screenshot(path=screenshots / "5-link-used.png", full_page=True)
    stranger.close()

    page.reload()
    row = page.locator("tr", has_text="ada.auditor@example.com")
    assert "Auditor" in row.inner_text() and last_day.strftime("%-d %b %Y") in row.inner_text()
    assert page.get_by_role("button", name="Revoke invitation to ada.auditor@example.com").count() == 0
