"""The audit package: its contents, a manifest that re-verifies against the zip, integrity failures
reported rather than packaged, and the task, progress and download access around it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import Control
from evidence import package as package_module
from evidence.models import AuditPackage, PackageState
from evidence.services import evidence_add
from evidence.tasks import build_audit_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def ctrl(ref: str, framework: str = "iso27001-2022") -> Control:
    return Control.objects.get(framework__slug=framework, ref=ref)


def upload(engineer, controls, name: str, content: bytes, **kwargs):
    return evidence_add(
        controls=controls,
        title=kwargs.pop("title", name),
        actor=engineer,
        upload=SimpleUploadedFile(name, content, content_type="text/plain"),
        **kwargs,
    )


def verify(archive: zipfile.ZipFile) -> dict:
    """What an auditor does on receipt: every listed file is present with its hash, and nothing else."""
    manifest = json.loads(archive.read("manifest.json"))
    names = set(archive.namelist())
    listed = {f["path"] for f in manifest["files"]}
    assert names == listed | {"manifest.json", "MANIFEST.sha256"}
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
        assert len(content) == entry["size"]
    sums = {}
    for line in archive.read("MANIFEST.sha256").decode().splitlines():
        digest, path = line.split("  ", 1)  # sha256sum's format: hash, two spaces, path
        sums[path] = digest
    assert set(sums) == listed | {"manifest.json"}
    for path, digest in sums.items():
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest, path
    return manifest


def export(tmp_path: Path, *args: str) -> zipfile.ZipFile:
    out = tmp_path / "package.zip"
    call_command("export_audit_package", "--out", str(out), *args)
    return zipfile.ZipFile(out)


def index(archive: zipfile.ZipFile, folder: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(f"{folder}/index.csv").decode())))


def test_the_package_holds_the_soa_each_controls_evidence_and_a_manifest_that_verifies(tmp_path, engineer, catalogs):
    upload(engineer, [ctrl("A.8.20"), ctrl("CC6.6", "soc2-2017")], "sg-export.txt", b"port 443 only")
    evidence_add(controls=[ctrl("A.8.20")], title="Firewall runbook", actor=engineer, url="https://wiki/fw")
    evidence_add(controls=[ctrl("A.5.1")], title="Board minutes", actor=engineer, description="Policy approved")

    archive = export(tmp_path)

    manifest = verify(archive)
    assert manifest["format"] == "controltrace-audit-package/1" and manifest["integrity_failures"] == []
    soa = list(csv.reader(io.StringIO(archive.read("statement-of-applicability.csv").decode())))
    assert len(soa) == 1 + Control.objects.count()
    folders = {name.rsplit("/", 1)[0] for name in archive.namelist() if name.startswith("controls/")}
    assert folders == {"controls/iso27001-2022/A.8.20", "controls/soc2-2017/CC6.6", "controls/iso27001-2022/A.5.1"}
    a820 = {row["title"]: row for row in index(archive, "controls/iso27001-2022/A.8.20")}
    assert a820["sg-export.txt"]["integrity"] == "verified"
    assert archive.read(f"controls/iso27001-2022/A.8.20/{a820['sg-export.txt']['file_in_package']}") == b"port 443 only"
    shortcut = archive.read(f"controls/iso27001-2022/A.8.20/{a820['Firewall runbook']['file_in_package']}")
    assert shortcut == b"[InternetShortcut]\r\nURL=https://wiki/fw\r\n"
    (note,) = index(archive, "controls/iso27001-2022/A.5.1")
    assert note["file_in_package"].endswith(".txt")
    assert b"Policy approved" in archive.read(f"controls/iso27001-2022/A.5.1/{note['file_in_package']}")


def test_a_changed_stored_file_is_reported_in_the_manifest_not_packaged(tmp_path, engineer, control, capsys):
    intact = upload(engineer, [control], "a.txt", b"intact")
    changed = upload(engineer, [control], "b.txt", b"as collected")
    Path(changed.file.path).write_bytes(b"edited later")

    archive = export(tmp_path)

    manifest = verify(archive)
    (failure,) = manifest["integrity_failures"]
    assert failure["evidence_id"] == changed.pk and failure["problem"] == "hash mismatch"
    assert failure["sha256_recorded"] == changed.sha256
    assert failure["sha256_found"] == hashlib.sha256(b"edited later").hexdigest()
    folder = f"controls/{control.framework.slug}/{control.ref}"
    assert not any(b"edited later" == archive.read(name) for name in archive.namelist())
    rows = {int(row["evidence_id"]): row for row in index(archive, folder)}
    assert rows[changed.pk]["integrity"] == "MISMATCH: not included" and rows[changed.pk]["file_in_package"] == ""
    assert rows[intact.pk]["integrity"] == "verified"
    assert "hash mismatch; left out of the package" in capsys.readouterr().err


def test_a_package_for_one_framework_and_an_audit_period(tmp_path, engineer, catalogs):
    def at(day: date) -> datetime:
        return timezone.make_aware(datetime(day.year, day.month, day.day))

    evidence_add(
        controls=[ctrl("A.8.20")],
        title="In the period",
        actor=engineer,
        url="https://wiki/in",
        collected_at=at(date(2026, 3, 1)),
    )
    evidence_add(
        controls=[ctrl("A.8.21")],
        title="Expired before",
        actor=engineer,
        url="https://wiki/before",
        collected_at=at(date(2025, 1, 1)),
        valid_until=at(date(2025, 6, 1)),
    )
    evidence_add(controls=[ctrl("CC6.6", "soc2-2017")], title="SOC", actor=engineer, url="https://wiki/soc")

    archive = export(tmp_path, "--framework", "iso27001-2022", "--start", "2026-01-01", "--end", "2026-12-31")

    manifest = verify(archive)
    assert manifest["framework"] == "iso27001-2022"
    assert manifest["period"] == {"start": "2026-01-01", "end": "2026-12-31"}
    assert {n.rsplit("/", 1)[0] for n in archive.namelist() if n.startswith("controls/")} == {
        "controls/iso27001-2022/A.8.20"
    }
    soa = list(csv.reader(io.StringIO(archive.read("statement-of-applicability.csv").decode())))
    assert len(soa) == 1 + Control.objects.filter(framework__slug="iso27001-2022").count()


def test_the_command_refuses_unknown_frameworks_and_bad_dates(tmp_path, catalogs):
    with pytest.raises(CommandError, match="No framework 'iso9001'"):
        call_command("export_audit_package", "--out", str(tmp_path / "p.zip"), "--framework", "iso9001")
    with pytest.raises(CommandError, match="must not be after"):
        call_command(
            "export_audit_package", "--out", str(tmp_path / "p.zip"), "--start", "2026-02-01", "--end", "2026-01-01"
        )
    assert not list(tmp_path.iterdir())


def test_an_auditor_requests_a_package_and_downloads_it_when_built(
    client, auditor, engineer, control, eager_tasks, django_capture_on_commit_callbacks
):
    upload(engineer, [control], "export.txt", b"evidence")
    client.force_login(auditor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/audit/packages/", {"framework": "iso27001-2022"}, headers={"HX-Request": "true"})

    assert response.status_code == 201
    assert 'hx-trigger="every 1s"' in response.content.decode()  # the progress bar polls until it is built
    package = AuditPackage.objects.get()
    assert package.requested_by == auditor and package.state == PackageState.SUCCEEDED
    assert package.progress_done == package.progress_total == 2  # the SoA and one evidence item
    polled = client.get(f"/audit/packages/{package.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert f'href="/audit/packages/{package.pk}/download/"' in polled and "every 1s" not in polled
    download = client.get(f"/audit/packages/{package.pk}/download/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == package.sha256
    verify(zipfile.ZipFile(io.BytesIO(body)))


def test_packages_are_downloaded_by_the_requester_the_ciso_and_auditors_only(
    client, ciso, auditor, engineer, other_engineer, control, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(engineer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/audit/packages/", {})
    package = AuditPackage.objects.get()
    for user, status in ((engineer, 200), (ciso, 200), (auditor, 200), (other_engineer, 404)):
        client.force_login(user)
        assert client.get(f"/audit/packages/{package.pk}/download/").status_code == status, user


def test_a_package_being_built_polls_for_its_progress(client, auditor):
    package = AuditPackage.objects.create(
        requested_by=auditor, state=PackageState.RUNNING, progress_done=3, progress_total=12
    )
    client.force_login(auditor)

    response = client.get(f"/audit/packages/{package.pk}/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and '<progress max="100" value="25"' in html
    assert "<html" not in html
    AuditPackage.objects.filter(pk=package.pk).update(state=PackageState.FAILED, error="disk full")
    html = client.get(f"/audit/packages/{package.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in html and "disk full" in html


def test_a_failed_build_is_recorded_and_a_second_delivery_does_nothing(auditor, catalogs, monkeypatch):
    package = AuditPackage.objects.create(requested_by=auditor)

    def broken(**kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(package_module, "package_write", broken)
    assert build_audit_package.apply(args=[package.pk]).get() == PackageState.FAILED
    package.refresh_from_db()
    assert package.error == "OSError: No space left on device" and package.finished_at is not None
    assert build_audit_package.apply(args=[package.pk]).get() == "already claimed"


def test_an_invalid_request_shows_the_form_again(client, auditor, catalogs):
    client.force_login(auditor)
    response = client.post("/audit/packages/", {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 400 and b"The period must start before it ends." in response.content
    assert not AuditPackage.objects.exists()


def test_the_audit_page_lists_packages_in_a_constant_number_of_queries(client, auditor, ciso, catalogs):
    client.force_login(auditor)

    def audit_home_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audit/").status_code == 200
        return len(captured)

    AuditPackage.objects.create(requested_by=ciso, state=PackageState.SUCCEEDED)
    one = audit_home_queries()
    for _ in range(9):
        AuditPackage.objects.create(requested_by=auditor, framework=control_framework(), period_end=date.today())
    assert audit_home_queries() == one


def control_framework():
    return Control.objects.select_related("framework").first().framework


def test_progress_is_recorded_while_the_package_is_built(auditor, engineer, catalogs, monkeypatch):
    for index in range(5):
        evidence_add(controls=[ctrl("A.8.20")], title=f"E{index}", actor=engineer, url=f"https://wiki/{index}")
    package = AuditPackage.objects.create(requested_by=auditor)
    seen = []
    original = package_module.ThrottledProgress.__call__

    def spy(self, done, total):
        original(self, done, total)
        seen.append(AuditPackage.objects.values_list("progress_done", "progress_total").get(pk=package.pk))

    monkeypatch.setattr(package_module.ThrottledProgress, "__call__", spy)
    monkeypatch.setattr(package_module, "PROGRESS_INTERVAL", 0.0)  # record every step
    build_audit_package.apply(args=[package.pk])

    assert seen[0] == (2, 6) and seen[-1] == (6, 6)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_package_request_records_its_audit_period(
    client, auditor, catalogs, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/audit/packages/", {"end": (timezone.localdate() - timedelta(days=1)).isoformat()})
    package = AuditPackage.objects.get()
    assert package.state == PackageState.SUCCEEDED and package.file.name.endswith(".zip")
    assert package.period_end == timezone.localdate() - timedelta(days=1)


def test_a_package_whose_file_was_removed_says_so(
    client, auditor, catalogs, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/audit/packages/", {})
    package = AuditPackage.objects.get()
    package.file.storage.delete(package.file.name)
    response = client.get(f"/audit/packages/{package.pk}/download/")
    assert response.status_code == 410 and b"no longer stored" in response.content
