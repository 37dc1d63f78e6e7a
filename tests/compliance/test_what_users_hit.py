"""Details users hit trying the product (issue 12 item 8): each test is what they did and what they should see."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone
from django.views.defaults import server_error

from compliance import services
from compliance.models import Control
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_exemption_entered_until_a_day_says_until_that_day_everywhere(client, engineer, ciso, control):
    client.force_login(engineer)
    last_day = timezone.localdate() + timedelta(days=20)
    data = {"title": "Legacy VPC", "reason": "Migration", "expires_on": last_day.isoformat()}
    client.post(control.get_absolute_url() + "exemptions/propose/", data, **HTMX)
    exemption = control.exemptions.get()
    services.exemption_approve(exemption=exemption, actor=ciso)

    page = client.get(control.get_absolute_url()).text
    assert f"until {last_day.isoformat()}" in page
    assert f"until {(last_day + timedelta(days=1)).isoformat()}" not in page

    client.force_login(ciso)
    listed = client.get("/api/exemptions/").json()["results"][0]
    assert listed["last_day"] == last_day.isoformat()


def test_the_register_search_reads_summaries_as_well_as_refs_and_titles(client, ciso, catalogs):
    client.force_login(ciso)
    found = client.get("/controls/", {"q": "hardened", "framework": "iso27001-2022"}).context["page"]
    assert "A.8.20" in {control.ref for control in found}
    by_tag = client.get("/controls/", {"q": "ctrl:iso27001-2022:A.8.20"}).context["page"]
    assert [control.ref for control in by_tag] == ["A.8.20"]


def test_the_api_searches_controls_and_refuses_a_filter_it_does_not_know(client, ciso, catalogs):
    client.force_login(ciso)
    found = client.get("/api/controls/", {"search": "hardened", "framework": "iso27001-2022"}).json()["results"]
    assert "A.8.20" in {control["ref"] for control in found}

    refused = client.get("/api/controls/", {"control": "iso27001-2022:A.8.20"})
    assert refused.status_code == 400
    assert "Unknown query parameter" in refused.json()["control"][0]
    assert "search" in refused.json()["control"][0]  # it names the words it does take
    assert client.get("/api/evidence/", {"colour": "red"}).status_code == 400
    assert client.get("/api/controls/", {"ordering": "ref", "page_size": 5}).status_code == 200


def test_the_evidence_browser_finds_a_control_by_the_tag_its_page_copies(client, engineer, control):
    evidence_add(
        controls=[control],
        title="Security group export",
        actor=engineer,
        upload=SimpleUploadedFile("sg.json", b'{"ingress": []}', content_type="application/json"),
    )
    client.force_login(engineer)
    for written in (control.tag, control.ref, f"{control.framework.slug}:{control.ref}"):
        assert "Security group export" in client.get("/evidence/", {"control": written}).text, written
    assert "Security group export" not in client.get("/evidence/", {"control": "ctrl:soc2-2017:A.8.20"}).text


def test_the_audit_package_form_starts_with_the_period_chosen_above_it(client, auditor, catalogs):
    client.force_login(auditor)
    page = client.get("/audit/", {"start": "2026-01-01", "end": "2026-03-31"}).text
    assert 'name="start" value="2026-01-01"' in page and 'id="id_start"' in page
    assert re.search(r'name="start" value="2026-01-01"[^>]*id="package_start"', page)
    assert re.search(r'name="end" value="2026-03-31"[^>]*id="package_end"', page)


def test_date_fields_carry_an_iso_date_the_browser_can_show(client, ciso, control):
    Control.objects.filter(pk=control.pk).update(next_review=timezone.localdate())
    client.force_login(ciso)
    form = client.get(control.get_absolute_url() + "edit/").text
    assert f'name="next_review" value="{timezone.localdate().isoformat()}"' in form


def test_a_small_file_says_its_size_once(client, engineer, control):
    item = evidence_add(
        controls=[control],
        title="Tiny",
        actor=engineer,
        upload=SimpleUploadedFile("t.json", b"{}" * 10, content_type="application/json"),
    )
    client.force_login(engineer)
    page = client.get(item.get_absolute_url()).text
    assert re.search(r"<dd>20\sbytes</dd>", page)


def test_a_missing_page_keeps_the_navigation_and_says_where_to_go(client, engineer, catalogs):
    client.force_login(engineer)
    response = client.get("/controls/iso27001-2022/A.99.99/")
    assert response.status_code == 404
    assert 'aria-label="Main"' in response.text and "Not found" in response.text


def test_the_error_page_renders_without_a_database_or_a_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and b"Something went wrong" in response.content


def test_the_current_section_is_marked_in_the_navigation(client, engineer, control):
    client.force_login(engineer)
    page = client.get(control.get_absolute_url()).text
    assert re.search(r'<a href="/controls/" aria-current="page">Controls</a>', page)
    assert page.count('aria-current="page"') == 1
    mine = client.get("/controls/?owner=me").text
    assert re.search(r'<a href="/controls/\?owner=me" aria-current="page">My controls</a>', mine)


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted([luminance(one), luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_badge_reads_at_wcag_aa_contrast():
    css = (Path(__file__).resolve().parents[2] / "static/css/app.css").read_text()
    variables = dict(re.findall(r"--([a-z]+):(#[0-9a-f]{6})", css))
    rules = re.findall(r"\.badge[^{]*\{\s*background:(#[0-9a-f]{6});\s*color:(var\(--[a-z]+\)|#[0-9a-f]{6});", css)
    assert len(rules) >= 6
    for background, colour in rules:
        colour = variables[colour[6:-1]] if colour.startswith("var(") else colour
        assert contrast(background, colour) >= 4.5, (background, colour)
