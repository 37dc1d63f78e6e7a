"""The check registry: each check is a declared pure function from one resource document to a Result.

Checks import nothing of Django or boto3. A check that cannot decide (data missing, a read that failed,
an exception) reports an error, never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
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
SETTING_KINDS = (int, bool, str, list)


@dataclass(frozen=True)
class Setting:
    """A value a check is judged with, which the CISO may change per account; `default` applies otherwise.

    A list setting holds strings or integers (for example ports allowed from the internet).
    """

    default: Any
    help: str

    @property
    def kind(self) -> type:
        return type(self.default)


class SettingError(ValueError):
    """A setting override that does not fit the check's declaration."""


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    service: str
    resource_type: str
    severity: str
    controls: tuple[str, ...]
    remediation: str
    evaluate: Callable[..., Result]
    settings: Mapping[str, Setting] = dataclass_field(default_factory=dict)

    def settings_with(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The values this check is judged with: its defaults, replaced by the overrides it declares.

        An override for a setting the check does not declare, or of the wrong kind, is refused.
        """
        values = {key: setting.default for key, setting in self.settings.items()}
        for key, value in (overrides or {}).items():
            declared = self.settings.get(key)
            if declared is None:
                raise SettingError(f"{self.id} has no setting {key!r}")
            if not setting_fits(declared, value):
                raise SettingError(f"{self.id}: {key} must be {kind_name(declared)}, not {value!r}")
            values[key] = value
        return values

    def run(self, document: dict, overrides: Mapping[str, Any] | None = None) -> Result:
        """Judge one document; a check with settings also receives its values as `settings`."""
        if document.get("type") != self.resource_type:
            return Result.error(f"{self.id} judges {self.resource_type}, not {document.get('type')!r}")
        try:
            values = self.settings_with(overrides)  # an override the check no longer declares is refused too
            result = self.evaluate(document, values) if self.settings else self.evaluate(document)
        except SettingError as exc:
            return Result.error(str(exc))
        except MissingData as exc:
            return Result.error(str(exc))
        except Exception as exc:  # a check that breaks must not look like a pass
            return Result.error(f"the check could not run: {type(exc).__name__}: {exc}")
        if not isinstance(result, Result):
            return Result.error(f"the check returned {result!r} instead of a result")
        return result

    @property
    def provider(self) -> str:
        """The source whose documents the check judges: `aws`, `github` (the resource type's first part)."""
        return self.resource_type.split(".", 1)[0]

    def controls_of(self, framework: str) -> list[str]:
        return [ref.split(":", 1)[1] for ref in self.controls if ref.startswith(framework + ":")]


REGISTRY: dict[str, Check] = {}


def setting_fits(setting: Setting, value: Any) -> bool:
    if setting.kind is bool or isinstance(value, bool):
        return setting.kind is bool and isinstance(value, bool)
    if setting.kind is list:
        # Items of the default's kind: ports given as text would silently match nothing.
        return isinstance(value, list) and all(type(item) in list_item_kinds(setting) for item in value)
    if setting.kind is int:
        return isinstance(value, int) and value >= 0
    return isinstance(value, setting.kind)


def list_item_kinds(setting: Setting) -> tuple[type, ...]:
    """What a list setting's items may be: the kind of its default's items, or text and whole numbers."""
    kinds = {type(item) for item in setting.default}
    return tuple(kinds) if len(kinds) == 1 and kinds <= {str, int} else (str, int)


def kind_name(setting: Setting) -> str:
    if setting.kind is list:
        items = {(int,): "whole numbers", (str,): "text"}.get(list_item_kinds(setting), "text or whole numbers")
        return f"a list of {items}"
    return {int: "a whole number (0 or more)", bool: "true or false", str: "text"}[setting.kind]


def check(
    *,
    id: str,
    title: str,
    resource: str,
    severity: str,
    controls: Iterable[str],
    remediation: str,
    settings: Mapping[str, Setting] | None = None,
):
    """Register the decorated function as a check; the function itself is returned unchanged.

    A check that declares `settings` is called as `evaluate(document, settings)` with their values.
    """
    controls = tuple(controls)
    settings = dict(settings or {})
    for key, setting in settings.items():
        if setting.kind not in SETTING_KINDS or not setting_fits(setting, setting.default):
            raise ValueError(f"{id}: setting {key!r} has a default of an unsupported kind: {setting.default!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"{id}: severity {severity!r} is not one of {SEVERITIES}")
    for ref in controls:
        match = CONTROL_REF.match(ref)
        if not match or match["framework"] not in FRAMEWORKS:
            raise ValueError(f"{id}: {ref!r} is not a control reference like 'iso27001-2022:A.8.20'")

    def register(evaluate: Callable[..., Result]) -> Callable[..., Result]:
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
            settings=settings,
        )
        return evaluate

    return register


def service_of(evaluate: Callable, resource: str) -> str:
    """The service group a check belongs to: its module under scanners.checks.aws (`s3`), or under another
    source's package the source and module (`scanners.checks.github.repos` -> `github_repos`); else the
    resource type's service."""
    module = getattr(evaluate, "__module__", "")
    if module.startswith("scanners.checks.aws."):
        return module.rsplit(".", 1)[1]
    if module.startswith("scanners.checks.") and module.count(".") == 3:
        source, name = module.split(".")[2:]
        return f"{source}_{name}"
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


def none_open_too_long(
    items: list[dict],
    *,
    now: datetime,
    max_age_days: int,
    opened_at: Callable[[dict], datetime],
    describe: Callable[[dict], str],
    what: str,
) -> Result:
    """Failed when an item (a finding, an alert) has been open more than `max_age_days`, naming the oldest
    offenders and their ages; passed otherwise, saying how many are open. `what`: "active critical findings"."""
    limit = timedelta(days=max_age_days)
    old = [f"{describe(item)} ({age.days} days)" for item in items if (age := now - opened_at(item)) > limit]
    if old:
        return Result.failed(f"{what} open for more than {max_age_days} days: {listed(old, 3)}")
    if items:
        return Result.passed(f"{len(items)} {what}, all younger than {max_age_days} days")
    return Result.passed(f"no {what}")


def listed(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(str(item) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
