"""OSCAL out: every document ControlTrace writes is valid against NIST's official OSCAL 1.1.3 JSON schemas, and
says what the register and the latest scans say."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from compliance.models import Control, ControlStatus, Document, DocumentLink, Framework
from evidence.models import Evidence
from scanners.models import CheckStatus
from tests.oscal.schemas import schema_errors

pytestmark = pytest.mark.django_db

FRAMEWORKS = ("iso27001-2022", "iso27001-2013", "soc2-2017")


def export(*args: str, capsys) -> dict:
    call_command("export_oscal", *args)
    return json.loads(capsys.readouterr().out)


def every_document(capsys) -> dict[str, dict]:
    documents = {}
    for slug in FRAMEWORKS:
        for model in ("catalog", "profile", "ssp", "assessment-results"):
            documents[f"{model}-{slug}"] = export("--model", model, "--framework", slug, capsys=capsys)
    for model in ("profile", "ssp", "assessment-results"):
        documents[model] = export("--model", model, capsys=capsys)
    return documents


def implemented_requirement(ssp: dict, control_id: str) -> dict:
    requirements = ssp["system-security-plan"]["control-implementation"]["implemented-requirements"]
    (found,) = [item for item in requirements if item["control-id"] == control_id]
    return found


def props(item: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for prop in item.get("props", []):
        found.setdefault(prop["name"], []).append(prop["value"])
    return found


@pytest.mark.integration
def test_every_document_is_valid_against_the_official_oscal_schemas(scanned, engineer, capsys):
    a820 = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    a820.owner, a820.status, a820.notes = engineer, ControlStatus.IN_PROGRESS, "Two VPCs left.\n\nSee the runbook."
    a820.save()
    policy = Document.objects.create(title="Network policy", url="https://wiki.example/network", version="3")
    DocumentLink.objects.create(document=policy, control=a820)

    documents = every_document(capsys)

    assert len(documents) == 15
    for name, document in documents.items():
        assert schema_errors(document) == [], name
        (root,) = document
        assert document[root]["metadata"]["oscal-version"] == "1.1.3", name


def test_the_schema_check_finds_a_broken_document(catalogs, capsys):
    """The validation above can fail: a document missing what OSCAL requires, or with a bad id, is refused."""
    catalog = export("--model", "catalog", "--framework", "soc2-2017", capsys=capsys)
    assert schema_errors(catalog) == []
    del catalog["catalog"]["metadata"]["version"]
    catalog["catalog"]["groups"][0]["controls"][0]["id"] = "1 not a token"
    errors = schema_errors(catalog)
    assert any("'version' is a required property" in error for error in errors)
    assert any(error.startswith("catalog/groups/0/controls/0/id") for error in errors)


def test_a_catalog_holds_every_control_with_our_summary_grouped_by_theme(catalogs, capsys):
    catalog = export("--model", "catalog", "--framework", "iso27001-2022", capsys=capsys)["catalog"]

    controls = {control["id"]: control for group in catalog["groups"] for control in group["controls"]}
    assert len(controls) == Control.objects.filter(framework__slug="iso27001-2022").count()
    a820 = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    exported = controls["iso27001-2022_A.8.20"]
    assert exported["title"] == a820.title and props(exported)["label"] == ["A.8.20"]
    assert exported["parts"] == [
        {"id": "iso27001-2022_A.8.20_ovw", "name": "overview", "title": "Summary", "prose": a820.summary}
    ]
    assert set(props(exported)["control_type"]) == set(a820.attributes["control_type"])
    assert {group["title"] for group in catalog["groups"]} == set(
        Control.objects.filter(framework__slug="iso27001-2022").values_list("group", flat=True)
    )
    assert "not the standard's text" in catalog["metadata"]["remarks"]


def test_profiles_select_every_control_of_their_catalogs_and_the_baseline_imports_all_three(catalogs, capsys):
    profile = export("--model", "profile", "--framework", "soc2-2017", capsys=capsys)["profile"]
    assert profile["imports"] == [{"href": "catalog-soc2-2017.json", "include-all": {}}]

    baseline = export("--model", "profile", capsys=capsys)["profile"]
    assert [item["href"] for item in baseline["imports"]] == [f"catalog-{slug}.json" for slug in FRAMEWORKS]


def test_the_ssp_carries_each_controls_status_owner_statement_of_applicability_and_documents(
    catalogs, engineer, capsys
):
    a820 = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    a820.owner, a820.status, a820.next_review = engineer, ControlStatus.IMPLEMENTED, date(2027, 3, 1)
    a820.save()
    a714 = Control.objects.get(framework__slug="iso27001-2022", ref="A.7.14")
    a714.applicable, a714.status = False, ControlStatus.NOT_APPLICABLE
    a714.justification = "We own no equipment: every server is a cloud provider's."
    a714.save()
    policy = Document.objects.create(title="Network security policy", url="https://wiki.example/net", version="3")
    runbook = Document.objects.create(title="Firewall runbook", kind="runbook", url="https://wiki.example/fw")
    for document in (policy, runbook):
        DocumentLink.objects.create(document=document, control=a820)

    plan = export("--model", "ssp", "--framework", "iso27001-2022", capsys=capsys)["system-security-plan"]

    assert plan["import-profile"] == {"href": "profile-iso27001-2022.json"}
    requirements = plan["control-implementation"]["implemented-requirements"]
    assert len(requirements) == Control.objects.filter(framework__slug="iso27001-2022").count()
    exported = implemented_requirement({"system-security-plan": plan}, "iso27001-2022_A.8.20")
    assert props(exported)["status"] == ["implemented"] and props(exported)["applicable"] == ["yes"]
    assert props(exported)["next-review"] == ["2027-03-01"]
    # The owner is a person party holding the control-owner role.
    (owner_role,) = exported["responsible-roles"]
    assert owner_role["role-id"] == "control-owner"
    parties = {party["uuid"]: party for party in plan["metadata"]["parties"]}
    assert parties[owner_role["party-uuids"][0]]["name"] == "engineer"
    # Each linked document is a back-matter resource the requirement links to.
    resources = {resource["uuid"]: resource for resource in plan["back-matter"]["resources"]}
    linked = {resources[link["href"][1:]]["title"]: resources[link["href"][1:]] for link in exported["links"][1:]}
    assert set(linked) == {"Network security policy", "Firewall runbook"}
    assert linked["Network security policy"]["rlinks"] == [{"href": "https://wiki.example/net"}]
    soa = exported["by-components"][0]
    assert soa["implementation-status"]["state"] == "implemented"
    assert soa["description"].startswith("Included in the Statement of Applicability")
    # An excluded control says so, with its justification.
    excluded = implemented_requirement({"system-security-plan": plan}, "iso27001-2022_A.7.14")
    assert props(excluded)["applicable"] == ["no"]
    assert excluded["by-components"][0]["implementation-status"] == {
        "state": "not-applicable",
        "remarks": "We own no equipment: every server is a cloud provider's.",
    }
    assert "Excluded from the Statement of Applicability" in excluded["by-components"][0]["description"]


@pytest.mark.integration
def test_a_failing_checks_finding_appears_with_its_observation_and_the_evidence_hash(scanned, capsys):
    failing = CheckStatus.objects.get(check_id="s3_bucket_versioning_enabled", resource__uid__contains="acme-records")
    assert failing.status == "fail"

    results = export("--model", "assessment-results", capsys=capsys)["assessment-results"]

    (result,) = results["results"]
    assert result["props"][0]["value"] == "prod"
    observations = {item["uuid"]: item for item in result["observations"]}
    (observed,) = [
        item
        for item in observations.values()
        if props(item)["check"] == ["s3_bucket_versioning_enabled"] and "acme-records" in item["title"]
    ]
    assert props(observed)["result"] == ["fail"] and observed["description"].startswith("Fail: versioning is")
    items = {item["uuid"]: item for item in result["local-definitions"]["inventory-items"]}
    assert "acme-records" in items[observed["subjects"][0]["subject-uuid"]]["description"]
    # A.8.13 (backups) is not satisfied in this account, and the finding names the failing observation.
    findings = {item["target"]["target-id"]: item for item in result["findings"]}
    backup = findings["iso27001-2022_A.8.13"]
    assert backup["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    assert observed["uuid"] in {item["observation-uuid"] for item in backup["related-observations"]}
    # The evidence the scan recorded for A.8.13: a back-matter resource with its download link and SHA-256.
    report = Evidence.objects.get(
        produced_by=str(scanned), controls__framework__slug="iso27001-2022", controls__ref="A.8.13"
    )
    resources = {item["uuid"]: item for item in results["back-matter"]["resources"]}
    linked = [resources[evidence["href"][1:]] for evidence in observed["relevant-evidence"]]
    (rlink,) = [resource["rlinks"][0] for resource in linked if resource["title"] == report.title]
    assert rlink["hashes"] == [{"algorithm": "SHA-256", "value": report.sha256}]
    assert rlink["href"] == f"/evidence/{report.pk}/download/"
    assert results["import-ap"]["href"][1:] in resources


def test_assessment_results_before_any_scan_say_there_are_none(catalogs, capsys):
    results = export("--model", "assessment-results", capsys=capsys)
    assert schema_errors(results) == []
    (result,) = results["assessment-results"]["results"]
    assert result["title"] == "No scan results yet" and "findings" not in result


def test_the_command_writes_a_file_and_refuses_what_it_cannot_export(catalogs, tmp_path, capsys, settings):
    settings.OSCAL_BASE_URL = "https://grc.example.com"
    out = tmp_path / "ssp.json"
    call_command("export_oscal", "--model", "ssp", "--out", str(out))
    plan = json.loads(out.read_text())["system-security-plan"]
    control_link = plan["control-implementation"]["implemented-requirements"][0]["links"][0]["href"]
    assert control_link.startswith("https://grc.example.com/controls/")
    with pytest.raises(CommandError, match="No framework 'iso9001'"):
        call_command("export_oscal", "--model", "ssp", "--framework", "iso9001")
    with pytest.raises(CommandError, match="catalog is one framework's"):
        call_command("export_oscal", "--model", "catalog")
    assert Framework.objects.count() == 3
