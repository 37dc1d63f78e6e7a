"""Turning a finished scan into what the register reads: automated statuses and automated evidence.

Control statuses come from the latest result per (account, check, resource) of every enabled account,
not from one run: a scan of account B must not hide what failed in account A. A control also takes
the results of the checks of the controls it is mapped to or from in the other frameworks (one hop),
so evidencing ISO 27001:2022 A.8.20 also speaks for ISO 27001:2013 A.13.1.1.
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.models import AutomatedStatus, Control, ControlMapping, ControlState
from evidence.models import EvidenceKind
from evidence.services import evidence_add, evidence_summary_refresh
from ledger.chain import ledger_batch
from scanners.checks import base as checks
from scanners.models import CheckStatus, Finding, FindingStatus, RunState, ScanRun
from scanners.services import automated_evidence_valid_until

STATUS_COUNTERS = {
    FindingStatus.PASS: "checks_passed",
    FindingStatus.FAIL: "checks_failed",
    FindingStatus.ERROR: "checks_errored",
}


def scan_conclude(*, run: ScanRun) -> None:
    """After the last unit. A failed run (nothing read) updates the statuses but evidences nothing."""
    automated_statuses_refresh()
    if run.state != RunState.FAILED:
        scan_evidence_record(run=run)


def controls_of_checks(all_checks: list[checks.Check]) -> dict[str, Control]:
    """`iso27001-2022:A.8.20` -> the Control row, in one query; references to unknown controls are skipped."""
    keys = {ref for check in all_checks for ref in check.controls}
    refs = {key.split(":", 1)[1] for key in keys if ":" in key}
    rows = Control.objects.filter(ref__in=refs).select_related("framework")
    return {f"{row.framework.slug}:{row.ref}": row for row in rows if f"{row.framework.slug}:{row.ref}" in keys}


def checks_speaking_for(control_key: str) -> list[str]:
    """Ids of the checks that decide a control's automated status: its own and those of its mapped peers."""
    framework, _, ref = control_key.partition(":")
    control = Control.objects.filter(framework__slug=framework, ref=ref).first()
    if control is None:
        return []
    peers = control.mapped_controls().values_list("framework__slug", "ref")
    keys = {control_key, *(f"{slug}:{peer_ref}" for slug, peer_ref in peers)}
    return [check.id for check in checks.all_checks() if keys.intersection(check.controls)]


def check_outcomes() -> dict[str, str]:
    """Each check's status over the latest results of enabled accounts: any fail, else any error, else pass."""
    counts: dict[str, set[str]] = defaultdict(set)
    rows = CheckStatus.objects.filter(account__enabled=True).values_list("check_id", "status").distinct()
    for check_id, status in rows.order_by():
        counts[check_id].add(status)
    outcomes = {}
    for check_id, statuses in counts.items():
        for status in (FindingStatus.FAIL, FindingStatus.ERROR, FindingStatus.PASS):
            if status in statuses:
                outcomes[check_id] = status
                break
    return outcomes


def automated_statuses_refresh() -> int:
    """Rewrite ControlState's automated columns for every control a check evidences, and their mapped peers."""
    all_checks = checks.all_checks()
    controls = controls_of_checks(all_checks)
    direct: dict[int, set[str]] = defaultdict(set)
    for check in all_checks:
        for ref in check.controls:
            if ref in controls:
                direct[controls[ref].pk].add(check.id)
    combined = {pk: set(ids) for pk, ids in direct.items()}
    mappings = ControlMapping.objects.filter(Q(source_id__in=direct) | Q(target_id__in=direct))
    for source, target in mappings.values_list("source_id", "target_id"):
        combined.setdefault(target, set()).update(direct.get(source, ()))
        combined.setdefault(source, set()).update(direct.get(target, ()))
    outcomes, now = check_outcomes(), timezone.now()
    states = [_control_state(pk, check_ids, outcomes, now) for pk, check_ids in combined.items()]
    ControlState.objects.bulk_create(
        states,
        update_conflicts=True,
        unique_fields=["control"],
        update_fields=["automated_status", "checks_passed", "checks_failed", "checks_errored", "automated_at"],
        batch_size=1000,
    )
    return len(states)


