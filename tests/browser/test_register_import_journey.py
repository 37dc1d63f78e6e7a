"""The CISO exports the Statement of Applicability, edits a justification in it, and imports it in the browser:
upload, read the preview, confirm."""

from __future__ import annotations

import csv
import io

import pytest

from compliance.models import Control

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ISO = "iso27001-2022"
JUSTIFICATION = "Every VPC is segmented by the landing-zone design (reviewed 2026-11)."


def with_justification(data: bytes, ref: str, text: str) -> bytes:
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = [cell.lower() for cell in table[0]]
    for row in table[1:]:
        if row[header.index("ref")] == ref:
            row[header.index("justification")] = text
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return out.getvalue().encode()


def test_the_ciso_imports_an_edited_soa_after_reading_its_preview(login_page, ciso, catalogs, screenshots):
    page = login_page(ciso)
    page.goto(f"/audit/soa/?framework={ISO}")
    with page.expect_download() as download:
        page.click("#export-csv")
    exported = download.value.path().read_bytes()
    edited = with_justification(exported, "A.8.20", JUSTIFICATION)

    page.goto("/controls/")
    page.click("#register-import-link")
    page.set_input_files("input[type=file]", {"name": "soa.csv", "mimeType": "text/csv", "buffer": edited})
    page.get_by_role("button", name="Preview the changes").click()
    preview = page.locator(".import-change")
    preview.first.wait_for()
    assert preview.count() == 1
    assert f"{ISO} A.8.20" in preview.inner_text() and JUSTIFICATION in preview.inner_text()
    page.screenshot(path=screenshots / "import-preview.png", full_page=True)
    assert Control.objects.get(framework__slug=ISO, ref="A.8.20").justification == ""  # not yet

    page.get_by_role("button", name="Import these changes").click()
    page.get_by_text("Imported soa.csv: 1 control changed").wait_for()
    page.screenshot(path=screenshots / "import-done.png", full_page=True)
    assert Control.objects.get(framework__slug=ISO, ref="A.8.20").justification == JUSTIFICATION

    page.goto(f"/controls/{ISO}/A.8.20/")
    assert page.get_by_text(JUSTIFICATION).first.is_visible()


def test_a_row_breaking_the_soa_rule_is_shown_with_its_row_and_column_and_nothing_is_imported(
    login_page, ciso, catalogs, screenshots
):
    page = login_page(ciso)
    page.goto(f"/audit/soa/?framework={ISO}")
    with page.expect_download() as download:
        page.click("#export-csv")
    table = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"), newline="")))
    header = [cell.lower() for cell in table[0]]
    number, row = next((n, r) for n, r in enumerate(table[1:], start=2) if r[header.index("ref")] == "A.8.20")
    row[header.index("applicable")], row[header.index("status")] = "No", "Not applicable"  # and no justification
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)

    page.goto("/controls/import/")
    upload = {"name": "soa.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}
    page.set_input_files("input[type=file]", upload)
    page.get_by_role("button", name="Preview the changes").click()
    problem = page.locator(".import-error")
    problem.first.wait_for()
    assert problem.first.inner_text().split("\t")[:2] == [str(number), "justification"]
    assert page.get_by_role("button", name="Import these changes").count() == 0
    page.screenshot(path=screenshots / "import-refused.png", full_page=True)
    assert Control.objects.get(framework__slug=ISO, ref="A.8.20").applicable
