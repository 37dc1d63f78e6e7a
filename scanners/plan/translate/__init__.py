"""Planned Terraform resources turned into the documents the collectors produce, so the same checks judge them.

One translator per Terraform resource type that maps to a collected resource type; the resources that only
configure another one (`aws_s3_bucket_versioning`, `aws_security_group_rule`, `aws_lb_listener`, ...) are read
by the translator of what they configure. Each document keeps the plan `address` it came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scanners.checks.base import MissingData
from scanners.plan.reader import Plan, PlanResource
from scanners.plan.unknown import Unknown


@dataclass(frozen=True)
class Translator:
    terraform_type: str
    resource_type: str  # the collected type its documents are (aws.s3.bucket)
    reads: tuple[str, ...]  # Terraform types it merges in
    translate: Callable[[Plan, PlanResource], dict]


TRANSLATORS: dict[str, Translator] = {}


def translates(terraform_type: str, resource_type: str, reads: tuple[str, ...] = ()):
    def register(translate: Callable[[Plan, PlanResource], dict]) -> Callable[[Plan, PlanResource], dict]:
        if terraform_type in TRANSLATORS:
            raise ValueError(f"{terraform_type} is translated twice")
        TRANSLATORS[terraform_type] = Translator(terraform_type, resource_type, tuple(reads), translate)
        return translate

    return register


def documents_of(plan: Plan) -> Iterator[dict]:
    """A document per planned resource some translator knows, in plan order.

    A resource whose document cannot even be assembled (an unknown value decides its shape) yields a document
    that says why instead, under `unassembled`: every check of its type reports that as an error.
    """
    for resource in plan.resources:
        translator = TRANSLATORS.get(resource.type)
        if translator is None:
            continue
        try:
            yield {**translator.translate(plan, resource), "address": resource.address}
        except MissingData as exc:
            yield {"address": resource.address, "type": translator.resource_type, "unassembled": str(exc)}


def covered_types() -> dict[str, list[str]]:
    """Terraform resource types judged, by the collected resource type their documents become."""
    covered: dict[str, list[str]] = {}
    for item in TRANSLATORS.values():
        covered.setdefault(item.resource_type, []).extend([item.terraform_type, *item.reads])
    return {key: sorted(set(value)) for key, value in sorted(covered.items())}


def doc(*, resource: PlanResource, type: str, region: str, name: Any, config: dict, uid: Any = None) -> dict:
    """A document as `scanners.collectors.base.document` makes it, with `errors` empty (nothing failed to read).

    Its uid is the resource's ARN when the plan knows it (an update), else its address.
    """
    tags = resource.get("tags", unset={}) or {}
    uid = resource.get("arn") if uid is None else uid
    known_uid = uid if isinstance(uid, str) else None
    return {
        "uid": known_uid or resource.address,
        "type": type,
        "region": region,
        "name": name,
        "tags": tags if isinstance(tags, Unknown) else dict(tags),
        "config": {**config, "errors": {}},
    }


def json_value(value: Any) -> Any:
    """A JSON document given as text (a policy); None when empty, Unknown stays Unknown."""
    if isinstance(value, Unknown) or value is None:
        return value
    if isinstance(value, dict | list):
        return value
    text = str(value).strip()
    return json.loads(text) if text else None


def enabled_text(value: Any) -> Any:
    return value if isinstance(value, Unknown) else "Enabled" if value else "Disabled"


# Importing the modules registers their translators.
from scanners.plan.translate import (  # noqa: E402
    compute,
    elbv2,
    iam,
    kms,
    logging,
    network,
    rds,
    s3,
)

__all__ = ["compute", "elbv2", "iam", "kms", "logging", "network", "rds", "s3"]
