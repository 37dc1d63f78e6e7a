"""Resource documents as collectors produce them (`dataclasses.asdict(ResourceDoc)`), for check tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import scanners.checks.aws  # noqa: F401  (registers the checks)
from scanners.checks.base import REGISTRY, Result, Status

DENIED = "access denied: GetSomething: AccessDenied User is not authorized"


def doc(type: str, *, tags: dict | None = None, errors: dict | None = None, name: str = "resource", **config) -> dict:
    return {
        "uid": f"uid-of-{name}",
        "type": type,
        "region": "eu-west-1",
        "name": name,
        "tags": tags or {},
        "config": {**config, "errors": errors or {}},
    }


def without(document: dict, key: str) -> dict:
    """The document as if the collector had never read `key`."""
    trimmed = copy.deepcopy(document)
    trimmed["config"].pop(key)
    return trimmed


def failed_read(document: dict, key: str, reason: str = DENIED) -> dict:
    """The document as the collector writes it when the read of `key` failed."""
    broken = copy.deepcopy(document)
    broken["config"][key] = None
    broken["config"]["errors"][key] = reason
    return broken


@dataclass(frozen=True)
class Case:
    check: str
    expected: Status
    document: dict
    story: str
    reason: str = ""  # a fragment the one-line reason must contain

    def run(self) -> Result:
        return REGISTRY[self.check].run(self.document)


def case_id(case: Case) -> str:
    return f"{case.check}:{case.expected.value}:{case.story}"


def assert_case(case: Case) -> None:
    result = case.run()
    assert result.status == case.expected, f"{case.story}: got {result}"
    assert case.reason.lower() in result.reason.lower(), f"{case.story}: reason {result.reason!r}"
    assert "\n" not in result.reason
