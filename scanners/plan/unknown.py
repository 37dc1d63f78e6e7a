"""Values a Terraform plan does not know yet, and documents that refuse to be judged on them.

A planned resource's document holds an `Unknown` wherever the plan says "known after apply". The document is
handed to the checks as a `PlanDict`: reading an unknown value (or using one that slipped through, in any
way: truth, comparison, iteration, text) raises MissingData, which `Check.run` turns into an error result.
So a check that needs a value the plan does not know says so, and a check that does not need it still
judges: no check is taught about plans.
"""

from __future__ import annotations

from typing import Any, NoReturn

from scanners.checks.base import MissingData


class Unknown:
    """A value known only after apply; `path` names the Terraform attribute (`aws_s3_bucket.logs.policy`)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        object.__setattr__(self, "path", path)

    def refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise MissingData(f"unknown until apply: {self.path}")

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = refuse
    __iter__ = __len__ = __contains__ = __getitem__ = __str__ = __format__ = __int__ = __float__ = refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __index__ = refuse

    def __getattr__(self, name: str) -> NoReturn:
        raise MissingData(f"unknown until apply: {self.path}")

    def __repr__(self) -> str:
        return f"<unknown until apply: {object.__getattribute__(self, 'path')}>"


def is_known(value: Any) -> bool:
    return not isinstance(value, Unknown)


def refuse_unknown(value: Any) -> Any:
    if isinstance(value, Unknown):
        value.refuse()
    return value


class PlanDict(dict):
    """A dict whose unknown values raise MissingData when read."""

    def __getitem__(self, key: Any) -> Any:
        return refuse_unknown(super().__getitem__(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return refuse_unknown(super().get(key, default))

    def values(self):  # type: ignore[override]
        return [refuse_unknown(value) for value in super().values()]

    def items(self):  # type: ignore[override]
        return [(key, refuse_unknown(value)) for key, value in super().items()]


class PlanList(list):
    """A list whose unknown items raise MissingData when read."""

    def __getitem__(self, index: Any) -> Any:
        return refuse_unknown(super().__getitem__(index))

    def __iter__(self):
        for value in super().__iter__():
            yield refuse_unknown(value)


def guarded(value: Any) -> Any:
    """The document (or any part of it) as the checks see it: unknown values refuse to be read."""
    if isinstance(value, dict):
        return PlanDict({key: guarded(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return PlanList(guarded(item) for item in value)
    return value


def unknown_paths(value: Any) -> list[str]:
    """Every unknown value inside a document, by the Terraform attribute it stands for."""
    if isinstance(value, Unknown):
        return [object.__getattribute__(value, "path")]
    if isinstance(value, dict):
        return [path for item in value.values() for path in unknown_paths(item)]
    if isinstance(value, list | tuple):
        return [path for item in value for path in unknown_paths(item)]
    return []
