"""The plans the tests judge: JSON written by the Terraform CLI (`make_plans.sh`) from terraform/<case>/main.tf."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from scanners.plan.reader import Plan
from scanners.plan.runner import PlanFinding, plan_findings

HERE = Path(__file__).resolve().parent
PLANS = HERE / "plans"


@cache
def plan_data(name: str) -> dict:
    return json.loads((PLANS / f"{name}.json").read_text(encoding="utf-8"))


def findings_of(name: str, overrides: dict | None = None) -> list[PlanFinding]:
    return plan_findings(Plan(plan_data(name)), overrides)


def verdicts(findings: list[PlanFinding]) -> dict[tuple[str, str], str]:
    """{(check, address): status}"""
    return {(item.check, item.address): item.status for item in findings}
