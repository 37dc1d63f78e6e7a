"""Reading the JSON of `terraform show -json PLANFILE` (Terraform's plan representation, format 1.x).

What the checks need of it: each planned managed resource with its values after apply (`change.after`), the
values known only after apply (`change.after_unknown`), and from `configuration` which attributes the code sets
and which other resources they refer to (a new bucket's versioning names `aws_s3_bucket.logs.id`, a value the
plan does not know yet, so the link is read from the configuration).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scanners.plan.unknown import Unknown, is_known

SUPPORTED_FORMATS = ("1.",)
JUDGED_ACTIONS = ({"create"}, {"update"}, {"no-op"}, {"delete", "create"}, {"create", "delete"})
INDEX = re.compile(r"\[[^\]]*\]")
NOT_RESOURCES = {"var", "local", "module", "data", "each", "count", "path", "self", "terraform"}
UNSET = object()  # `get(..., unset=UNSET)`: no default for an attribute the code leaves to the provider


class PlanError(ValueError):
    """The file is not a Terraform plan this reader understands; the message says what is wrong."""


@dataclass
class PlanResource:
    """One planned managed resource (one instance of a `count` or `for_each`)."""

    address: str
    type: str
    name: str
    index: Any
    module: str  # "" in the root module, else "module.network" (instance keys removed)
    actions: list[str]
    values: dict  # `after`, with an Unknown wherever `after_unknown` marks a value
    expressions: dict = field(default_factory=dict)  # this resource's configuration, as `configuration` gives it
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # references and identifiers, read once

    @property
    def config_address(self) -> str:
        return f"{self.module + '.' if self.module else ''}{self.type}.{self.name}"

    def get(self, path: str, unset: Any = UNSET) -> Any:
        """The planned value at `path` (`versioning_configuration.0.status`).

        A value the code does not set and the plan does not know is the provider's to choose: with `unset`
        given, that is the value AWS gives a new resource; otherwise it stays Unknown. A value the code sets
        but the plan does not know stays Unknown whatever `unset` says.
        """
        value: Any = self.values
        for part in path.split("."):
            if isinstance(value, Unknown):
                break
            if isinstance(value, list):
                value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
            elif isinstance(value, dict):
                value = value.get(part)
            else:
                value = None
            if value is None:
                break
        top = path.split(".", 1)[0]
        if unset is not UNSET and (value is None or (isinstance(value, Unknown) and not self.sets(top))):
            return unset
        return value

    def block(self, name: str) -> dict:
        """The first (only) nested block `name`, or {} when the code has none."""
        blocks = self.get(name, unset=[])
        if isinstance(blocks, Unknown):
            return {}
        return blocks[0] if blocks else {}

    def sets(self, attribute: str) -> bool:
        """The configuration gives this attribute a value (a constant or an expression)."""
        return attribute in self.expressions

    def references(self, attribute: str) -> set[str]:
        """Configuration addresses of the resources the attribute's expression refers to."""
        key = ("references", attribute)
        if key not in self.memo:
            self.memo[key] = self.referenced(attribute)
        return self.memo[key]

    def referenced(self, attribute: str) -> set[str]:
        found: set[str] = set()
        for reference in references_in(self.expressions.get(attribute)):
            parts = INDEX.sub("", reference).split(".")
            if len(parts) >= 2 and parts[0] not in NOT_RESOURCES:
                found.add(f"{self.module + '.' if self.module else ''}{parts[0]}.{parts[1]}")
        return found

    def identifiers(self) -> set[str]:
        """The known values other resources may name this one by (id, ARN, name, bucket)."""
        if "identifiers" not in self.memo:
            self.memo["identifiers"] = self.known_names()
        return self.memo["identifiers"]

    def known_names(self) -> set[str]:
        return {
            value
            for key in ("id", "arn", "name", "bucket", "key_id")
            if isinstance(value := self.values.get(key), str) and is_known(value)
        }


def known_strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [one for one in values if isinstance(one, str)]


def references_in(expression: Any) -> list[str]:
    if isinstance(expression, dict):
        found = list(expression.get("references") or [])
        for key, value in expression.items():
            if key not in ("references", "constant_value"):
                found += references_in(value)
        return found
    if isinstance(expression, list):
        return [reference for item in expression for reference in references_in(item)]
    return []


def filled(after: Any, unknown: Any, path: str) -> Any:
    """`after` with an Unknown wherever `after_unknown` says the value is known only after apply."""
    if unknown is True:
        return Unknown(path)
    if isinstance(after, dict):
        marks = unknown if isinstance(unknown, dict) else {}
        keys = set(after) | {key for key, mark in marks.items() if mark is True or isinstance(mark, dict | list)}
        return {key: filled(after.get(key), marks.get(key), f"{path}.{key}") for key in keys}
    if isinstance(after, list):
        marks = unknown if isinstance(unknown, list) else []
        return [filled(item, marks[i] if i < len(marks) else None, f"{path}[{i}]") for i, item in enumerate(after)]
    return after


