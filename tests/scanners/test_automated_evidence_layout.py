"""A scan's automated evidence as an auditor receives it: each check's results stored once, each control's report
naming them by SHA-256, and every way out (the evidence page, the API, the audit package) re-hashing them first."""

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from compliance.models import Control
from evidence.models import Evidence, EvidencePart
from scanners import engine
from scanners.models import ScanRun
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db
OPEN_SSH = "fake_sg_no_open_ssh"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def scan(account) -> ScanRun:
    return engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk)


def report_of(run: ScanRun, key: str) -> tuple[Evidence, dict]:
    framework, ref = key.split(":")
    control = Control.objects.get(framework__slug=framework, ref=ref)
    item = control.evidence.get(produced_by=f"scan {run.pk} of {run.account.name}")
    return item, json.loads(item.file.read())


def results_named(report: dict, check_id: str) -> dict:
    [check] = [check for check in report["checks"] if check["check"] == check_id]
    return check["results"]


def test_a_controls_report_names_the_results_it_depends_on_and_they_are_stored_once(
    fake_cloud, cloud_account, catalogs, client, auditor
):
    fake_cloud.seed_default()
    run = scan(cloud_account)

    item, report = report_of(run, "iso27001-2022:A.8.20")
    named = results_named(report, OPEN_SSH)
    part = item.parts.get()
    assert (named["sha256"], named["part"], named["size"]) == (part.sha256, part.pk, part.size)
    client.force_login(auditor)
    response = client.get(named["download"])
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and hashlib.sha256(content).hexdigest() == named["sha256"]
    results = json.loads(content)
    assert results["check"] == OPEN_SSH and results["summary"] == {"fail": 1, "pass": 1}
    assert {(r["resource"], r["status"]) for r in results["results"]} == {("sg-open", "fail"), ("sg-closed", "pass")}
    assert b"\n" not in content and b", " not in content  # compact JSON
    # SOC 2 CC6.6 and 2013 A.13.1.1 (equal to A.8.20) depend on the same check: the same file, stored once.
    for key in ("soc2-2017:CC6.6", "iso27001-2013:A.13.1.1"):
        assert results_named(report_of(run, key)[1], OPEN_SSH)["part"] == part.pk
    assert EvidencePart.objects.filter(sha256=part.sha256).count() == 1

    parts = EvidencePart.objects.count()
    again = scan(cloud_account)  # nothing changed in the account: the same results, no new file
    assert EvidencePart.objects.count() == parts
    assert results_named(report_of(again, "iso27001-2022:A.8.20")[1], OPEN_SSH)["part"] == part.pk


def test_a_changed_results_file_is_refused_on_every_download_path(fake_cloud, cloud_account, catalogs, client, auditor):
    fake_cloud.seed_default()
    run = scan(cloud_account)
    part = report_of(run, "iso27001-2022:A.8.20")[0].parts.get()
    Path(part.file.path).write_bytes(b'{"results":[]}')  # someone edits the stored file behind ControlTrace's back

    client.force_login(auditor)
    page = client.get(part.get_absolute_url())
    assert page.status_code == 409 and "no longer matches its recorded SHA-256" in page.content.decode()
    api = token_client(auditor).get(part.api_download_url)
    assert api.status_code == 409 and api.json()["sha256_recorded"] == part.sha256
    archive = export_package(Path(part.file.path).parent.parent)
    manifest = json.loads(archive.read("manifest.json"))
    [failure] = [f for f in manifest["integrity_failures"] if f.get("evidence_part_id") == part.pk]
    assert failure["problem"] == "hash mismatch" and failure["sha256_recorded"] == part.sha256
    assert not any(name.startswith(f"parts/{part.pk}-") for name in archive.namelist())

    # The next scan never names the damaged copy: it stores the same results afresh, which verify.
    later = scan(cloud_account)
    fresh = results_named(report_of(later, "iso27001-2022:A.8.20")[1], OPEN_SSH)
    assert fresh["sha256"] == part.sha256 and fresh["part"] != part.pk
    assert client.get(fresh["download"]).status_code == 200


def export_package(folder: Path) -> zipfile.ZipFile:
    out = folder / "package.zip"
    call_command("export_audit_package", "--out", str(out))
    return zipfile.ZipFile(out)


def test_the_audit_package_holds_each_shared_results_file_once_and_its_manifest_covers_it(
    fake_cloud, cloud_account, catalogs, tmp_path
):
    fake_cloud.seed_default()
    run = scan(cloud_account)

    archive = export_package(tmp_path)

    manifest = json.loads(archive.read("manifest.json"))
    hashes = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    packaged = [name for name in archive.namelist() if name.startswith("parts/")]
    stored = EvidencePart.objects.all()
    assert len(packaged) == stored.count() == len(manifest["parts"])  # each once, however many reports name it
    for name in packaged:
        assert hashlib.sha256(archive.read(name)).hexdigest() == hashes[name]
    by_hash = {entry["sha256_recorded"]: entry["path"] for entry in manifest["parts"]}
    assert set(by_hash) == {part.sha256 for part in stored}
    # Every report in every control folder finds the files it names, by the hash it recorded.
    reports = Evidence.objects.filter(produced_by=f"scan {run.pk} of prod")
    for item in reports:
        [path] = [name for name in archive.namelist() if name.endswith(f"{item.pk}-{Path(item.file.name).name}")]
        for check in json.loads(archive.read(path))["checks"]:
            assert hashes[by_hash[check["results"]["sha256"]]] == check["results"]["sha256"]
    sums = dict(reversed(line.split("  ", 1)) for line in archive.read("MANIFEST.sha256").decode().splitlines())
    assert all(sums[name] == hashes[name] for name in packaged)
