"""Telling environments apart by tags, as the checks of A.8.31 (separation of environments) need it.

Teams spell the tag key `environment`, `Environment` or `ENVIRONMENT`, and the value `Production` or
`prod`; keys and values are therefore compared without regard to case or surrounding spaces.
"""

from __future__ import annotations

from scanners.checks.base import Setting

TAG_KEY_SETTING = Setting("environment", "Tag key that names a VPC's, account's or OU's environment (any case)")
PRODUCTION_VALUES_SETTING = Setting(
    ["production", "prod"], "Values of the environment tag that mean production (any case)"
)


def environment_of(tags: dict, key: str) -> str | None:
    """The environment a resource's tags name, in lower case; None when the tag is absent or empty."""
    wanted = key.strip().lower()
    for tag_key, value in tags.items():
        if str(tag_key).strip().lower() == wanted and str(value or "").strip():
            return str(value).strip().lower()
    return None


def is_production(environment: str | None, production_values: list) -> bool:
    return environment is not None and environment in {str(value).strip().lower() for value in production_values}
