"""An evidence request in a real browser: the auditor asks the owner from the control's page, the engineer
finds it in their inbox and answers by uploading a file, and the auditor sees the request closed with it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evidence.models import EvidenceRequest
from tests.browser.conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_auditor_asks_the_engineer_answers_from_the_inbox_and_the_auditor_sees_it_closed(
    login_page, auditor, engineer, owned_control, screenshots, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    auditor_page = login_page(auditor)
    expect(auditor_page).to_have_url(re.compile(r"/inbox/$"))  # auditors land on their inbox
    auditor_page.screenshot(path=screenshots / "01-auditor-inbox-empty.png", full_page=True)

    auditor_page.goto(owned_control.get_absolute_url())
    auditor_page.get_by_text("Ask engineer for evidence").click()
    auditor_page.get_by_label("What evidence").fill("The firewall rule review of Q3, with approvals.")
    auditor_page.get_by_label("Needed by").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    auditor_page.get_by_role("button", name="Ask for evidence").click()
    expect(auditor_page.locator("#requests")).to_contain_text("Asked engineer for evidence")
    expect(auditor_page.locator("#requests .badge.proposed")).to_have_text("open")
    auditor_page.screenshot(path=screenshots / "02-auditor-asked.png", full_page=True)

    engineer_page = login_page(engineer)
    expect(engineer_page).to_have_url(re.compile(r"/inbox/$"))
    nav = engineer_page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile(r"^Inbox \(\d+\)$"))).to_be_visible()
    requests = engineer_page.locator("#requests_to_me")
    expect(requests).to_contain_text("The firewall rule review of Q3")
    engineer_page.screenshot(path=screenshots / "03-engineer-inbox.png", full_page=True)

    requests.get_by_role("link", name=re.compile("Answer")).click()
    review = tmp_path / "firewall-review-q3.pdf"
    review.write_bytes(PDF)
    engineer_page.locator("#evidence_upload").set_input_files(review)
    engineer_page.get_by_label("Title").fill("Firewall review Q3")
    engineer_page.screenshot(path=screenshots / "04-engineer-answers.png", full_page=True)
    engineer_page.get_by_role("button", name="Send the evidence").click()
    expect(engineer_page).to_have_url(re.compile(r"/inbox/$"))
    expect(engineer_page.locator(".messages")).to_contain_text("the request on A.8.20 is closed")
    expect(engineer_page.locator("#requests_to_me")).to_contain_text("Nobody is waiting for evidence from you.")
    engineer_page.screenshot(path=screenshots / "05-engineer-inbox-after.png", full_page=True)

    asked = EvidenceRequest.objects.get()
    assert asked.state == "answered" and [item.title for item in asked.answered_with.all()] == ["Firewall review Q3"]

    auditor_page.goto("/inbox/")
    mine = auditor_page.locator("#my_requests")
    expect(mine.locator(".badge.passing")).to_have_text("answered")
    expect(mine.get_by_role("link", name="Firewall review Q3")).to_be_visible()
    auditor_page.screenshot(path=screenshots / "06-auditor-sees-it-closed.png", full_page=True)
    auditor_page.goto(owned_control.get_absolute_url())
    expect(auditor_page.locator("#evidence")).to_contain_text("Firewall review Q3")


def test_the_ciso_refuses_a_proposal_from_the_inbox_with_a_reason_after_confirming(
    login_page, ciso, engineer, owned_control, screenshots
):
    from compliance import services
    from compliance.models import AuditEvent, Exemption

    services.exemption_propose(
        controls=[owned_control],
        title="Legacy VPN",
        reason="The vendor appliance cannot be segmented before Q3.",
        expires_at=timezone.now() + timedelta(days=60),
        actor=engineer,
    )
    page = login_page(ciso)
    expect(page).not_to_have_url(re.compile(r"/inbox/"))  # the CISO keeps landing on the dashboard
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Inbox")).click()
    proposals = page.locator("#exemptions_to_decide")
    expect(proposals).to_contain_text("Legacy VPN")
    proposals.get_by_text("Approve or refuse").click()
    proposals.get_by_label(re.compile("Reason")).fill("Segment the appliance instead; the VLAN is ready.")
    page.screenshot(path=screenshots / "01-ciso-decides.png", full_page=True)
    confirmations = []
    page.on("dialog", lambda dialog: (confirmations.append(dialog.message), dialog.accept()))
    proposals.get_by_role("button", name="Refuse").click()
    expect(page.locator("#inbox-sections [role=status]")).to_contain_text("Refused “Legacy VPN”.")
    expect(page.locator("#exemptions_to_decide")).to_contain_text("No exemption proposal waits for your decision.")
    page.screenshot(path=screenshots / "02-ciso-refused.png", full_page=True)
    assert confirmations and "Refuse “Legacy VPN”?" in confirmations[0]
    assert Exemption.objects.get().state == "revoked"
    assert AuditEvent.objects.filter(details__reason__startswith="Segment the appliance").exists()
