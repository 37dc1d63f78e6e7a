"""Evidence integrity on every path: every download (page, API, audit package) is re-hashed before it is
sent and never served from a media URL; a correction stays within its controls and its kind of author;
no item is valid beyond the cap, and none covers days before it was recorded."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone

from compliance.models import Control
from evidence.models import AuditPackage, Evidence
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def ctrl(ref: str, framework: str = "iso27001-2022") -> Control:
    return Control.objects.select_related("framework").get(framework__slug=framework, ref=ref)


def upload(engineer, controls, content=b'{"rules": ["443/tcp"]}', **kwargs) -> Evidence:
    return evidence_add(
        controls=controls,
        title=kwargs.pop("title", "SG export"),
        actor=engineer,
        upload=SimpleUploadedFile("sg-export.json", content, content_type="application/json"),
        **kwargs,
    )


def scan_report(control, **kwargs) -> Evidence:
    return evidence_add(
        controls=[control],
        title="Automated checks of A.8.20 (scan 3)",
        kind="automated",
        upload=SimpleUploadedFile("scan-3.json", b'{"checks": []}', content_type="application/json"),
        produced_by="scan 3 of demo-aws",
        **kwargs,
    )


def tamper(item) -> None:
    with open(item.file.path, "wb") as stored:
        stored.write(b'{"rules": ["0.0.0.0/0"]}')


# --- Downloads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/json", "application/octet-stream", "*/*"])
def test_the_api_refuses_a_changed_file_with_409_and_never_sends_its_bytes(client, auditor, engineer, control, accept):
    item = upload(engineer, [control])
    tamper(item)
    client.force_login(auditor)

    response = client.get(f"/api/evidence/{item.pk}/download/", HTTP_ACCEPT=accept)

    assert response.status_code == 409
    assert b"0.0.0.0/0" not in response.content
    body = response.json()
    assert "no longer matches its recorded SHA-256" in body["detail"] and body["sha256_recorded"] == item.sha256


@pytest.mark.parametrize("url", ["/api/evidence/{pk}/download/", "/evidence/{pk}/download/"])
def test_a_missing_stored_file_is_410_gone_on_the_api_and_the_page(client, auditor, engineer, control, url):
    item = upload(engineer, [control])
    item.file.storage.delete(item.file.name)
    client.force_login(auditor)

    response = client.get(url.format(pk=item.pk))

    assert response.status_code == 410
    assert b"is missing" in response.content


def test_the_api_sends_an_intact_file_with_the_page_headers(client, auditor, engineer, control):
    item = upload(engineer, [control])
    client.force_login(auditor)
    response = client.get(f"/api/evidence/{item.pk}/download/", HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == item.sha256
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def built_package(client, user, django_capture_on_commit_callbacks) -> AuditPackage:
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/audit/packages/", {})
    return AuditPackage.objects.get()


def test_a_changed_audit_package_is_refused_with_409(
    client, auditor, engineer, control, eager_tasks, django_capture_on_commit_callbacks
):
    upload(engineer, [control])
    package = built_package(client, auditor, django_capture_on_commit_callbacks)
    with open(package.file.path, "ab") as stored:
        stored.write(b"appended after the build")

    response = client.get(f"/audit/packages/{package.pk}/download/")

    assert response.status_code == 409
    assert "no longer matches the SHA-256 recorded when it was built" in response.content.decode()
    assert package.sha256 in response.content.decode()
    assert b"appended after the build" not in response.content


def test_an_intact_audit_package_downloads_and_matches_its_recorded_hash(
    client, auditor, catalogs, eager_tasks, django_capture_on_commit_callbacks
):
    package = built_package(client, auditor, django_capture_on_commit_callbacks)
    response = client.get(f"/audit/packages/{package.pk}/download/")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == package.sha256


def test_no_stored_file_is_linked_or_served_by_a_media_url(client, auditor, engineer, control):
    item = upload(engineer, [control])
    client.force_login(auditor)

    page = client.get(control.get_absolute_url()).content.decode()
    listing = client.get("/api/evidence/").content.decode()
    detail = client.get(f"/api/evidence/{item.pk}/").json()

    assert "/media/" not in page and f'href="/evidence/{item.pk}/download/"' in page
    assert "/media/" not in listing
    assert detail["download_url"] == f"/api/evidence/{item.pk}/download/"
    with pytest.raises(Resolver404):
        resolve(f"/media/{item.file.name}")
    assert client.get(f"/media/{item.file.name}").status_code == 404


# --- Superseding -------------------------------------------------------------------------------------


def test_an_engineer_cannot_supersede_another_controls_evidence_through_the_api(client, engineer, ciso, catalogs):
    policy = evidence_add(controls=[ctrl("A.5.1")], title="Policy review", actor=ciso, url="https://wiki/policy")
    client.force_login(engineer)

    response = client.post(
        "/api/evidence/",
        {
            "control": "iso27001-2022:A.8.20",
            "title": "Not a policy",
            "url": "https://x.example",
            "supersedes": policy.pk,
        },
    )

    assert response.status_code == 400
    assert "must support every control of the item it replaces" in response.json()["supersedes"][0]
    assert "iso27001-2022:A.5.1" in response.json()["supersedes"][0]
    assert not Evidence.objects.filter(pk=policy.pk, superseded_by__isnull=False).exists()
    assert Evidence.objects.count() == 1


def test_a_correction_may_support_more_controls_than_the_item_it_replaces(client, engineer, catalogs):
    old = evidence_add(controls=[ctrl("A.8.20")], title="Firewall", actor=engineer, url="https://wiki/fw1")
    client.force_login(engineer)

    response = client.post(
        "/api/evidence/",
        {
            "control": ["iso27001-2022:A.8.20", "iso27001-2022:A.8.22"],
            "title": "Firewall and segmentation",
            "url": "https://wiki.example/fw2",
            "supersedes": old.pk,
        },
    )

    assert response.status_code == 201, response.json()
    assert Evidence.objects.get(pk=old.pk).superseded_by.pk == response.json()["id"]


def test_a_person_cannot_supersede_automated_evidence_on_the_api_or_the_page(client, engineer, control):
    automated = scan_report(control)
    client.force_login(engineer)

    api = client.post(
        "/api/evidence/",
        {"control": "iso27001-2022:A.8.20", "title": "Mine", "url": "https://x.example", "supersedes": automated.pk},
    )
    form = client.get(f"{control.get_absolute_url()}evidence/add/", **HTMX).content.decode()
    page = client.post(
        f"{control.get_absolute_url()}evidence/add/",
        {"kind": "link", "url": "https://x.example", "supersedes": automated.pk},
        **HTMX,
    )

    assert api.status_code == 400
    assert api.json()["supersedes"] == [
        "Automated evidence is replaced only by the scanner's next report, never by a person."
    ]
    assert f'value="{automated.pk}"' not in form  # not offered
    assert page.context_data["form"].errors["supersedes"]
    assert Evidence.objects.count() == 1


def test_automated_evidence_replaces_automated_evidence_but_never_a_persons(engineer, control):
    previous = scan_report(control)
    assert scan_report(control, supersedes=previous).supersedes == previous
    person = evidence_add(controls=[control], title="Review", actor=engineer, url="https://wiki/review")
    with pytest.raises(ValidationError, match="never replaced by automated evidence"):
        scan_report(control, supersedes=person)


# --- Dates -------------------------------------------------------------------------------------------


def test_validity_beyond_the_cap_is_refused_on_the_page_and_the_api_with_the_same_message(
    client, engineer, control, settings
):
    settings.EVIDENCE_MAX_VALIDITY_DAYS = 400
    client.force_login(engineer)
    too_late = timezone.localdate() + timedelta(days=401)

    page = client.post(
        f"{control.get_absolute_url()}evidence/add/",
        {"kind": "note", "description": "Reviewed", "valid_until": too_late.isoformat()},
        **HTMX,
    )
    api = client.post(
        "/api/evidence/",
        {
            "control": "iso27001-2022:A.8.20",
            "title": "Review",
            "description": "Reviewed",
            "valid_until": "2099-01-01T00:00:00Z",
        },
    )

    last_day = (timezone.localdate() + timedelta(days=399)).isoformat()
    message = f"Evidence can be valid for at most 400 days from when it is recorded: until {last_day} at the latest."
    assert page.context_data["form"].errors["valid_until"] == [message]
    assert message in page.content.decode()
    assert api.status_code == 400 and api.json() == {"valid_until": [message]}
    assert not Evidence.objects.exists()


def test_the_cap_holds_for_automated_evidence_too(control, settings):
    settings.EVIDENCE_MAX_VALIDITY_DAYS = 30
    with pytest.raises(ValidationError, match="at most 30 days"):
        scan_report(control, valid_until=timezone.now() + timedelta(days=31))
    assert scan_report(control, valid_until=timezone.now() + timedelta(days=29)).pk


def test_evidence_collected_in_the_future_is_refused_but_an_old_document_is_kept(client, engineer, control):
    client.force_login(engineer)
    future = client.post(
        "/api/evidence/",
        {
            "control": "iso27001-2022:A.8.20",
            "title": "Tomorrow",
            "description": "x",
            "collected_at": "2999-01-01T00:00:00Z",
        },
    )
    old = client.post(
        "/api/evidence/",
        {
            "control": "iso27001-2022:A.8.20",
            "title": "2019 pen test",
            "description": "x",
            "collected_at": "2019-01-01T00:00:00Z",
        },
    )
    assert future.status_code == 400 and future.json() == {
        "collected_at": ["Evidence cannot be collected in the future."]
    }
    assert old.status_code == 201 and old.json()["collected_at"].startswith("2019-01-01")


def test_a_backdated_item_does_not_cover_days_before_it_was_recorded(client, engineer, auditor, control):
    client.force_login(engineer)
    backdated = client.post(
        "/api/evidence/",
        {
            "control": "iso27001-2022:A.8.20",
            "title": "Backdated review",
            "description": "x",
            "collected_at": "2019-01-01T00:00:00Z",
            "valid_until": (timezone.now() + timedelta(days=300)).isoformat(),
        },
    )
    assert backdated.status_code == 201, backdated.json()
    client.force_login(auditor)

    response = client.get(
        f"/audit/controls/{control.framework.slug}/{control.ref}/evidence/",
        {"start": "2024-01-01", "end": "2024-12-31"},
    )

    page = response.content.decode()
    assert response.context["items"] == []
    assert "in force on every one of" not in page
    assert "No evidence was in force for 366.0 of 366 days" in page


def test_the_admin_links_the_verified_download_not_the_media_file(client, auditor, engineer, control):
    item = upload(engineer, [control])
    client.force_login(auditor)
    page = client.get(f"/admin/evidence/evidence/{item.pk}/change/").content.decode()
    assert "/media/" not in page and f'href="/evidence/{item.pk}/download/"' in page


def test_the_package_index_shows_when_each_item_was_collected_and_recorded(tmp_path, engineer, control):
    old_report = {
        "collected_at": timezone.now() - timedelta(days=700),
        "valid_until": timezone.now() + timedelta(days=30),
    }
    item = upload(engineer, [control], **old_report)
    out = tmp_path / "package.zip"
    call_command("export_audit_package", "--out", str(out))

    folder = f"controls/{control.framework.slug}/{control.ref}"
    rows = list(csv.DictReader(io.StringIO(zipfile.ZipFile(out).read(f"{folder}/index.csv").decode())))

    assert rows[0]["collected_at"] == item.collected_at.isoformat()
    assert rows[0]["recorded_at"] == item.created_at.isoformat()
