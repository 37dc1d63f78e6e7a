"""Judging a plan: each planned resource's document through the same checks, with the account's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import scanners.checks.aws  # noqa: F401  (registers the AWS checks)
from scanners.checks.base import SEVERITIES, Check, Result, Status, checks_for
from scanners.plan.reader import Plan
from scanners.plan.translate import documents_of
from scanners.plan.unknown import guarded

# --fail-on: the least severe finding that fails the gate.
GATES = {"critical": 1, "high": 2, "medium": 3, "low": 4, "none": 0}
GATING_STATUSES = {Status.FAIL, Status.ERROR}  # an error (a value unknown until apply) is never a pass


@dataclass(frozen=True)
class PlanFinding:
    address: str
    resource_type: str
    check: str
    title: str
    severity: str
    status: str
    reason: str
    controls: tuple[str, ...]
    remediation: str

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "controls": list(self.controls)}


def plan_findings(plan: Plan, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[PlanFinding]:
    """Every check of every planned resource's type, in plan order; `overrides` are settings by check id."""
    overrides = overrides or {}
    findings = []
    for document in documents_of(plan):
        judged = guarded(document)
        for item in checks_for(document["type"]):
            result = judge(item, judged, overrides.get(item.id))
            findings.append(
                PlanFinding(
                    address=document["address"],
                    resource_type=document["type"],
                    check=item.id,
                    title=item.title,
                    severity=item.severity,
                    status=str(result.status),
                    reason=result.reason,
                    controls=item.controls,
                    remediation=item.remediation,
                )
            )
    return findings


def judge(item: Check, document: dict, overrides: Mapping[str, Any] | None) -> Result:
    if "unassembled" in document:
        return Result.error(document["unassembled"])
    return item.run(document, overrides)


def gate_tripped(findings: list[PlanFinding], fail_on: str) -> list[PlanFinding]:
    """The failures and errors at or above `fail_on` severity ("none": nothing trips the gate)."""
    rank = GATES[fail_on]
    return [item for item in findings if item.status in GATING_STATUSES and SEVERITIES.index(item.severity) + 1 <= rank]


def summary(findings: list[PlanFinding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in findings:
        counts[item.status] = counts.get(item.status, 0) + 1
    return dict(sorted(counts.items()))