def _control_state(control_id: int, check_ids: set[str], outcomes: dict[str, str], now) -> ControlState:
    state = ControlState(control_id=control_id, automated_at=now)
    for check_id in check_ids:
        counter = STATUS_COUNTERS.get(outcomes.get(check_id))
        if counter:
            setattr(state, counter, getattr(state, counter) + 1)
    if state.checks_failed:
        state.automated_status = AutomatedStatus.FAILING
    elif state.checks_errored:
        state.automated_status = AutomatedStatus.ERROR
    elif state.checks_passed:
        state.automated_status = AutomatedStatus.PASSING
    else:  # nothing of this kind exists in any enabled account: nothing passed, nothing was checked
        state.automated_status = AutomatedStatus.NONE
    return state


def scan_evidence_record(*, run: ScanRun) -> list:
    """One automated evidence item per evidenced control: a JSON report of its checks' results in this run."""
    all_checks = checks.all_checks()
    controls = controls_of_checks(all_checks)
    results: dict[str, list[dict]] = defaultdict(list)
    rows = Finding.objects.filter(run=run).order_by("check_id", "resource__uid")
    for check_id, uid, name, region, status, reason in rows.values_list(
        "check_id", "resource__uid", "resource__name", "region", "status", "reason"
    ):
        results[check_id].append({"resource": uid, "name": name, "region": region, "status": status, "reason": reason})
    by_control: dict[str, list[checks.Check]] = defaultdict(list)
    for check in sorted(all_checks, key=lambda c: c.id):
        for ref in check.controls:
            if ref in controls:
                by_control[ref].append(check)
    collected_at = run.finished_at or timezone.now()
    valid_until = automated_evidence_valid_until(run.account, collected_at)
    with transaction.atomic(), ledger_batch():  # a scan's evidence lands whole, and the summary is refreshed once
        items = [
            _evidence_for(run, controls[ref], ref, control_checks, results, collected_at, valid_until)
            for ref, control_checks in sorted(by_control.items())
        ]
        evidence_summary_refresh(control_ids=[controls[ref].pk for ref in by_control])
    return items


def _evidence_for(run, control, ref, control_checks, results, collected_at, valid_until):
    report = {
        "control": ref,
        "scan": run.pk,
        "account": {"name": run.account.name, "account_id": run.account.account_id},
        "scan_state": run.state,
        "collected_at": collected_at.isoformat(),
        "checks": [_check_report(check, results.get(check.id, [])) for check in control_checks],
    }
    totals = defaultdict(int)
    for item in report["checks"]:
        for status, count in item["summary"].items():
            totals[status] += count
    summary = ", ".join(f"{count} {status}" for status, count in sorted(totals.items())) or "no resources"
    content = json.dumps(report, indent=1, sort_keys=True).encode()
    account = run.account.name
    return evidence_add(
        controls=[control],
        title=f"Automated checks of {control.ref} on {account} (scan {run.pk})",
        kind=EvidenceKind.AUTOMATED,
        upload=SimpleUploadedFile(f"scan-{run.pk}-{ref.replace(':', '-')}.json", content, "application/json"),
        description=f"{len(control_checks)} checks: {summary}.",
        produced_by=f"scan {run.pk} of {account}",
        collected_at=collected_at,
        valid_until=valid_until,
        refresh_summary=False,
    )


def _check_report(check: checks.Check, results: list[dict]) -> dict:
    summary = defaultdict(int)
    for item in results:
        summary[item["status"]] += 1
    return {
        "check": check.id,
        "title": check.title,
        "severity": check.severity,
        "resource_type": check.resource_type,
        "remediation": check.remediation,
        "summary": dict(summary),
        "results": results,
    }
