"""One definition, every place that shows it: stale evidence, the register's and the dashboard's counts, and
the cells every spreadsheet export writes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from compliance import services
from compliance import state as derived
from compliance.dashboard import counts_by_framework, counts_by_theme
from compliance.models import Control, ControlState, Framework, NoticeKind
from compliance.notifications import pending_events
from compliance.serializers import ControlStateSerializer
from evidence.models import Evidence, EvidenceKind
from evidence.package import state_label
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022"


def set_state(ref: str, **fields) -> ControlState:
    return ControlState.objects.update_or_create(control=iso(ref), defaults=fields)[0]


def iso(ref: str) -> Control:
    return Control.objects.select_related("framework").get(framework__slug=ISO, ref=ref)


# --- Stale ---------------------------------------------------------------------------------------------


def test_evidence_is_stale_from_the_moment_its_validity_ends_in_every_reading(ciso):
    ends = timezone.now().replace(microsecond=0)
    item = Evidence.objects.create(kind=EvidenceKind.NOTE, title="Firewall review", valid_until=ends)
    for at, stale in ((ends - timedelta(seconds=1), False), (ends, True), (ends + timedelta(seconds=1), True)):
        assert Evidence.objects.stale(at).filter(pk=item.pk).exists() is stale
        assert Evidence.objects.fresh(at).filter(pk=item.pk).exists() is not stale
        assert item.is_stale_at(at) is stale
        assert state_label(item, at) == ("stale" if stale else "fresh")


def test_evidence_without_an_end_is_never_stale(db):
    item = Evidence.objects.create(kind=EvidenceKind.NOTE, title="Standing policy")
    later = timezone.now() + timedelta(days=3650)
    assert Evidence.objects.fresh(later).filter(pk=item.pk).exists()
    assert not Evidence.objects.stale(later).exists() and not item.is_stale_at(later)


def test_a_controls_evidence_is_stale_alike_in_register_api_dashboard_and_notices(catalogs, ciso, engineer):
    ends = timezone.now().replace(microsecond=0)
    network = iso("A.8.20")
    services.control_update(control=network, actor=ciso, owner=engineer)
    state = set_state("A.8.20", evidence_count=1, evidence_fresh_until=ends)
    empty = set_state("A.8.21", evidence_count=0, evidence_fresh_until=None)
    for at, stale in ((ends - timedelta(seconds=1), False), (ends, True)):
        assert derived.evidence_freshness(state, at) == (derived.STALE if stale else derived.FRESH)
        assert derived.evidence_freshness(empty, at) == derived.MISSING
        listed = Control.objects.filter(derived.evidence_filter(derived.STALE, at))
        assert list(listed.values_list("ref", flat=True)) == (["A.8.20"] if stale else [])
        assert ControlStateSerializer(state, context={"now": at}).data["evidence_stale"] is stale
        told = [e for e in pending_events(at) if e.kind == NoticeKind.EVIDENCE_STALE]
        assert [e.control.ref for e in told] == (["A.8.20"] if stale else [])
        framework = counts_by_framework(counts_by_theme(at))[network.framework_id]
        assert framework["evidence_stale"] == int(stale)


def test_the_api_filter_and_flag_agree_with_the_register(client, catalogs, ciso, auditor):
    set_state("A.8.20", evidence_count=1, evidence_fresh_until=timezone.now() - timedelta(minutes=1))
    set_state("A.8.21", evidence_count=2, evidence_fresh_until=timezone.now() + timedelta(days=1))
    client.force_login(auditor)
    api = client.get("/api/controls/", {"evidence_stale": "true", "framework": ISO}).json()["results"]
    register = client.get("/controls/", {"evidence": "stale", "framework": ISO}).context_data["rows"]
    assert [c["ref"] for c in api] == [control.ref for control, _ in register] == ["A.8.20"]
    assert api[0]["state"]["evidence_stale"] is True


# --- Counts --------------------------------------------------------------------------------------------


def test_the_register_counts_what_the_dashboard_counts(client, catalogs, ciso, auditor):
    """The register filtered to a framework's applicable controls shows the dashboard's figures for it."""
    services.control_update(
        control=iso("A.5.1"), actor=ciso, applicable=False, justification="Group policy", status="not_applicable"
    )
    services.control_update(control=iso("A.8.21"), actor=ciso, status="implemented")
    set_state("A.8.20", evidence_count=1, evidence_fresh_until=timezone.now() - timedelta(days=1))
    set_state("A.8.22", automated_status="failing", checks_failed=1)
    client.force_login(auditor)
    framework = Framework.objects.get(slug=ISO)
    dashboard = counts_by_framework(counts_by_theme(timezone.now()))[framework.pk]
    register = client.get("/controls/", {"framework": ISO}).context_data["counts"]
    shared = set(dashboard) & set(register)
    assert {"total", "evidence_missing", "evidence_stale", "exempted", "failing", "implemented"} <= shared
    assert {key: register[key] for key in shared} == {key: dashboard[key] for key in shared}
    assert register["evidence_missing"] == 93 - 1 - 1  # A.8.20 has evidence, A.5.1 needs none


# --- Spreadsheets ---------------------------------------------------------------------------------------


def test_the_soa_and_the_register_export_a_justification_with_a_vertical_tab(client, catalogs, ciso, auditor, tmp_path):
    pasted = "Covered by the\x0bgroup policy"
    services.control_update(
        control=iso("A.5.1"), actor=ciso, applicable=False, justification=pasted, status="not_applicable"
    )
    services.control_update(control=iso("A.5.2"), actor=ciso, justification="=1+1")
    client.force_login(auditor)

    response = client.get("/audit/soa.xlsx", {"framework": ISO})

    assert response.status_code == 200
    soa = {row[1]: row[5] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)}
    call_command("export_register", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"), "--framework", ISO)
    rows = load_workbook(tmp_path / "r.xlsx")["Register"].iter_rows(values_only=True)
    register = {row[1]: row[4] for row in rows}
    assert soa["A.5.1"] == register["A.5.1"] == "Covered by thegroup policy"
    assert soa["A.5.2"] == register["A.5.2"] == "'=1+1"


def test_the_soa_csv_keeps_what_xml_cannot_hold(client, catalogs, ciso, auditor):
    services.control_update(control=iso("A.5.2"), actor=ciso, justification="tab\x0bbed")
    client.force_login(auditor)
    text = client.get("/audit/soa.csv", {"framework": ISO}).content.decode()
    assert "tab\x0bbed" in text and text.endswith("\r\n")


def test_an_expired_engineer_who_still_owns_a_control_does_not_block_its_other_changes(
    catalogs, ciso, django_user_model
):
    left = make_member(django_user_model, "left", "engineer")
    network = iso("A.8.20")
    services.control_update(control=network, actor=ciso, owner=left)
    left.membership.expires_at = timezone.now() - timedelta(days=1)
    left.membership.save()
    left = django_user_model.objects.get(pk=left.pk)  # forget the role read while the access was current
    services.control_update(control=iso("A.8.20"), actor=ciso, status="in_progress", owner=left)
    assert iso("A.8.20").status == "in_progress"
