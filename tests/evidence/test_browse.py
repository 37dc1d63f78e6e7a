"""The evidence browser: finding evidence, reading its record, downloading only what is intact."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import Control
from evidence.models import Evidence
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def ctrl(ref: str, framework: str = "iso27001-2022") -> Control:
    return Control.objects.get(framework__slug=framework, ref=ref)


def upload(engineer, controls, name="sg-export.json", content=b'{"rules": []}', **kwargs) -> Evidence:
    return evidence_add(
        controls=controls,
        title=kwargs.pop("title", name),
        actor=engineer,
        upload=SimpleUploadedFile(name, content, content_type="application/json"),
        **kwargs,
    )


def titles(response) -> list[str]:
    return [item.title for item in response.context["page"]]


def test_the_browser_lists_newest_first_and_searches_titles_and_hashes(client, auditor, engineer, control):
    old = evidence_add(
        controls=[control],
        title="Firewall review",
        actor=engineer,
        url="https://wiki/fw",
        collected_at=timezone.now() - timedelta(days=3),
    )
    evidence_add(controls=[control], title="Backup test", actor=engineer, description="Restored the database")
    client.force_login(auditor)

    assert titles(client.get("/evidence/")) == ["Backup test", "Firewall review"]
    assert titles(client.get("/evidence/", {"q": "firewall"})) == ["Firewall review"]
    assert titles(client.get("/evidence/", {"q": "restored"})) == ["Backup test"]
    assert titles(client.get("/evidence/", {"q": old.sha256[:12].upper()})) == ["Firewall review"]


def test_filters_by_kind_control_framework_and_collection_period(client, auditor, engineer, catalogs):
    now = timezone.now()
    upload(engineer, [ctrl("A.8.20")], title="SG export", collected_at=now - timedelta(days=40))
    evidence_add(controls=[ctrl("A.5.1")], title="Policy", actor=engineer, url="https://wiki/policy")
    evidence_add(controls=[ctrl("CC6.6", "soc2-2017")], title="SOC note", actor=engineer, description="seen")
    client.force_login(auditor)

    assert titles(client.get("/evidence/", {"kind": "file"})) == ["SG export"]
    assert titles(client.get("/evidence/", {"control": "a.8.20"})) == ["SG export"]
    assert titles(client.get("/evidence/", {"framework": "soc2-2017"})) == ["SOC note"]
    assert titles(client.get("/evidence/", {"framework": "iso27001-2022", "control": "CC6.6"})) == []
    ago = (now - timedelta(days=41)).date().isoformat(), (now - timedelta(days=39)).date().isoformat()
    assert titles(client.get("/evidence/", {"collected_from": ago[0], "collected_to": ago[1]})) == ["SG export"]
    assert titles(client.get("/evidence/", {"collected_from": ago[1]})) == ["SOC note", "Policy"]


def test_filters_fresh_stale_and_superseded(client, auditor, engineer, control):
    now = timezone.now()
    stale = evidence_add(
        controls=[control],
        title="Stale",
        actor=engineer,
        url="https://wiki/a",
        collected_at=now - timedelta(days=400),
        valid_until=now - timedelta(days=1),
    )
    old = evidence_add(controls=[control], title="Old", actor=engineer, url="https://wiki/b")
    evidence_add(controls=[control], title="Correction", actor=engineer, url="https://wiki/c", supersedes=old)
    client.force_login(auditor)

    assert titles(client.get("/evidence/", {"state": "fresh"})) == ["Correction"]
    assert titles(client.get("/evidence/", {"state": "stale"})) == [stale.title]
    assert titles(client.get("/evidence/", {"state": "superseded"})) == ["Old"]


def test_an_invalid_date_shows_the_error_instead_of_everything(client, auditor, engineer, control):
    evidence_add(controls=[control], title="Policy", actor=engineer, url="https://wiki/policy")
    client.force_login(auditor)
    response = client.get("/evidence/", {"collected_from": "last tuesday"})
    assert titles(response) == []
    assert b"Enter a valid date" in response.content


def test_the_list_is_paginated_and_keeps_its_filters(client, auditor, engineer, control):
    for index in range(55):
        evidence_add(controls=[control], title=f"Item {index}", actor=engineer, description="x")
    client.force_login(auditor)

    first = client.get("/evidence/", {"kind": "note"})
    with CaptureQueriesContext(connection) as deep:  # the second page costs what the first does
        second = client.get("/evidence/", {"kind": "note", "cursor": first.context["page"].next_cursor})
    assert len(deep) == queries(client, "/evidence/?kind=note")
    back = client.get("/evidence/", {"kind": "note", "cursor": second.context["page"].previous_cursor})

    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 5
    assert f"?kind=note&amp;cursor={first.context['page'].next_cursor}".encode() in first.content
    assert titles(back) == titles(first) and not set(titles(first)) & set(titles(second))
    assert b"about" in first.content and b"Next" not in second.content
    # A link from before cursors opens the first page of the same filtered list.
    assert client.get("/evidence/", {"kind": "note", "page": 2}).url == "/evidence/?kind=note"
    assert client.get("/evidence/", {"cursor": "not-a-cursor"}).status_code == 404


def test_an_htmx_filter_returns_only_the_results(client, auditor, engineer, control):
    evidence_add(controls=[control], title="Policy", actor=engineer, url="https://wiki/policy")
    client.force_login(auditor)
    response = client.get("/evidence/", {"q": "policy"}, headers={"HX-Request": "true"})
    assert response.content.lstrip().startswith(b'<div id="results">')
    assert b"Policy" in response.content and b"<html" not in response.content


def test_the_detail_shows_the_record_an_auditor_needs(client, auditor, engineer, catalogs):
    content = b"firewall export v1"
    old = upload(engineer, [ctrl("A.8.20"), ctrl("CC6.6", "soc2-2017")], content=content, title="Export v1")
    new = upload(
        engineer, [ctrl("A.8.20"), ctrl("CC6.6", "soc2-2017")], content=b"v2", title="Export v2", supersedes=old
    )
    client.force_login(auditor)

    page = client.get(f"/evidence/{old.pk}/").content.decode()

    assert hashlib.sha256(content).hexdigest() in page
    assert re.search(rf"<dd>{len(content)}\sbytes</dd>", page) and "application/json" in page  # said once
    assert "engineer" in page
    assert f'href="/evidence/{new.pk}/"' in page and "Export v2" in page
    assert 'href="/controls/iso27001-2022/A.8.20/"' in page and 'href="/controls/soc2-2017/CC6.6/"' in page
    assert f'href="/evidence/{old.pk}/download/"' in page
    newer = client.get(f"/evidence/{new.pk}/").content.decode()
    assert f'href="/evidence/{old.pk}/"' in newer


def test_automated_evidence_says_what_produced_it_and_notes_are_shown(client, auditor, control):
    item = evidence_add(
        controls=[control],
        title="Scan 12",
        kind="automated",
        produced_by="scan 12 of demo-aws",
        description="3 of 4 checks passed",
    )
    client.force_login(auditor)
    page = client.get(f"/evidence/{item.pk}/").content.decode()
    assert "scan 12 of demo-aws" in page and "3 of 4 checks passed" in page


def test_a_link_opens_through_a_page_that_says_where_it_goes(client, auditor, engineer, control):
    item = evidence_add(controls=[control], title="Runbook", actor=engineer, url="https://wiki.example/runbook")
    client.force_login(auditor)

    assert f'href="/evidence/{item.pk}/link/"' in client.get(f"/evidence/{item.pk}/").content.decode()
    page = client.get(f"/evidence/{item.pk}/link/").content.decode()
    assert 'href="https://wiki.example/runbook" rel="noopener noreferrer nofollow"' in page
    note = evidence_add(controls=[control], title="Note", actor=engineer, description="text")
    assert client.get(f"/evidence/{note.pk}/link/").status_code == 404


def test_a_download_streams_the_intact_file_as_an_attachment(client, auditor, engineer, control):
    item = upload(engineer, [control], content=b'{"rules": ["22/tcp"]}')
    client.force_login(auditor)

    response = client.get(f"/evidence/{item.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b'{"rules": ["22/tcp"]}'
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sg-export" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/json"


def test_a_file_changed_on_disk_is_refused_with_409_and_logged(client, auditor, engineer, control, caplog):
    item = upload(engineer, [control], content=b"original")
    with open(item.file.path, "wb") as stored:
        stored.write(b"tampered")
    client.force_login(auditor)

    with caplog.at_level(logging.WARNING):
        response = client.get(f"/evidence/{item.pk}/download/")

    assert response.status_code == 409
    page = response.content.decode()
    assert "no longer matches its recorded SHA-256" in page
    assert hashlib.sha256(b"tampered").hexdigest() in page and item.sha256 in page
    assert b"tampered" not in response.content  # the file's bytes are not sent
    assert any("no longer matches" in r.getMessage() and r.levelno >= logging.WARNING for r in caplog.records)


def test_a_missing_stored_file_is_refused_as_gone(client, auditor, engineer, control):
    item = upload(engineer, [control])
    item.file.storage.delete(item.file.name)
    client.force_login(auditor)
    response = client.get(f"/evidence/{item.pk}/download/")
    assert response.status_code == 410
    assert b"is missing" in response.content


def test_evidence_without_a_file_has_no_download(client, auditor, engineer, control):
    item = evidence_add(controls=[control], title="Runbook", actor=engineer, url="https://wiki/runbook")
    client.force_login(auditor)
    assert client.get(f"/evidence/{item.pk}/download/").status_code == 404


def test_strangers_are_sent_to_log_in(client, engineer, control):
    item = upload(engineer, [control])
    for url in ("/evidence/", f"/evidence/{item.pk}/", f"/evidence/{item.pk}/download/"):
        assert client.get(url).status_code == 302


def add_evidence(engineer, controls, count: int) -> Evidence:
    item = None
    for index in range(count):
        previous = item if index % 3 == 2 else None
        # a correction supports the controls of the item it replaces
        chosen = list(previous.controls.all()) if previous else controls[index % len(controls) :][:2]
        item = evidence_add(
            controls=chosen,
            title=f"Item {index}",
            actor=engineer,
            url=f"https://wiki/{index}",
            supersedes=previous,
        )
    return item


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_and_detail_run_the_same_number_of_queries_whatever_the_data(client, auditor, engineer, catalogs):
    controls = list(Control.objects.filter(framework__slug="iso27001-2022")[:20])
    client.force_login(auditor)
    item = add_evidence(engineer, controls, 3)
    small = [queries(client, "/evidence/"), queries(client, "/evidence/?framework=iso27001-2022&state=fresh")]
    small_detail = queries(client, f"/evidence/{item.pk}/")
    item = add_evidence(engineer, controls, 60)
    assert [queries(client, "/evidence/"), queries(client, "/evidence/?framework=iso27001-2022&state=fresh")] == small
    assert queries(client, f"/evidence/{item.pk}/") == small_detail
    assert small == [8, 8] and small_detail == 6  # each with the navigation's "Inbox (N)"
