"""What a finished scan gives the register: automated evidence and automated statuses, through `equal` mappings
too (the rule itself, on the real catalogs and checks, is in test_status_rule.py)."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import AutomatedStatus, Control, ControlState
from evidence.models import Evidence
from scanners import engine
from scanners.models import RunState, ScanRun
from scanners.services import cloud_account_create, cloud_account_set_enabled

pytestmark = pytest.mark.django_db


def scan(account) -> ScanRun:
    return engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk)


def control(key: str) -> Control:
    framework, ref = key.split(":")
    return Control.objects.get(framework__slug=framework, ref=ref)


def automated(key: str) -> ControlState:
    return ControlState.objects.get(control=control(key))


def test_each_evidenced_control_gets_one_hashed_json_report_per_scan(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    run = scan(cloud_account)

    items = Evidence.objects.filter(produced_by=f"scan {run.pk} of prod")
    # A.8.20, CC6.6, A.8.24, A.8.5: the controls the fake checks name; 2013 A.13.1.1: equal to A.8.20
    assert items.count() == 5
    item = control("iso27001-2022:A.8.20").evidence.get()
    assert item.kind == "automated" and item.collected_by is None
    content = item.file.read()
    assert item.sha256 == hashlib.sha256(content).hexdigest() and item.size == len(content)
    report = json.loads(content)
    assert report["scan"] == run.pk and report["control"] == "iso27001-2022:A.8.20"
    [check] = report["checks"]
    assert check["check"] == "fake_sg_no_open_ssh" and check["summary"] == {"fail": 1, "pass": 1}
    assert check["why"] == "check names this control" and check["through"] == ""
    # The results themselves are in a file stored once for every control the check speaks for, named by its hash.
    part = item.parts.get()
    assert check["results"]["sha256"] == part.sha256 == hashlib.sha256(part.file.read()).hexdigest()
    part.file.seek(0)
    results = json.loads(part.file.read())["results"]
    assert {(r["resource"], r["status"]) for r in results} == {("sg-open", "fail"), ("sg-closed", "pass")}
    # The register reads the evidence through each control's summary row, refreshed once per scan.
    state = automated("iso27001-2022:A.8.20")
    assert (state.evidence_count, state.evidence_fresh_until) == (1, item.valid_until)
    scan(cloud_account)
    assert automated("iso27001-2022:A.8.20").evidence_count == 2


def test_automated_evidence_is_fresh_until_the_next_scheduled_scan_plus_the_grace_period(
    fake_cloud, cloud_account, catalogs, settings
):
    settings.SCAN_EVIDENCE_GRACE_HOURS = 24
    run = scan(cloud_account)  # daily at 03:00
    item = Evidence.objects.filter(produced_by__startswith=f"scan {run.pk} ").first()
    next_scan = item.valid_until - timedelta(hours=24)
    assert next_scan > run.finished_at and (next_scan.hour, next_scan.minute) == (3, 0)
    assert next_scan - run.finished_at <= timedelta(days=1)


def test_evidence_of_a_manual_only_account_is_fresh_for_a_week(fake_cloud, catalogs):
    account = cloud_account_create(name="sandbox", regions="eu-west-1")
    run = scan(account)
    item = Evidence.objects.filter(produced_by=f"scan {run.pk} of sandbox").first()
    assert item.valid_until == run.finished_at + timedelta(days=7)


def test_earlier_scans_keep_their_findings_and_evidence(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    first, second = scan(cloud_account), scan(cloud_account)
    assert first.findings.count() == second.findings.count() == 4
    assert control("iso27001-2022:A.8.20").evidence.count() == 2


def test_automated_status_fails_on_any_failure_and_reaches_equal_controls_only(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    scan(cloud_account)

    assert automated("iso27001-2022:A.8.20").automated_status == AutomatedStatus.FAILING
    # ISO 27001:2013 A.13.1.1 is mapped to 2022 A.8.20 as equal and has no check of its own.
    mapped = automated("iso27001-2013:A.13.1.1")
    assert mapped.automated_status == AutomatedStatus.FAILING and mapped.checks_failed == 1
    assert automated("iso27001-2022:A.8.24").automated_status == AutomatedStatus.PASSING
    # 2013 A.10.1.1 is only part of A.8.24, and SOC 2 CC6.1 only intersects A.8.24 and A.8.5: no verdict.
    assert automated("iso27001-2013:A.10.1.1").automated_status == AutomatedStatus.NONE
    combined = automated("soc2-2017:CC6.1")
    assert (combined.automated_status, combined.checks_passed, combined.checks_failed) == ("none", 0, 0)


def test_an_error_without_failures_is_an_error_status_never_passing(fake_cloud, cloud_account, catalogs):
    fake_cloud.add("fake.volume", "eu-west-1", "vol-1", encrypted=True)
    fake_cloud.break_read("fake-network", "us-east-1", ("fake.volume",))
    scan(cloud_account)
    state = automated("iso27001-2022:A.8.24")
    assert (state.automated_status, state.checks_errored, state.checks_passed) == (AutomatedStatus.ERROR, 1, 0)


def test_a_failed_run_evidences_nothing_but_shows_the_controls_could_not_be_checked(
    fake_cloud, cloud_account, catalogs
):
    fake_cloud.seed_default()
    scan(cloud_account)
    fake_cloud.unreachable = "ExpiredToken"
    run = scan(cloud_account)
    assert run.state == RunState.FAILED
    assert not Evidence.objects.filter(produced_by=f"scan {run.pk} of prod").exists()
    assert automated("iso27001-2022:A.8.5").automated_status == AutomatedStatus.FAILING  # alice still lacks MFA
    assert automated("iso27001-2022:A.8.24").automated_status == AutomatedStatus.ERROR


def test_a_control_whose_checks_found_nothing_to_judge_is_not_shown_as_passing(fake_cloud, cloud_account, catalogs):
    fake_cloud.add("fake.security_group", "eu-west-1", "sg-1", open_ssh=False)  # no volumes, no users
    scan(cloud_account)
    assert automated("iso27001-2022:A.8.20").automated_status == AutomatedStatus.PASSING
    state = automated("iso27001-2022:A.8.24")
    assert (state.automated_status, state.checks_passed, state.checks_failed) == (AutomatedStatus.NONE, 0, 0)


def test_a_disabled_account_no_longer_counts_in_automated_statuses(fake_cloud, cloud_account, catalogs):
    fake_cloud.seed_default()
    scan(cloud_account)
    cloud_account_set_enabled(account=cloud_account, enabled=False)
    clean = cloud_account_create(name="clean", regions="eu-west-1")
    fake_cloud.reset()
    fake_cloud.add("fake.security_group", "eu-west-1", "sg-ok", open_ssh=False)
    scan(clean)
    assert automated("iso27001-2022:A.8.20").automated_status == AutomatedStatus.PASSING


def test_a_scan_runs_the_same_number_of_queries_for_few_and_many_resources(fake_cloud, cloud_account, catalogs):
    """Per-resource work is done in bulk statements: only the number of rows per statement grows.

    (Past one statement's rows, 1,000, or fewer on SQLite, each further batch adds one statement.)
    """

    def queries_for(per_type: int) -> int:
        fake_cloud.reset()
        for n in range(per_type):
            fake_cloud.add("fake.security_group", "eu-west-1", f"sg-{per_type}-{n}", open_ssh=n % 2 == 0)
            fake_cloud.add("fake.volume", "us-east-1", f"vol-{per_type}-{n}", encrypted=n % 3 == 0)
            fake_cloud.add("fake.user", "global", f"user/{per_type}-{n}", mfa=True)
        run = ScanRun.objects.create(account=cloud_account)
        with CaptureQueriesContext(connection) as queries:
            engine.scan_run_sync(run_id=run.pk)
        assert run.findings.count() == per_type * 3
        return len(queries)

    scan(cloud_account)  # the first scan also records the account id
    assert queries_for(4) == queries_for(40)
