"""What an account's checks are judged with: each declared setting's value, default, and who changed it.

The pages, the API and the evidence reports read settings through here; writes go through
`scanners.services.check_setting_change` / `check_setting_reset`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanners.checks import base as checks
from scanners.models import CheckSetting, CloudAccount

UNUSED = "no check named {check_id} declares it any more: it judges nothing; reset it"
UNDECLARED = "{check_id} no longer declares this setting: the check reports an error until it is reset"


@dataclass
class SettingState:
    """One setting of one check in one account; `setting` is None for a stored value nothing declares."""

    check_id: str
    key: str
    check: checks.Check | None
    setting: checks.Setting | None
    stored: CheckSetting | None

    @property
    def overridden(self) -> bool:
        return self.stored is not None

    @property
    def value(self) -> Any:
        return self.stored.value if self.stored is not None else self.default

    @property
    def default(self) -> Any:
        return self.setting.default if self.setting is not None else None

    @property
    def problem(self) -> str:
        """Why the stored value cannot be judged with (the check's results are errors), or blank."""
        if self.stored is None:
            return ""
        if self.check is None:
            return UNUSED.format(check_id=self.check_id)
        if self.setting is None:
            return UNDECLARED.format(check_id=self.check_id)
        try:
            self.check.settings_with({self.key: self.stored.value})
        except checks.SettingError as exc:
            return str(exc)
        return ""


def check_settings_of(account: CloudAccount) -> list[SettingState]:
    """Every declared setting with the account's value (one query), then stored values nothing declares."""
    stored = {(row.check_id, row.key): row for row in account.check_settings.select_related("changed_by")}
    states = [
        SettingState(check.id, key, check, setting, stored.pop((check.id, key), None))
        for check in checks.all_checks()
        if check.provider == account.provider  # a GitHub organisation is never judged by AWS checks
        for key, setting in check.settings.items()
    ]
    for (check_id, key), row in sorted(stored.items()):
        states.append(SettingState(check_id, key, checks.REGISTRY.get(check_id), None, row))
    return states


def judged_with(check: checks.Check, overrides: Mapping[str, Any] | None) -> dict[str, dict]:
    """What an evidence report states of one check: each setting's value, default and whether it was overridden.

    An override the check does not declare, or that does not fit, is stated with the error the check reported.
    """
    overrides = overrides or {}
    stated = {}
    for key, setting in check.settings.items():
        value = overrides.get(key, setting.default)
        stated[key] = {"value": value, "default": setting.default, "overridden": key in overrides}
        if key in overrides and not checks.setting_fits(setting, value):
            stated[key]["error"] = f"{key} must be {checks.kind_name(setting)}"
    for key in sorted(set(overrides) - set(check.settings)):
        stated[key] = {"value": overrides[key], "overridden": True, "error": f"{check.id} has no setting {key!r}"}
    return stated
