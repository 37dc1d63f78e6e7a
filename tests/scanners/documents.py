"""Resource documents as collectors produce them (`dataclasses.asdict(ResourceDoc)`), for check tests."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import scanners.checks.aws  # noqa: F401  (registers the checks)
from scanners.checks.base import REGISTRY, Result, Status, checks_for

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
    settings: dict | None = None  # overrides of the check's settings, as an account would set them

    def run(self) -> Result:
        return REGISTRY[self.check].run(self.document, self.settings)


def case_id(case: Case) -> str:
    return f"{case.check}:{case.expected.value}:{case.story}"


def assert_case(case: Case) -> None:
    result = case.run()
    assert result.status == case.expected, f"{case.story}: got {result}"
    assert case.reason.lower() in result.reason.lower(), f"{case.story}: reason {result.reason!r}"
    assert "\n" not in result.reason


@dataclass
class Scan:
    """What one service group yielded, judged by every check, as the scan engine would."""

    documents: list
    errors: list

    def named(self, name: str, type: str | None = None, region: str | None = None):
        matches = [
            item
            for item in self.documents
            if item.name == name and type in (None, item.type) and region in (None, item.region)
        ]
        assert len(matches) == 1, f"{len(matches)} documents named {name!r}: {[d.name for d in self.documents]}"
        return matches[0]

    def result(self, check_id: str, name: str, region: str | None = None) -> Result:
        check = REGISTRY[check_id]
        return check.run(asdict(self.named(name, check.resource_type, region)))

    def status(self, check_id: str, name: str, region: str | None = None) -> Status:
        return self.result(check_id, name, region).status

    def all_results(self) -> list[tuple[str, str, Result]]:
        """Every check on every document, and an error for every check of a type that could not be read."""
        judged = [
            (check.id, item.name, check.run(asdict(item))) for item in self.documents for check in checks_for(item.type)
        ]
        for error in self.errors:
            for resource_type in error.resource_types:
                judged += [(check.id, error.region, Result.error(error.reason)) for check in checks_for(resource_type)]
        return judged

    def error_for(self, resource_type: str):
        return next((error for error in self.errors if resource_type in error.resource_types), None)


def scan(group: str, regions=("eu-west-1",), factory=None) -> Scan:
    import scanners.collectors.aws  # noqa: F401  (registers the service groups)
    from scanners.aws import ClientFactory
    from scanners.collectors.base import SERVICE_GROUPS, CollectionError

    service = SERVICE_GROUPS[group]
    factory = factory or ClientFactory()
    items = []
    for region in regions[:1] if service.is_global else regions:
        items += list(service.collect(factory, region))
    return Scan(
        documents=[item for item in items if not isinstance(item, CollectionError)],
        errors=[item for item in items if isinstance(item, CollectionError)],
    )