class Plan:
    """The planned resources of one `terraform show -json` document, with their configuration."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise PlanError("a plan is a JSON object, the output of `terraform show -json PLANFILE`")
        version = data.get("format_version")
        if not isinstance(version, str) or not version.startswith(SUPPORTED_FORMATS):
            raise PlanError(f"format_version {version!r} is not a Terraform plan representation 1.x")
        changes = data.get("resource_changes", [])
        if not isinstance(changes, list):
            raise PlanError("resource_changes must be a list")
        self.variables = {key: (item or {}).get("value") for key, item in (data.get("variables") or {}).items()}
        self.configuration = data.get("configuration") or {}
        expressions = configured_resources(self.configuration.get("root_module") or {}, "")
        for item in changes:
            malformed(item)
        self.resources = [resource_of(item, expressions) for item in changes if judged(item)]
        self.by_config: dict[str, list[PlanResource]] = {}
        self.by_type: dict[str, list[PlanResource]] = {}
        self.position = {id(resource): number for number, resource in enumerate(self.resources)}
        self.indexes: dict[tuple, Any] = {}  # links between resources, built once per kind of link
        for resource in self.resources:
            self.by_config.setdefault(resource.config_address, []).append(resource)
            self.by_type.setdefault(resource.type, []).append(resource)

    def of_type(self, *types: str) -> list[PlanResource]:
        return [resource for kind in types for resource in self.by_type.get(kind, [])]

    def pointing_at(self, target: PlanResource, attribute: str, *types: str) -> list[PlanResource]:
        """Resources of `types` whose `attribute` names `target`: by a known identifier, else by reference."""
        key = ("pointing", attribute, types)
        if key not in self.indexes:
            by_value: dict[str, list[PlanResource]] = {}
            by_reference: dict[str, dict[Any, list[PlanResource]]] = {}
            for item in self.of_type(*types):
                for value in known_strings(item.get(attribute)):
                    by_value.setdefault(value, []).append(item)
                for reference in item.references(attribute):
                    by_reference.setdefault(reference, {}).setdefault(item.index, []).append(item)
            self.indexes[key] = (by_value, by_reference)
        by_value, by_reference = self.indexes[key]
        found = [item for value in target.identifiers() for item in by_value.get(value, [])]
        referring = by_reference.get(target.config_address, {})
        if len(self.by_config.get(target.config_address, [])) == 1:
            found += [item for items in referring.values() for item in items]
        else:  # a reference to a resource with several instances names the one of the same index
            found += referring.get(target.index, [])
        return self.in_plan_order(found)

    def referred(self, item: PlanResource, attribute: str, *types: str) -> list[PlanResource]:
        """The planned resources of `types` that `item.attribute` names."""
        key = ("referred", types)
        if key not in self.indexes:
            by_identifier: dict[str, list[PlanResource]] = {}
            for target in self.of_type(*types):
                for value in target.identifiers():
                    by_identifier.setdefault(value, []).append(target)
            self.indexes[key] = by_identifier
        by_identifier = self.indexes[key]
        found = [target for value in known_strings(item.get(attribute)) for target in by_identifier.get(value, [])]
        for reference in item.references(attribute):
            found += [
                target
                for target in self.by_config.get(reference, [])
                if target.type in types and self.same_instance(item, target)
            ]
        return self.in_plan_order(found)

    def same_instance(self, item: PlanResource, target: PlanResource) -> bool:
        """A reference to a resource with several instances (count, for_each) names the one of the same index."""
        return len(self.by_config.get(target.config_address, [])) == 1 or item.index == target.index

    def in_plan_order(self, items: list[PlanResource]) -> list[PlanResource]:
        unique = {id(item): item for item in items}
        return sorted(unique.values(), key=lambda item: self.position[id(item)])

    def region(self) -> str:
        """The AWS provider's region: a constant or a variable of the root module, else unknown."""
        provider = (self.configuration.get("provider_config") or {}).get("aws") or {}
        region = (provider.get("expressions") or {}).get("region") or {}
        if "constant_value" in region:
            return str(region["constant_value"])
        for reference in region.get("references") or []:
            if reference.startswith("var.") and isinstance(self.variables.get(reference[4:]), str):
                return self.variables[reference[4:]]
        return "unknown"


def malformed(item: Any) -> None:
    """Raise PlanError for a resource change that is not shaped as the plan representation says."""
    if not isinstance(item, dict):
        raise PlanError(f"a resource change must be an object, not {str(item)[:80]}")
    address = item.get("address")
    if not isinstance(address, str) or not isinstance(item.get("type"), str):
        raise PlanError(f"a resource change without its address or type: {str(item)[:120]}")
    change = item.get("change")
    if not isinstance(change, dict) or not isinstance(change.get("actions"), list):
        raise PlanError(f"{address}: change.actions must be a list")


def judged(item: dict) -> bool:
    """Managed resources that will exist after apply; deletions and data sources are not judged."""
    if item.get("mode", "managed") != "managed":
        return False
    actions = set(item["change"]["actions"])
    return any(actions == allowed for allowed in JUDGED_ACTIONS)


def resource_of(item: dict, expressions: dict[str, dict]) -> PlanResource:
    change = item["change"]
    address, kind = item["address"], item["type"]
    after = change.get("after")
    if not isinstance(after, dict):
        raise PlanError(f"{address}: change.after must be an object")
    module = INDEX.sub("", item.get("module_address") or "")
    resource = PlanResource(
        address=address,
        type=kind,
        name=str(item.get("name")),
        index=item.get("index"),
        module=module,
        actions=list(change.get("actions") or []),
        values=filled(after, change.get("after_unknown") or {}, address),
    )
    resource.expressions = expressions.get(resource.config_address, {})
    return resource


def configured_resources(module: dict, prefix: str) -> dict[str, dict]:
    """Each configured resource's expressions by configuration address, through nested module calls."""
    found = {
        f"{prefix}{item.get('type')}.{item.get('name')}": item.get("expressions") or {}
        for item in module.get("resources") or []
        if item.get("mode", "managed") == "managed"
    }
    for name, call in (module.get("module_calls") or {}).items():
        found.update(configured_resources(call.get("module") or {}, f"{prefix}module.{name}."))
    return found
