"""OSCAL from /audit/: links on the audit page, downloads for everyone who may read the register (as /audit/ is
for them), in a constant number of queries; and the same documents inside the audit package, under its manifest."""

from __future__ import annotations

import ast
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from compliance.models import Control, Document, DocumentLink
from tests.conftest import make_member
from tests.evidence.test_package import verify
from tests.oscal.schemas import schema_errors

pytestmark = pytest.mark.django_db

FRAMEWORKS = ("iso27001-2022", "iso27001-2013", "soc2-2017")


def download(client, url: str) -> tuple[dict, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return json.loads(b"".join(response.streaming_content)), response["Content-Disposition"]


def test_an_auditor_finds_the_oscal_documents_on_the_audit_page_and_downloads_them(client, auditor, catalogs):
    client.force_login(auditor)
    page = client.get("/audit/").content.decode()
    assert 'href="/audit/oscal/ssp.json"' in page and 'href="/audit/oscal/assessment-results.json"' in page
    for slug in FRAMEWORKS:
        assert f'href="/audit/oscal/catalog-{slug}.json"' in page and f'href="/audit/oscal/profile-{slug}.json"' in page

    plan, disposition = download(client, "/audit/oscal/ssp.json")

    assert disposition == 'attachment; filename="ssp.json"'
    assert schema_errors(plan) == []
    requirement = plan["system-security-plan"]["control-implementation"]["implemented-requirements"][0]
    assert requirement["links"][0]["href"].startswith("http://testserver/controls/")
    # The SSP's relative import resolves beside it, and so does the profile's import of its catalog.
    assert plan["system-security-plan"]["import-profile"]["href"] == "profile.json"
    profile, _ = download(client, "/audit/oscal/profile.json")
    for imported in profile["profile"]["imports"]:
        catalog, disposition = download(client, f"/audit/oscal/{imported['href']}")
        assert disposition == f'attachment; filename="{imported["href"]}"'
        assert schema_errors(catalog) == []


@pytest.mark.parametrize("url", ["/audit/oscal/ssp-soc2-2017.json", "/audit/oscal/assessment-results.json"])
def test_the_ciso_and_engineers_may_download_too(client, ciso, engineer, catalogs, url):
    for person in (ciso, engineer):
        client.force_login(person)
        document, _ = download(client, url)
        assert schema_errors(document) == []


def test_who_may_not_download(client, django_user_model, auditor, catalogs):
    assert client.get("/audit/oscal/ssp.json").status_code == 302  # to the sign-in page
    expired = make_member(django_user_model, "former", Role.AUDITOR, expires_at=timezone.now() - timedelta(days=1))
    client.force_login(expired)
    assert client.get("/audit/oscal/ssp.json").status_code == 403
    client.force_login(auditor)
    assert client.post("/audit/oscal/ssp.json").status_code == 405
    assert client.get("/audit/oscal/catalog-iso9001.json").status_code == 404


def test_the_ssp_downloads_in_the_same_number_of_queries_however_many_owners_and_documents(
    client, auditor, engineer, other_engineer, catalogs
):
    client.force_login(auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            download(client, "/audit/oscal/ssp.json")
        return len(captured)

    before = queries()
    for number, control in enumerate(Control.objects.filter(framework__slug="iso27001-2022")[:20]):
        control.owner = engineer if number % 2 else other_engineer
        control.save()
        DocumentLink.objects.create(document=Document.objects.create(title=f"Policy {number}"), control=control)
    assert queries() == before


def test_the_audit_package_carries_the_oscal_documents_under_its_manifest(tmp_path, catalogs):
    out = tmp_path / "package.zip"
    call_command("export_audit_package", "--out", str(out))

    archive = zipfile.ZipFile(out)
    manifest = verify(archive)
    listed = {entry["path"] for entry in manifest["files"]}
    expected = {f"oscal/{model}-{slug}.json" for model in ("catalog", "profile") for slug in FRAMEWORKS}
    expected |= {"oscal/profile.json", "oscal/ssp.json", "oscal/assessment-results.json"}
    assert expected <= listed
    assert all(schema_errors(json.loads(archive.read(path))) == [] for path in expected)
    plan = json.loads(archive.read("oscal/ssp.json"))["system-security-plan"]
    assert f"oscal/{plan['import-profile']['href']}" in listed  # what the SSP imports travels with it


def test_a_package_of_one_framework_carries_that_frameworks_documents(tmp_path, catalogs):
    out = tmp_path / "package.zip"
    call_command("export_audit_package", "--out", str(out), "--framework", "soc2-2017")

    names = {name for name in zipfile.ZipFile(out).namelist() if name.startswith("oscal/")}
    assert names == {f"oscal/{model}-soc2-2017.json" for model in ("catalog", "profile", "ssp", "assessment-results")}


def imported_apps(app: str) -> set[str]:
    found = set()
    for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
    return found


def test_the_export_sits_above_the_apps_it_reads():
    """scanners -> evidence -> compliance stays one way: the exporter imports them, none of them the exporter."""
    assert {"compliance", "evidence", "scanners"} <= imported_apps("oscal")
    assert not {"evidence", "scanners", "oscal"} & imported_apps("compliance")
    assert not {"scanners", "oscal"} & imported_apps("evidence")
    assert "oscal" not in imported_apps("scanners")
