"""Validation against NIST's official OSCAL 1.1.3 JSON schemas (tests/oscal_schemas/)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import regex
from jsonschema import Draft7Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

SCHEMAS = Path(__file__).resolve().parent.parent / "oscal_schemas"  # see its README: NIST's OSCAL v1.1.3 release
SCHEMA_OF_ROOT = {
    "catalog": "oscal_catalog_schema.json",
    "profile": "oscal_profile_schema.json",
    "system-security-plan": "oscal_ssp_schema.json",
    "assessment-results": "oscal_assessment-results_schema.json",
}


def ecma_pattern(validator, pattern: str, instance, schema):
    """JSON Schema patterns are ECMA-262 regular expressions, and OSCAL's use Unicode classes (`\\p{L}`) that
    Python's `re` lacks; the `regex` module reads them as ECMA does."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = validators.extend(Draft7Validator, {"pattern": ecma_pattern})


@cache
def validator_for(root: str):
    schema = json.loads((SCHEMAS / SCHEMA_OF_ROOT[root]).read_text())
    return OscalValidator(schema, format_checker=FormatChecker())


def schema_errors(document: dict) -> list[str]:
    """Every way the document breaks its model's official schema, as `path: message`."""
    roots = [root for root in document if root in SCHEMA_OF_ROOT]
    if len(roots) != 1:
        return [f"not one OSCAL model at the root: {sorted(document)}"]
    errors = validator_for(roots[0]).iter_errors(document)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}" for error in errors]
