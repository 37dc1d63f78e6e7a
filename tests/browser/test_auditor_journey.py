"""An auditor exports the Statement of Applicability and the audit package, and finds nothing to edit."""

import csv
import hashlib
import json
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import Control
from evidence.services import evidence_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Forms an auditor may submit: signing out, and asking for the audit package (an export).
# Besides exports, the one kind of write auditors get (accounts.roles): questions and evidence requests on a control.
ALLOWED_POST_ACTIONS = {
    "/logout/",
    "/audit/packages/",
    "/controls/iso27001-2022/A.8.20/comments/",
    "/controls/iso27001-2022/A.8.20/evidence-requests/open/",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def writable_controls(page) -> list[str]:
    """Enabled ways to send a change from this page: POST forms and htmx writes, except the allowed ones."""
    return page.evaluate(
        """allowed => {
        const found = [];
        for (const form of document.forms) {
            const method = (form.getAttribute('method') || 'get').toLowerCase();
            const action = new URL(form.action, location.href).pathname;
            const submits = [...form.querySelectorAll(
                'button:not([type=button]):not([type=reset]), input[type=submit]')];
            if (method !== 'get' && !allowed.includes(action) && submits.some(b => !b.disabled)) {
                found.push(`form ${method} ${action}`);
            }
        }
        for (const el of document.querySelectorAll('[hx-post],[hx-put],[hx-patch],[hx-delete]')) {
            const target = el.getAttribute('hx-post') || el.getAttribute('hx-put') || el.getAttribute('hx-patch')
                || el.getAttribute('hx-delete');
            if (!allowed.includes(new URL(target, location.href).pathname)) found.push(`htmx ${target}`);
        }
        for (const el of document.querySelectorAll('[contenteditable=true]')) found.push('contenteditable');
        return found;
    }""",
        sorted(ALLOWED_POST_ACTIONS),
    )


def visit(page, url: str, screenshots, shot: str) -> None:
    page.goto(url)
    page.screenshot(path=screenshots / shot, full_page=True)
    assert writable_controls(page) == [], url


def test_an_auditor_exports_the_soa_and_the_package_and_can_edit_nothing(
    login_page, auditor, engineer, catalogs, screenshots, eager_tasks, tmp_path
):
    control = Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref="A.8.20")
    item = evidence_add(
        controls=[control],
        title="Security group export",
        actor=engineer,
        upload=SimpleUploadedFile("sg.json", b'{"ingress": ["443/tcp"]}', content_type="application/json"),
    )
    page = login_page(auditor)
    page.set_default_timeout(15_000)
    page.screenshot(path=screenshots / "1-dashboard.png", full_page=True)
    assert writable_controls(page) == []

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    page.wait_for_url("**/audit/")
    page.screenshot(path=screenshots / "2-audit.png", full_page=True)
    assert writable_controls(page) == []

    page.get_by_role("link", name="ISO/IEC 27001:2022 Annex A").click()
    page.wait_for_url(re.compile(r"/audit/soa/\?framework=iso27001-2022"))
    page.screenshot(path=screenshots / "3-soa.png", full_page=True)
    assert writable_controls(page) == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("statement-of-applicability-iso27001-2022")
    soa = list(csv.reader(open(download.path(), newline="", encoding="utf-8")))
    assert soa[0][:3] == ["Framework", "Ref", "Title"]
    assert len(soa) == 1 + Control.objects.filter(framework__slug="iso27001-2022").count()

    page.get_by_role("link", name="Evidence of A.8.20 over the period").click()
    page.wait_for_url(re.compile(r"/audit/controls/iso27001-2022/A.8.20/evidence/\?start="))
    page.screenshot(path=screenshots / "4-evidence-timeline.png", full_page=True)
    assert page.get_by_role("link", name="Security group export").is_visible()
    assert writable_controls(page) == []

    visit(page, f"/audit/controls/iso27001-2022/{control.ref}/changes/", screenshots, "5-change-log.png")
    visit(page, "/evidence/", screenshots, "6-evidence.png")
    visit(page, item.get_absolute_url(), screenshots, "7-evidence-detail.png")
    visit(page, control.get_absolute_url(), screenshots, "8-control.png")

    page.goto("/audit/")
    page.get_by_label("Framework").select_option("iso27001-2022")
    page.get_by_role("button", name="Build the audit package").click()
    download_link = page.locator("#new-package").get_by_role("link", name="Download the package")
    download_link.wait_for()  # the task ran eagerly; the progress bar turned into the download
    page.screenshot(path=screenshots / "9-package-ready.png", full_page=True)
    with page.expect_download() as download_info:
        download_link.click()
    archive = zipfile.ZipFile(download_info.value.path())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["framework"] == "iso27001-2022" and manifest["integrity_failures"] == []
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    assert archive.read(f"controls/iso27001-2022/A.8.20/{item.pk}-sg.json") == b'{"ingress": ["443/tcp"]}'
