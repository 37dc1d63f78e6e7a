"""An auditor downloads the System Security Plan as OSCAL from the audit page, in Chromium."""

import json

import pytest

from compliance.models import Control
from tests.oscal.schemas import schema_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_downloads_the_ssp_and_finds_a_controls_owner_in_it(
    login_page, auditor, engineer, catalogs, screenshots
):
    control = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    control.owner, control.status = engineer, "implemented"
    control.save()
    page = login_page(auditor)
    page.set_default_timeout(30_000)

    page.goto("/audit/")
    page.screenshot(path=screenshots / "audit.png", full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="System Security Plan").click()
    download = download_info.value

    assert download.suggested_filename == "ssp.json"
    with open(download.path(), encoding="utf-8") as handle:
        plan = json.load(handle)
    assert schema_errors(plan) == []
    requirements = plan["system-security-plan"]["control-implementation"]["implemented-requirements"]
    (a820,) = [item for item in requirements if item["control-id"] == "iso27001-2022_A.8.20"]
    assert a820["responsible-roles"][0]["role-id"] == "control-owner"
    assert {"name": "status", "ns": "https://controltrace.invalid/ns/oscal", "value": "implemented"} in a820["props"]
