"""Every page, for each role and at a desktop and a phone's size, passes axe-core with no serious or critical
violation. axe-core comes from the npm registry (package.json; `make test` installs it) and is evaluated in
the page through Playwright, so the production Content-Security-Policy stays on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from compliance import services
from compliance.models import Control, Document, Ticket
from config.celery import app as celery_app
from evidence.services import evidence_add
from scanners import engine
from scanners.models import ScanRun
from scanners.services import cloud_account_create
from tests.conftest import service_missing
from tests.scanners import fakes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        service_missing(f"axe-core at {AXE} (run `npm ci`, which `make test` does)")
    return AXE.read_text()


@pytest.fixture
def world(monkeypatch, catalogs, ciso, engineer, auditor):
    """A register with one of everything a page can show: links, evidence, an exemption, a finished scan."""
    fakes.install(monkeypatch.setattr)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    fakes.CLOUD.reset()
    fakes.CLOUD.seed_default()
    control = Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref="A.8.20")
    Control.objects.filter(pk=control.pk).update(owner=engineer)
    document = Document.objects.create(title="Network security policy", url="https://wiki.example.com/net")
    document.controls.add(control)
    ticket = Ticket.objects.create(
        system="jira", key="SEC-12", title="Close port 22", url="https://j.example.com/SEC-12"
    )
    ticket.controls.add(control)
    item = evidence_add(
        controls=[control],
        title="Security group export",
        actor=engineer,
        upload=SimpleUploadedFile("sg.json", b'{"ingress": ["443/tcp"]}', content_type="application/json"),
    )
    services.exemption_propose(
        controls=[control],
        title="Legacy VPC",
        reason="Migration",
        expires_at=timezone.now() + timedelta(30),
        actor=engineer,
    )
    account = cloud_account_create(name="prod", regions="eu-west-1,us-east-1", schedule="0 3 * * *")
    run = engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk)
    yield {"control": control, "document": document, "ticket": ticket, "evidence": item, "run": run}
    fakes.CLOUD.reset()


def pages_of(world: dict, role: str) -> list[str]:
    control = world["control"]
    fw, ref = control.framework.slug, control.ref
    pages = [
        "/",
        "/controls/",
        control.get_absolute_url(),
        "/documents/",
        world["document"].get_absolute_url(),
        "/tickets/",
        world["ticket"].get_absolute_url(),
        "/evidence/",
        world["evidence"].get_absolute_url(),
        "/audit/",
        "/audit/soa/?framework=iso27001-2022",
        f"/audit/controls/{fw}/{ref}/evidence/",
        f"/audit/controls/{fw}/{ref}/changes/",
        "/audit/events/",
        "/scans/",
        f"/scans/{world['run'].pk}/",
        "/scans/findings/",
        "/account/tokens/",
        "/inbox/",
        "/scans/resources/",
        world["run"].account.resources.order_by("pk").first().get_absolute_url(),
        "/scans/findings/?group=check",
    ]
    if role == "engineer":
        pages.append("/controls/?owner=me")
    if role == "ciso":
        pages += [f"/scans/accounts/{world['run'].account_id}/settings/", "/people/", "/controls/import/"]
    return pages


def violations_on(page, url: str, axe_source: str) -> list[dict]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.evaluate(axe_source)
    return [{**violation, "page": url} for violation in page.evaluate(RUN_AXE)]


@pytest.mark.parametrize("role", ["ciso", "engineer", "auditor"])
def test_every_page_passes_axe_for_each_role_on_a_desktop_and_a_phone(
    role, request, world, login_page, axe_source, screenshots
):
    page = login_page(request.getfixturevalue(role))
    found = []
    for name, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        for url in pages_of(world, role):
            found += violations_on(page, url, axe_source)
        page.goto("/")
        page.screenshot(path=screenshots / f"dashboard-{name}.png", full_page=False)
    assert not found, "\n".join(f"{v['page']}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}" for v in found)


def test_the_sign_in_page_passes_axe(browser, live_server, axe_source):
    for size in VIEWPORTS.values():
        context = browser.new_context(base_url=live_server.url, viewport=size)
        page = context.new_page()
        assert not violations_on(page, "/login/", axe_source)
        context.close()


def test_on_a_phone_the_navigation_folds_behind_one_button(login_page, engineer, catalogs, screenshots):
    page = login_page(engineer)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto("/controls/")
    navigation = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible() and not navigation.is_visible()
    assert page.locator(".topbar").bounding_box()["height"] < 80  # the first screen is the page, not the menu
    menu.click()
    assert navigation.is_visible() and menu.get_attribute("aria-expanded") == "true"
    assert navigation.get_by_role("link", name="Controls", exact=True).get_attribute("aria-current") == "page"
    page.screenshot(path=screenshots / "menu-open.png")
    navigation.get_by_role("link", name="Evidence").click()
    page.wait_for_url("**/evidence/")
    assert not page.get_by_role("navigation", name="Main").is_visible()

    page.set_viewport_size(VIEWPORTS["desktop"])
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("navigation", name="Main").is_visible()
