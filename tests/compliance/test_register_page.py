"""The control register: filters that live in the URL, counts, sorting, pages, htmx fragments, bulk changes."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import services
from compliance.models import Control, ControlState, ControlStatus
from tests.conftest import make_exemption

pytestmark = pytest.mark.django_db

HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
HTMX_REGISTER = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "register"}


def iso(ref: str) -> Control:
    return Control.objects.get(framework__slug="iso27001-2022", ref=ref)


def set_state(ref: str, **fields) -> None:
    """What the scanners and the evidence app would have written (the catalog creates an empty row)."""
    ControlState.objects.update_or_create(control=iso(ref), defaults=fields)


def listed_refs(response) -> list[str]:
    return [control.ref for control, _ in response.context_data["rows"]]


@pytest.fixture
def register(catalogs, engineer, other_engineer):
    """A few controls with owners, states, scanner results, evidence and an exemption."""
    now = timezone.now()
    Control.objects.filter(pk=iso("A.8.20").pk).update(owner=engineer, status=ControlStatus.IN_PROGRESS)
    Control.objects.filter(pk=iso("A.8.21").pk).update(owner=engineer, status=ControlStatus.IMPLEMENTED)
    Control.objects.filter(pk=iso("A.8.22").pk).update(owner=other_engineer, status=ControlStatus.IMPLEMENTED)
    Control.objects.filter(pk=iso("A.5.1").pk).update(
        applicable=False, status=ControlStatus.NOT_APPLICABLE, justification="Covered by group policy"
    )
    set_state("A.8.20", automated_status="failing", checks_failed=2)
    set_state("A.8.21", automated_status="passing", evidence_count=1, evidence_fresh_until=now + timedelta(30))
    set_state("A.8.22", automated_status="error", evidence_count=2, evidence_fresh_until=now - timedelta(1))
    make_exemption([iso("A.8.20")], title="Legacy VPC", expires_at=now + timedelta(days=30), approved_at=now)


def test_every_role_sees_the_register_with_its_count(client, auditor, catalogs):
    client.force_login(auditor)
    response = client.get("/controls/")
    assert response.status_code == 200
    assert response.context_data["counts"]["total"] == Control.objects.count()
    assert f"{Control.objects.count()} controls" in response.text


def test_someone_without_a_role_is_refused_with_the_reason(client, django_user_model, catalogs):
    client.force_login(django_user_model.objects.create_user("visitor"))
    response = client.get("/controls/")
    assert response.status_code == 403
    assert "no role or has expired" in response.text


def test_filters_by_framework_group_status_and_applicability(client, engineer, register):
    client.force_login(engineer)
    response = client.get(
        "/controls/", {"framework": "iso27001-2022", "group": "Technological controls", "status": "implemented"}
    )
    assert listed_refs(response) == ["A.8.21", "A.8.22"]
    excluded = client.get("/controls/", {"framework": "iso27001-2022", "applicable": "no"})
    assert listed_refs(excluded) == ["A.5.1"]


def test_owner_filter_knows_me_nobody_and_a_person(client, engineer, other_engineer, register):
    client.force_login(engineer)
    assert listed_refs(client.get("/controls/", {"owner": "me"})) == ["A.8.20", "A.8.21"]
    assert listed_refs(client.get("/controls/", {"owner": "engineer2"})) == ["A.8.22"]
    nobody = client.get("/controls/", {"owner": "nobody", "framework": "iso27001-2022"})
    assert "A.8.20" not in listed_refs(nobody) and "A.5.2" in listed_refs(nobody)


def test_automated_result_evidence_freshness_and_exemption_filters(client, engineer, register):
    client.force_login(engineer)
    fw = {"framework": "iso27001-2022"}
    assert listed_refs(client.get("/controls/", {**fw, "automated": "failing"})) == ["A.8.20"]
    assert listed_refs(client.get("/controls/", {**fw, "automated": "error"})) == ["A.8.22"]
    assert "A.5.2" in listed_refs(client.get("/controls/", {**fw, "automated": "none"}))  # never scanned
    assert listed_refs(client.get("/controls/", {**fw, "evidence": "fresh"})) == ["A.8.21"]
    assert listed_refs(client.get("/controls/", {**fw, "evidence": "stale"})) == ["A.8.22"]
    missing = listed_refs(client.get("/controls/", {**fw, "evidence": "missing", "q": "A.8.2"}))
    assert "A.8.20" in missing and "A.8.21" not in missing
    assert listed_refs(client.get("/controls/", {**fw, "exemption": "active"})) == ["A.8.20"]


def test_a_filter_value_that_makes_no_sense_is_ignored_and_said_so(client, auditor, catalogs):
    client.force_login(auditor)
    response = client.get("/controls/", {"status": "done-ish", "framework": "soc2-2017"})
    assert response.status_code == 200
    assert response.context_data["counts"]["total"] == 61  # the framework filter still applies
    assert "Select a valid choice" in response.text


def test_engineers_find_their_own_controls_from_the_menu(client, engineer, auditor, catalogs):
    client.force_login(engineer)
    assert 'href="/controls/?owner=me"' in client.get("/controls/").text
    client.force_login(auditor)
    assert 'href="/controls/?owner=me"' not in client.get("/controls/").text


def test_search_matches_ref_and_title(client, auditor, catalogs):
    client.force_login(auditor)
    assert "A.8.20" in listed_refs(client.get("/controls/", {"q": "A.8.20"}))
    by_title = client.get("/controls/", {"q": "networks security", "framework": "iso27001-2022"})
    assert listed_refs(by_title) == ["A.8.20"]


def test_sorting_by_title_owner_and_next_review(client, engineer, register):
    Control.objects.filter(pk=iso("A.8.21").pk).update(next_review=date(2027, 1, 1))
    Control.objects.filter(pk=iso("A.8.22").pk).update(next_review=date(2026, 12, 1))
    client.force_login(engineer)
    mine = {"owner": "me"}
    assert listed_refs(client.get("/controls/", {**mine, "sort": "-ref"})) == ["A.8.21", "A.8.20"]
    by_title = client.get("/controls/", {"framework": "iso27001-2022", "q": "A.8.2", "sort": "-title"})
    titles = [control.title for control, _ in by_title.context_data["rows"]]
    assert len(titles) == 11 and titles == sorted(titles, reverse=True)  # A.8.2 and A.8.20 to A.8.29
    by_owner = listed_refs(client.get("/controls/", {"framework": "iso27001-2022", "sort": "owner"}))
    assert by_owner[:3] == ["A.8.20", "A.8.21", "A.8.22"]  # engineer, engineer, engineer2, then nobody
    for sort in ("review", "-review"):  # undated controls come last either way
        reviewed = listed_refs(client.get("/controls/", {"q": "A.8.2", "framework": "iso27001-2022", "sort": sort}))
        assert reviewed[:2] == (["A.8.22", "A.8.21"] if sort == "review" else ["A.8.21", "A.8.22"])


def test_pages_keep_the_filters_in_their_links(client, auditor, catalogs):
    client.force_login(auditor)
    response = client.get("/controls/", {"framework": "iso27001-2022"})
    page = response.context_data["page"]
    assert page.paginator.num_pages == 2 and len(page.object_list) == 50
    assert "?framework=iso27001-2022&amp;page=2" in response.text
    second = client.get("/controls/", {"framework": "iso27001-2022", "page": 2})
    assert second.context_data["page"].number == 2 and len(second.context_data["rows"]) == 93 - 50


def test_counts_summarise_the_filtered_set(client, engineer, register):
    client.force_login(engineer)
    counts = client.get("/controls/", {"framework": "iso27001-2022"}).context_data["counts"]
    assert counts["total"] == 93
    assert (counts["implemented"], counts["in_progress"], counts["not_applicable"]) == (2, 1, 1)
    assert (counts["failing"], counts["evidence_stale"], counts["exempted"]) == (1, 1, 1)
    assert counts["evidence_missing"] == 93 - 2 - 1  # A.5.1 is excluded from the SoA: it needs no evidence


def test_htmx_gets_only_the_results_and_a_history_restore_gets_the_page(client, auditor, catalogs):
    client.force_login(auditor)
    fragment = client.get("/controls/", {"status": "implemented"}, **HTMX_RESULTS)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="results"') and "<html" not in fragment.text
    assert "HX-Request" in fragment["Vary"]
    register = client.get("/controls/", {"sort": "title"}, **HTMX_REGISTER)
    assert register.text.lstrip().startswith('<div id="register"') and 'id="filters"' in register.text
    restore = client.get("/controls/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.text


def test_the_derived_state_shows_in_each_row(client, engineer, register):
    client.force_login(engineer)
    rows = dict(client.get("/controls/", {"owner": "me"}).context_data["rows"])
    summaries = {control.ref: derived.summary for control, derived in rows.items()}
    assert summaries == {"A.8.20": "exempted", "A.8.21": "effective"}


def test_only_the_ciso_sees_and_uses_bulk_changes(client, engineer, auditor, catalogs):
    for person in (engineer, auditor):
        client.force_login(person)
        assert "Change the selected controls" not in client.get("/controls/").text
        response = client.post("/controls/bulk/", {"control": [iso("A.8.20").pk], "set_status": "implemented"})
        assert response.status_code == 403
    assert iso("A.8.20").status == ControlStatus.NOT_STARTED


def test_the_ciso_sets_owner_and_status_in_bulk_with_history_per_control(client, ciso, engineer, catalogs):
    chosen = [iso("A.8.20"), iso("A.8.21"), iso("A.8.22")]
    client.force_login(ciso)
    response = client.post(
        "/controls/bulk/?framework=iso27001-2022&owner=nobody",
        {"control": [c.pk for c in chosen], "set_owner": str(engineer.pk), "set_status": "in_progress"},
        **HTMX_REGISTER,
    )
    assert response.status_code == 200
    assert "Updated 3 controls." in response.text
    assert response.context_data["filterset"].data["owner"] == "nobody"  # the filters survived the change
    assert 'hx-get="/controls/"' in response.text  # and still filter the register, not the bulk endpoint
    assert response["HX-Push-Url"] == "false"  # the address bar keeps the register's URL
    for control in chosen:
        control.refresh_from_db()
        assert (control.owner, control.status) == (engineer, ControlStatus.IN_PROGRESS)
        latest = control.history.latest()
        assert latest.history_user == ciso and latest.status == ControlStatus.IN_PROGRESS


def test_bulk_status_skips_controls_excluded_from_the_soa(ciso, catalogs):
    excluded = iso("A.5.1")
    Control.objects.filter(pk=excluded.pk).update(applicable=False, status=ControlStatus.NOT_APPLICABLE)
    result = services.control_bulk_update(
        control_ids=[excluded.pk, iso("A.5.2").pk], actor=ciso, status=ControlStatus.IMPLEMENTED
    )
    assert (result.updated, result.refused) == (1, 1)
    assert iso("A.5.1").status == ControlStatus.NOT_APPLICABLE


def test_bulk_without_selection_or_change_explains_what_is_missing(client, ciso, catalogs):
    client.force_login(ciso)
    nothing_selected = client.post("/controls/bulk/", {"set_status": "implemented"}, **HTMX_REGISTER)
    assert "Select at least one control." in nothing_selected.text
    no_change = client.post("/controls/bulk/", {"control": [iso("A.8.20").pk]}, **HTMX_REGISTER)
    assert "Choose an owner or a status to set." in no_change.text


def test_a_plain_bulk_post_redirects_back_to_the_same_filters(client, ciso, catalogs):
    client.force_login(ciso)
    response = client.post("/controls/bulk/?status=not_started", {"control": [iso("A.8.20").pk], "set_owner": "nobody"})
    assert response.status_code == 302 and response["Location"] == "/controls/?status=not_started"


def _register_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/controls/", {"framework": "iso27001-2022", "sort": "owner"})
    assert response.status_code == 200
    return len(queries)


def test_the_register_runs_the_same_queries_however_much_is_linked(client, ciso, engineer, other_engineer, catalogs):
    client.force_login(ciso)
    Control.objects.filter(pk=iso("A.8.20").pk).update(owner=engineer)
    few = _register_queries(client)
    now = timezone.now()
    controls = list(Control.objects.filter(framework__slug="iso27001-2022"))
    for index, control in enumerate(controls):
        control.owner = engineer if index % 2 else other_engineer
    Control.objects.bulk_update(controls, ["owner"])
    ControlState.objects.filter(control__in=controls).update(
        automated_status="failing", evidence_count=3, evidence_fresh_until=now
    )
    make_exemption(controls, title="All", expires_at=now + timedelta(days=9), approved_at=now)
    many = _register_queries(client)
    assert few == many
    assert many <= 13  # with the navigation's "Inbox (N)" (compliance/inbox.py)
