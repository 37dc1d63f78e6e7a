"""Checks: small declared pure functions from one resource document to a result. No boto3, no Django.

The AWS checks (`scanners.checks.aws`) register themselves in REGISTRY when imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Result:
    status: Status
    reason: str = ""


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    service: str
    resource_type: str
    severity: str
    controls: tuple[str, ...]
    remediation: str
    evaluate: Callable[[dict], Result]

    def run(self, doc: dict) -> Result:
        """A check that raises could not judge the resource: that is an error, never a pass."""
        try:
            return self.evaluate(doc)
        except Exception as exc:  # noqa: BLE001 - any failure of a check is reported as its result
            return Result(Status.ERROR, f"the check could not evaluate this resource: {exc!r}")


REGISTRY: dict[str, Check] = {}


def checks_for(resource_type: str) -> list[Check]:
    return [check for check in REGISTRY.values() if check.resource_type == resource_type]


def all_checks() -> list[Check]:
    return list(REGISTRY.values())
