import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_ciso_logs_in_and_sees_the_dashboard(login_page, ciso, catalogs, screenshots):
    page = login_page(ciso)
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)
    assert page.locator("h1").first.inner_text() == "Where we stand"
    assert page.get_by_role("link", name="Controls").first.is_visible()


def test_a_wrong_password_is_refused_with_a_message(browser, live_server, ciso):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", "ciso")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "/login/" in page.url
    assert page.get_by_role("alert").is_visible()
    context.close()
