"""Turning a finished scan into what the register reads: automated statuses and automated evidence.

Control statuses come from the latest result per (account, check, resource) of every enabled account,
not from one run: a scan of account B must not hide what failed in account A. Which checks speak for
which control is `scanners.verdict`'s one rule: the checks that name it, and those of the controls
mapped to it as `equal` (ISO 27001:2022 A.8.20 and 2013 A.13.1.1); statuses and evidence both follow it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from compliance.models import AutomatedStatus, ControlState
from evidence.models import EvidenceKind, EvidencePart
from evidence.services import evidence_add, evidence_parts_store, evidence_summary_refresh
from ledger.chain import ledger_batch
from scanners.check_settings import judged_with
from scanners.checks import base as checks
from scanners.collectors.base import services_of
from scanners.models import CheckStatus, Finding, FindingStatus, RunState, ScanRun
from scanners.services import automated_evidence_valid_until
from scanners.verdict import Speaks, checks_deciding

STATUS_COUNTERS = {
    FindingStatus.PASS: "checks_passed",
    FindingStatus.FAIL: "checks_failed",
    FindingStatus.ERROR: "checks_errored",
}
RULE = (
    "A control's automated status and this report cover the checks that name the control and those of "
    "the controls mapped to it as equal; partial mappings (subset, superset, intersect) never count."
)
SETTINGS_RULE = (
    "Each check states the settings it was judged with: the account's value where the CISO set one "
    "(overridden), else the check's default, as they stood when the scan was planned."
)
RESULTS_RULE = (
    "Each check's results (resource, status, reason) are in the file named under `results`, stored once and "
    "shared by the reports of every control the check speaks for; its SHA-256 is recorded here, so this report's "
    "own hash covers it. Downloads and the audit package re-hash it before sending it."
)
AUTOMATED_FIELDS = ["automated_status", "checks_passed", "checks_failed", "checks_errored", "automated_at"]


def scan_conclude(*, run: ScanRun) -> None:
    """After the last unit. A failed run (nothing read) updates the statuses but evidences nothing."""
    automated_statuses_refresh()
    if run.state != RunState.FAILED:
        scan_evidence_record(run=run)


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
    """Rewrite ControlState's automated columns: every control a check speaks for, and reset the others.

    Resetting matters when the rule or the registry changes: a status no check speaks for any more
    (one an earlier rule spread through a partial mapping, or one of a removed check) must not linger.
    """
    deciding = checks_deciding()
    outcomes, now = check_outcomes(), timezone.now()
    states = [_control_state(control.pk, speaks, outcomes, now) for control, speaks in deciding.items()]
    ControlState.objects.bulk_create(
        states,
        update_conflicts=True,
        unique_fields=["control"],
        update_fields=AUTOMATED_FIELDS,
        batch_size=1000,
    )
    not_automated = {"automated_status": AutomatedStatus.NONE, "automated_at": None}
    not_automated |= {counter: 0 for counter in STATUS_COUNTERS.values()}
    ControlState.objects.exclude(control_id__in=[control.pk for control in deciding]).exclude(**not_automated).update(
        **not_automated
    )
    return len(states)


def mapping_changed(**kwargs) -> None:
    """A mapping was saved or deleted (admin, API): statuses follow the corrected catalog once it commits."""
    transaction.on_commit(automated_statuses_refresh)


def _control_state(control_id: int, speaks: dict[str, Speaks], outcomes: dict[str, str], now) -> ControlState:
    state = ControlState(control_id=control_id, automated_at=now)
    for check_id in speaks:
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
    """One automated evidence item per control some check speaks for: a JSON report of those checks in this run.

    Each check's results are stored once (evidence_part_store: one compact JSON file, shared by every control the
    check speaks for, and by later scans while they stay the same); each control's report names them by SHA-256
    and is linked to them, so its own hash covers theirs. The report lists the same checks that decide the
    control's status, each with why it speaks for it.
    """
    scanned = services_of(run.account.provider)  # an AWS scan says nothing about a GitHub control, nor the reverse
    registry = {check.id: check for check in checks.all_checks() if check.service in scanned}
    deciding = checks_deciding(registry.values())
    collected_at = run.finished_at or timezone.now()
    valid_until = automated_evidence_valid_until(run.account, collected_at)
    evidenced = sorted(deciding, key=lambda control: (control.framework.slug, control.sort_key))
    spoken_for = sorted({check_id for control in evidenced for check_id in deciding[control]})
    with transaction.atomic(), ledger_batch():  # a scan's evidence lands whole, and the summary is refreshed once
        shared = _check_results_store(run, [registry[check_id] for check_id in spoken_for])
        items = [
            _evidence_for(run, control, deciding[control], shared, collected_at, valid_until) for control in evidenced
        ]
        evidence_summary_refresh(control_ids=[control.pk for control in evidenced])
    return items


def compact_json(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class CheckResults:
    """One check's results in a run, stored once, and what each report that names them repeats."""

    part: EvidencePart
    summary: dict[str, int]
    settings: dict


