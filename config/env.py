"""Reading settings from the environment, loudly: a bad value stops start-up."""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_map(name: str, *, values: tuple[str, ...], default: str = "") -> dict[str, str]:
    """`key=value,key=value` (e.g. OIDC_ROLE_MAP=ct-ciso=ciso,ct-auditors=auditor); every value must be one of
    `values`."""
    mapping = {}
    for item in env_list(name, default.split(",") if default else []):
        key, sep, value = item.rpartition("=")
        if not sep or not key.strip() or value.strip() not in values:
            raise ImproperlyConfigured(f"{name}: {item!r} must be GROUP=ROLE with ROLE one of {', '.join(values)}")
        mapping[key.strip()] = value.strip()
    return mapping
