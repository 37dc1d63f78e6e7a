"""What a collector yields: plain documents about resources, or the reads it could not do.

The AWS collectors (`scanners.collectors.aws`) fill SERVICE_GROUPS when imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanners.aws import ClientFactory


@dataclass(frozen=True)
class ResourceDoc:
    uid: str
    type: str
    region: str
    name: str
    tags: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CollectionError:
    """A read that failed: every check of these resource types becomes an error, never a pass."""

    resource_types: tuple[str, ...]
    region: str
    reason: str


@dataclass(frozen=True)
class ServiceGroup:
    name: str
    is_global: bool
    resource_types: tuple[str, ...]
    collect: Callable[[ClientFactory, str], Iterator[ResourceDoc | CollectionError]]


SERVICE_GROUPS: dict[str, ServiceGroup] = {}
