"""How a control's automated status is decided: by the checks that name it and by its `equal` peers, never
through a partial mapping. Built from the demo's situation, with the real catalogs and the real checks."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from compliance.dashboard import snapshot_take
from compliance.models import AutomatedStatus, Control, ControlMapping, ControlState, ControlStatus, Framework
from compliance.state import VERDICT_RELATIONS, control_states
from evidence.models import Evidence
from scanners import automation, engine, recording
from scanners.checks import base as checks
from scanners.collectors.base import ResourceDoc
from scanners.models import RunState, ScanRun
from scanners.verdict import checks_deciding, checks_deciding_for
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022"


def control(ref: str, framework: str = ISO) -> Control:
    return Control.objects.select_related("framework").get(framework__slug=framework, ref=ref)


def automated(ref: str, framework: str = ISO) -> str:
    return ControlState.objects.get(control=control(ref, framework)).automated_status


def scanned(account, **statuses: str) -> ScanRun:
    """A finished scan in which each named real check judged one resource: what collection would have given."""
    engine.registries_load()
    now = timezone.now()
    run = ScanRun.objects.create(account=account, state=RunState.SUCCEEDED, started_at=now, finished_at=now)
    found = {check_id: checks.REGISTRY[check_id] for check_id in statuses}
    docs = [
        ResourceDoc(
            uid=f"res-{check_id}", type=check.resource_type, region="eu-west-1", name=check_id, tags={}, config={}
        )
        for check_id, check in found.items()
    ]
    resources = {row.uid: row for row in recording.resources_upsert(run=run, docs=docs, seen_at=now)}
    results = [
        (check, resources[f"res-{check_id}"], "eu-west-1", statuses[check_id], f"{check_id} {statuses[check_id]}")
        for check_id, check in found.items()
    ]
    recording.results_record(run=run, results=results, checked_at=now)
    automation.scan_conclude(run=run)
    return run


def test_a_failing_backup_check_does_not_make_physical_threats_fail(cloud_account, catalogs):
    # What the earlier rule left behind: A.7.5 failing through SOC 2 A1.2, which it only intersects.
    ControlState.objects.filter(control=control("A.7.5")).update(automated_status="failing", checks_failed=5)

    scanned(cloud_account, backup_plan_in_region="fail", rds_automated_backups_enabled="fail")

    assert automated("A1.2", "soc2-2017") == AutomatedStatus.FAILING  # named by both checks
    assert automated("A.8.13") == AutomatedStatus.FAILING
    state = ControlState.objects.get(control=control("A.7.5"))
    assert (state.automated_status, state.checks_failed, state.automated_at) == (AutomatedStatus.NONE, 0, None)
    assert automated("A.11.1.4", "iso27001-2013") == AutomatedStatus.NONE  # A.7.5's equal peer: no check either


def test_labelling_does_not_fail_through_cc6_1(cloud_account, catalogs):
    scanned(cloud_account, iam_user_console_mfa="fail")
    assert automated("CC6.1", "soc2-2017") == AutomatedStatus.FAILING
    assert automated("A.8.5") == AutomatedStatus.FAILING
    assert automated("A.5.13") == AutomatedStatus.NONE  # intersects CC6.1, nothing more


def test_a_clean_account_does_not_make_unchecked_controls_effective(cloud_account, catalogs):
    engine.registries_load()
    scanned(cloud_account, **{check.id: "pass" for check in checks.all_checks()})
    unchecked = only_partially_mapped_to_checked_controls()
    assert len(unchecked) >= 3, "the catalogs should still hold controls that only intersect checked ones"
    Control.objects.filter(pk__in=[item.pk for item in unchecked]).update(status=ControlStatus.IMPLEMENTED)
    derived = control_states(Control.objects.filter(pk__in=[item.pk for item in unchecked]))
    assert {state.automated for state in derived.values()} == {AutomatedStatus.NONE}
    assert {state.summary for state in derived.values()} == {"unevidenced"}
    assert not Evidence.objects.filter(controls__in=unchecked).exists()


def only_partially_mapped_to_checked_controls() -> list[Control]:
    """ISO 2022 controls no check speaks for, each mapped (subset, superset or intersect) to one some check names."""
    deciding = checks_deciding()
    partial = ControlMapping.objects.exclude(relation__in=VERDICT_RELATIONS).select_related("source", "target")
    found = {}
    for mapping in partial:
        for one, other in ((mapping.source, mapping.target), (mapping.target, mapping.source)):
            if one.framework_id == control("A.5.1").framework_id and one not in deciding and other in deciding:
                found[one.pk] = one
    return list(found.values())


def test_an_equal_mapping_carries_the_verdict_and_its_evidence_says_why(cloud_account, catalogs):
    # 2022 A.8.3 has no check of its own; 2013 A.9.4.1, its equal, is named by the public-exposure checks.
    run = scanned(cloud_account, s3_bucket_acl_not_public="fail", s3_bucket_block_public_access="pass")

    state = ControlState.objects.get(control=control("A.8.3"))
    assert (state.automated_status, state.checks_failed, state.checks_passed) == ("failing", 1, 1)
    assert state.evidence_count == 1  # the evidence reaches the same controls as the verdict
    item = control("A.8.3").evidence.get(produced_by=f"scan {run.pk} of prod")
    assert item.description == "6 checks (iso27001-2013:A.9.4.1 mapped as equal): 1 fail, 1 pass."
    report = json.loads(item.file.read())
    assert report["control"] == "iso27001-2022:A.8.3" and "equal" in report["rule"]
    by_check = {c["check"]: c for c in report["checks"]}
    assert set(by_check) == set(checks_deciding_for("iso27001-2022:A.8.3"))  # the checks that decide its status
    assert {(c["why"], c["through"]) for c in report["checks"]} == {
        ("through A.9.4.1 (equal)", "iso27001-2013:A.9.4.1")
    }
    assert by_check["s3_bucket_acl_not_public"]["summary"] == {"fail": 1}
    own = json.loads(control("A.9.4.1", "iso27001-2013").evidence.get().file.read())
    assert {c["why"] for c in own["checks"]} == {"check names this control"}


def test_a_mapping_corrected_to_equal_carries_the_verdict_from_the_next_scan(cloud_account, catalogs):
    scanned(cloud_account, iam_user_console_mfa="fail")
    assert automated("A.5.13") == AutomatedStatus.NONE
    ControlMapping.objects.filter(source=control("CC6.1", "soc2-2017"), target=control("A.5.13")).update(
        relation="equal"
    )
    scanned(cloud_account, iam_user_console_mfa="fail")
    assert automated("A.5.13") == AutomatedStatus.FAILING  # the relation is read from the catalog, not assumed


def test_no_partial_mapping_ever_carries_a_check(catalogs):
    """Over the whole real registry: every check a control hears is one that names it or names its equal."""
    engine.registries_load()
    named = {key for check in checks.all_checks() for key in check.controls}
    for ctrl, speaks in checks_deciding().items():
        key = f"{ctrl.framework.slug}:{ctrl.ref}"
        for check_id, why in speaks.items():
            if why.through is None:
                assert key in checks.REGISTRY[check_id].controls
            else:
                assert why.through_key in checks.REGISTRY[check_id].controls and why.through_key in named
                assert ctrl.mapped_to.filter(target=why.through, relation="equal").exists() or (
                    ctrl.mapped_from.filter(source=why.through, relation="equal").exists()
                )


def test_the_control_page_shows_partial_mappings_as_context_not_verdict(client, auditor, cloud_account, catalogs):
    scanned(cloud_account, s3_bucket_acl_not_public="fail", rds_security_groups_from_app_only="pass")
    client.force_login(auditor)

    page = client.get(control("A.8.20").get_absolute_url())

    assert automated("A.8.20") == AutomatedStatus.PASSING  # its own checks pass; CC6.6 fails beside it
    rows = {row.control.ref: row for row in page.context_data["mapped"]}
    assert not rows["CC6.6"].counts and rows["A.13.1.1"].counts
    assert "related: CC6.6 failing; context only, not counted in this control&#x27;s status" in page.text
    assert "equal: A.13.1.1 passing; its checks count for this control" in page.text


def test_the_findings_of_a_control_say_why_they_concern_it(client, auditor, cloud_account, catalogs):
    scanned(cloud_account, s3_bucket_acl_not_public="fail", iam_user_console_mfa="fail")
    client.force_login(auditor)

    page = client.get("/scans/findings/", {"control": "iso27001-2022:A.8.3"})
    assert [(row.check_id, row.speaks.why) for row in page.context["page"]] == [
        ("s3_bucket_acl_not_public", "through A.9.4.1 (equal)")
    ]
    assert "Why it concerns iso27001-2022:A.8.3" in page.text
    assert f'through <a href="{control("A.9.4.1", "iso27001-2013").get_absolute_url()}"' in page.text
    direct = client.get("/scans/findings/", {"control": "soc2-2017:CC6.1"})
    assert {(row.check_id, row.speaks.why) for row in direct.context["page"]} == {
        ("s3_bucket_acl_not_public", "check names this control"),
        ("iam_user_console_mfa", "check names this control"),
    }
    assert client.get("/scans/findings/", {"control": "iso27001-2022:A.5.13"}).context["page"].count == 0

    api = token_client(auditor)
    rows = api.get("/api/findings/", {"control": "iso27001-2022:A.8.3"}).json()["results"]
    assert [(row["check_id"], row["why"]) for row in rows] == [("s3_bucket_acl_not_public", "through A.9.4.1 (equal)")]
    assert {row["why"] for row in api.get("/api/findings/").json()["results"]} == {None}
    rows = api.get("/api/run-findings/", {"control": "iso27001-2022:A.8.5"}).json()["results"]
    assert [(row["check_id"], row["why"]) for row in rows] == [("iam_user_console_mfa", "check names this control")]


def test_the_register_the_api_the_dashboard_and_snapshots_count_the_same_failing_controls(
    client, ciso, cloud_account, catalogs
):
    scanned(cloud_account, backup_plan_in_region="fail", iam_user_console_mfa="fail", s3_bucket_acl_not_public="fail")
    failing = set(
        ControlState.objects.filter(control__framework__slug=ISO, automated_status="failing").values_list(
            "control__ref", flat=True
        )
    )
    assert failing == {"A.8.13", "A.5.29", "A.5.30", "A.8.5", "A.8.12", "A.5.14", "A.8.3"}
    client.force_login(ciso)

    register = client.get("/controls/", {"framework": ISO, "automated": "failing"})
    assert {row.ref for row in register.context["page"]} == failing
    api = token_client(ciso).get("/api/controls/", {"framework": ISO, "automated_status": "failing", "page_size": 100})
    assert {row["ref"] for row in api.json()["results"]} == failing
    iso = next(s for s in client.get("/").context["standings"] if s.name.startswith("ISO/IEC 27001:2022"))
    assert {f.label: f.value for f in iso.automated}["failing"] == len(failing)
    snapshot_take()
    framework = Framework.objects.get(slug=ISO)
    assert framework.snapshots.get().counts["failing"] == len(failing)


def test_a_mapping_corrected_in_the_admin_changes_the_status_without_waiting_for_a_scan(
    client, ciso, cloud_account, catalogs, django_capture_on_commit_callbacks
):
    scanned(cloud_account, iam_user_console_mfa="fail")
    mapping = ControlMapping.objects.get(source=control("CC6.1", "soc2-2017"), target=control("A.5.13"))
    client.force_login(ciso)
    form = client.get(f"/admin/compliance/controlmapping/{mapping.pk}/change/").context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/compliance/controlmapping/{mapping.pk}/change/", {**data, "relation": "equal"})
    assert response.status_code == 302
    assert automated("A.5.13") == AutomatedStatus.FAILING

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/compliance/controlmapping/{mapping.pk}/change/", {**data, "relation": "intersect"})
    assert automated("A.5.13") == AutomatedStatus.NONE


def test_one_control_asked_alone_hears_the_same_checks_as_all_controls_asked_at_once(catalogs):
    everything = checks_deciding()
    assert everything
    for control, speaks in everything.items():
        alone = checks_deciding_for(f"{control.framework.slug}:{control.ref}")
        assert {key: value.why for key, value in alone.items()} == {key: value.why for key, value in speaks.items()}
