"""The check registry: each check is a declared pure function from one resource document to a Result.

Checks import nothing of Django or boto3. A check that cannot decide (data missing, a read that failed,
an exception) reports an error, never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Result:
    status: Status
    reason: str = ""

    @classmethod
    def passed(cls, reason: str = "") -> Result:
        return cls(Status.PASS, reason)

    @classmethod
    def failed(cls, reason: str) -> Result:
        return cls(Status.FAIL, reason)

    @classmethod
    def error(cls, reason: str) -> Result:
        return cls(Status.ERROR, reason)

    @classmethod
    def not_applicable(cls, reason: str) -> Result:
        return cls(Status.NOT_APPLICABLE, reason)


class MissingData(Exception):
    """The document lacks what the check needs, or the read that would have provided it failed."""


SEVERITIES = ("critical", "high", "medium", "low")
FRAMEWORKS = ("iso27001-2022", "iso27001-2013", "soc2-2017")
CONTROL_REF = re.compile(r"^(?P<framework>[a-z0-9-]+):(?P<ref>[A-Z0-9][A-Za-z0-9.]*)$")


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

    def run(self, document: dict) -> Result:
        if document.get("type") != self.resource_type:
            return Result.error(f"{self.id} judges {self.resource_type}, not {document.get('type')!r}")
        try:
            result = self.evaluate(document)
        except MissingData as exc:
            return Result.error(str(exc))
        except Exception as exc:  # a check that breaks must not look like a pass
            return Result.error(f"the check could not run: {type(exc).__name__}: {exc}")
        if not isinstance(result, Result):
            return Result.error(f"the check returned {result!r} instead of a result")
        return result

    def controls_of(self, framework: str) -> list[str]:
        return [ref.split(":", 1)[1] for ref in self.controls if ref.startswith(framework + ":")]


REGISTRY: dict[str, Check] = {}


def check(*, id: str, title: str, resource: str, severity: str, controls: Iterable[str], remediation: str):
    """Register the decorated function as a check; the function itself is returned unchanged."""
    controls = tuple(controls)
    if severity not in SEVERITIES:
        raise ValueError(f"{id}: severity {severity!r} is not one of {SEVERITIES}")
    for ref in controls:
        match = CONTROL_REF.match(ref)
        if not match or match["framework"] not in FRAMEWORKS:
            raise ValueError(f"{id}: {ref!r} is not a control reference like 'iso27001-2022:A.8.20'")

    def register(evaluate: Callable[[dict], Result]) -> Callable[[dict], Result]:
        if id in REGISTRY:
            raise ValueError(f"check {id!r} is registered twice")
        REGISTRY[id] = Check(
            id=id,
            title=title,
            service=service_of(evaluate, resource),
            resource_type=resource,
            severity=severity,
            controls=controls,
            remediation=" ".join(remediation.split()),
            evaluate=evaluate,
        )
        return evaluate

    return register


def service_of(evaluate: Callable, resource: str) -> str:
    """The service group a check belongs to: its module under scanners.checks.aws, else the resource type."""
    module = getattr(evaluate, "__module__", "")
    if module.startswith("scanners.checks.aws."):
        return module.rsplit(".", 1)[1]
    return resource.split(".")[1]


def checks_for(resource_type: str) -> list[Check]:
    return [item for item in REGISTRY.values() if item.resource_type == resource_type]


def all_checks() -> list[Check]:
    return sorted(REGISTRY.values(), key=lambda item: item.id)


# Reading documents -------------------------------------------------------------------------------


def field(document: dict, key: str, *, allow_none: bool = False) -> Any:
    """A value of the document's configuration, or MissingData saying why it is not there."""
    config = document.get("config")
    if not isinstance(config, dict):
        raise MissingData("the resource document has no configuration")
    errors = config.get("errors") or {}
    if key in errors:
        raise MissingData(f"{key.replace('_', ' ')} could not be read: {errors[key]}")
    if key not in config:
        raise MissingData(f"{key.replace('_', ' ')} was not collected")
    value = config[key]
    if value is None and not allow_none:
        raise MissingData(f"{key.replace('_', ' ')} is unknown")
    return value


def tags(document: dict) -> dict:
    errors = (document.get("config") or {}).get("errors") or {}
    if "tags" in errors:
        raise MissingData(f"tags could not be read: {errors['tags']}")
    value = document.get("tags")
    if not isinstance(value, dict):
        raise MissingData("tags were not collected")
    return value


def timestamp(value: Any, what: str) -> datetime:
    """An ISO 8601 time from a document; a naive time is refused rather than guessed."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise MissingData(f"{what} is not a time: {value!r}") from exc
    else:
        raise MissingData(f"{what} is unknown")
    if moment.tzinfo is None:
        raise MissingData(f"{what} has no time zone: {value!r}")
    return moment


def listed(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(str(item) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
