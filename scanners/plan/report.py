"""A plan's findings as text for people, JSON for scripts, and SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

from typing import Any

from scanners.checks.base import all_checks
from scanners.plan.runner import PlanFinding, summary

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# GitHub code scanning ranks security alerts by this property (0.1 to 10).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVELS = {"fail": "error", "error": "warning"}


def as_text(findings: list[PlanFinding]) -> str:
    lines = []
    for address in dict.fromkeys(item.address for item in findings):
        lines.append(address)
        for item in (finding for finding in findings if finding.address == address):
            controls = ", ".join(item.controls)
            lines.append(f"  {item.status.upper():14} {item.severity:8} {item.check}: {item.reason}")
            if item.status in LEVELS:
                lines.append(f"  {'':14} {'':8} evidences {controls}")
    counts = ", ".join(f"{count} {status}" for status, count in summary(findings).items()) or "nothing judged"
    lines.append(f"{len({item.address for item in findings})} resources, {len(findings)} results: {counts}")
    return "\n".join(lines) + "\n"


def as_json(findings: list[PlanFinding]) -> dict[str, Any]:
    return {"summary": summary(findings), "results": [item.as_json() for item in findings]}


def as_sarif(findings: list[PlanFinding], plan_uri: str) -> dict[str, Any]:
    """Failures and errors as SARIF results, each at the plan file with the resource address as its logical
    location; every check that judged something is a rule, tagged with the controls it evidences."""
    used = {item.check for item in findings}
    rules = [check for check in all_checks() if check.id in used]
    index = {check.id: position for position, check in enumerate(rules)}
    results = [
        {
            "ruleId": item.check,
            "ruleIndex": index[item.check],
            "level": LEVELS[item.status],
            "message": {"text": f"{item.address}: {item.reason or item.title}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": plan_uri}, "region": {"startLine": 1}},
                    "logicalLocations": [{"fullyQualifiedName": item.address, "kind": "resource"}],
                }
            ],
            "partialFingerprints": {"resourceAddress/v1": f"{item.address}:{item.check}"},
            "properties": {"status": item.status, "controls": list(item.controls)},
        }
        for item in findings
        if item.status in LEVELS
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ControlTrace",
                        "rules": [
                            {
                                "id": check.id,
                                "name": check.id,
                                "shortDescription": {"text": check.title},
                                "fullDescription": {"text": check.title},
                                "help": {"text": check.remediation},
                                "defaultConfiguration": {"level": "error"},
                                "properties": {
                                    "tags": ["security", *check.controls],
                                    "security-severity": SECURITY_SEVERITY[check.severity],
                                },
                            }
                            for check in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