def _check_results_store(run: ScanRun, speaking: list[checks.Check]) -> dict[str, CheckResults]:
    results: dict[str, list[dict]] = defaultdict(list)
    rows = Finding.objects.filter(run=run, check_id__in=[check.id for check in speaking])
    for check_id, uid, name, region, status, reason in rows.order_by("check_id", "resource__uid").values_list(
        "check_id", "resource__uid", "resource__name", "region", "status", "reason"
    ):
        results[check_id].append({"resource": uid, "name": name, "region": region, "status": status, "reason": reason})
    settings = {check.id: judged_with(check, run.check_settings.get(check.id)) for check in speaking}
    summaries = {check.id: dict(Counter(item["status"] for item in results.get(check.id, []))) for check in speaking}
    # Nothing of the run or its time in the file: the same results on the next scan are the same file, stored once.
    contents = {
        f"{check.id}-results.json": compact_json(
            {
                "check": check.id,
                "title": check.title,
                "severity": check.severity,
                "resource_type": check.resource_type,
                "remediation": check.remediation,
                "account": {"name": run.account.name, "account_id": run.account.account_id},
                "settings": settings[check.id],
                "summary": summaries[check.id],
                "results": results.get(check.id, []),
            }
        )
        for check in speaking
    }
    parts = evidence_parts_store(contents)
    return {
        check.id: CheckResults(parts[f"{check.id}-results.json"], summaries[check.id], settings[check.id])
        for check in speaking
    }


def _evidence_for(run, control, speaks, shared: dict[str, CheckResults], collected_at, valid_until):
    key = f"{control.framework.slug}:{control.ref}"
    reports = [_check_report(check_id, speaks[check_id], shared[check_id]) for check_id in sorted(speaks)]
    report = {
        "control": key,
        "scan": run.pk,
        "account": {"name": run.account.name, "account_id": run.account.account_id},
        "scan_state": run.state,
        "collected_at": collected_at.isoformat(),
        "rule": RULE,
        "settings_rule": SETTINGS_RULE,
        "results_rule": RESULTS_RULE,
        "checks": reports,
    }
    totals = Counter()
    for item in reports:
        totals.update(item["summary"])
    summary = ", ".join(f"{count} {status}" for status, count in sorted(totals.items())) or "no resources"
    through = sorted({item["through"] for item in reports if item["through"]})
    via = f" ({', '.join(through)} mapped as equal)" if through else ""
    account = run.account.name
    return evidence_add(
        controls=[control],
        title=f"Automated checks of {control.ref} on {account} (scan {run.pk})",
        kind=EvidenceKind.AUTOMATED,
        upload=SimpleUploadedFile(
            f"scan-{run.pk}-{key.replace(':', '-')}.json", compact_json(report), "application/json"
        ),
        description=f"{len(reports)} checks{via}: {summary}.",
        produced_by=f"scan {run.pk} of {account}",
        collected_at=collected_at,
        valid_until=valid_until,
        refresh_summary=False,
        parts=[shared[check_id].part for check_id in speaks],
    )


def _check_report(check_id: str, speaks: Speaks, stored: CheckResults) -> dict:
    part = stored.part
    return {
        "check": check_id,
        "why": speaks.why,
        "through": speaks.through_key,
        "settings": stored.settings,
        "summary": stored.summary,
        "results": {
            "file": part.name,
            "sha256": part.sha256,
            "size": part.size,
            "part": part.pk,
            "download": part.get_absolute_url(),
        },
    }
