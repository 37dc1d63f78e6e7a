"""Browser journeys: Playwright driving Debian's Chromium against the live test server."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import service_missing

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        service_missing(f"Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; Django must allow ORM calls from it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshots(artifacts_dir, request) -> Path:
    folder = artifacts_dir / "screenshots" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_csp_violation(message) -> bool:
    """Chromium reports each blocked script, style or handler as a console error naming the policy."""
    return message.type == "error" and "Content Security Policy" in message.text


@pytest.fixture
def login_page(browser, live_server):
    """Returns `login(user)`: a fresh browser page logged in as that user through the login form.

    The pages run under the production Content-Security-Policy; any violation fails the test.
    """
    contexts = []
    violations: list[str] = []

    def login(user, password: str | None = None):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.on("console", lambda message: is_csp_violation(message) and violations.append(message.text))
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password or "pw-" + user.username)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield login
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"  # the smallest PDF we accept


@pytest.fixture
def owned_control(catalogs, engineer):
    """A.8.20, owned by the engineer."""
    from compliance.models import Control

    control = Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref="A.8.20")
    control.owner = engineer
    control.save(update_fields=["owner"])
    return control
