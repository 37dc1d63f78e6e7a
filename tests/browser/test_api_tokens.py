"""In a real browser: an engineer makes a token, a pipeline uses it over HTTP, the engineer revokes it."""

import urllib.error
import urllib.request

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api_status(base_url: str, token: str) -> int:
    request = urllib.request.Request(f"{base_url}/api/frameworks/", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_an_engineer_creates_uses_and_revokes_a_token(login_page, live_server, engineer, catalogs, screenshots):
    page = login_page(engineer)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("CI evidence upload")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    page.screenshot(path=screenshots / "token-created.png", full_page=True)
    assert secret.startswith("ct_")
    assert api_status(live_server.url, secret) == 200

    page.get_by_role("button", name="Revoke CI evidence upload").click()
    assert page.get_by_text("is revoked").is_visible()
    assert secret not in page.content()
    page.screenshot(path=screenshots / "token-revoked.png", full_page=True)
    assert api_status(live_server.url, secret) == 401


def test_the_api_docs_render_the_operations(login_page, auditor, catalogs, screenshots):
    page = login_page(auditor)
    page.get_by_role("link", name="API", exact=True).click()
    page.wait_for_selector(".opblock-summary-path")
    page.screenshot(path=screenshots / "api-docs.png")
    assert page.locator(".opblock-summary-path", has_text="/api/evidence/").count() >= 1
