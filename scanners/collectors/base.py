"""What every collector yields, how service groups register, and the reading helpers they share.

A collector reads one service in one region (or, for a global service, once for the account) and yields
plain documents. A listing that fails yields a CollectionError for the resource types it would have
produced; a per-resource read that fails is written into that document's `config["errors"]`, so the
checks that need it report an error instead of judging incomplete data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scanners.aws import ClientFactory, describe_error, error_code

logger = logging.getLogger(__name__)

# Region of documents that belong to the whole account (IAM, account-level S3 settings).
GLOBAL_REGION = "global"
AWS_ERRORS = (BotoCoreError, ClientError)
# Resources read at once by `each_at_once`: under botocore's default of 10 pooled connections per client.
RESOURCE_READERS = 8


@dataclass(frozen=True)
class ResourceDoc:
    uid: str
    type: str
    region: str
    name: str
    tags: dict
    config: dict


@dataclass(frozen=True)
class CollectionError:
    resource_types: tuple[str, ...]
    region: str
    reason: str


class ReadError(Exception):
    """A failed read that a source's own client has already described in one line (GitHub's API)."""


def read_error_text(exc: BaseException) -> str:
    """Why a read did not happen, in one line an auditor can read."""
    return str(exc) if isinstance(exc, ReadError) else describe_error(exc)


Collector = Callable[[ClientFactory, str], Iterator[ResourceDoc | CollectionError]]


@dataclass(frozen=True)
class ServiceGroup:
    name: str
    is_global: bool
    resource_types: tuple[str, ...]
    collect: Collector
    provider: str = "aws"  # the kind of account it reads (CloudAccount.provider)


SERVICE_GROUPS: dict[str, ServiceGroup] = {}


def service_group(*, name: str, resource_types: Iterable[str], is_global: bool = False, provider: str = "aws"):
    """Register a collector function as the service group `name`, for accounts of `provider`."""

    def register(collect: Collector) -> Collector:
        if name in SERVICE_GROUPS:
            raise ValueError(f"service group {name!r} is registered twice")
        SERVICE_GROUPS[name] = ServiceGroup(
            name=name, is_global=is_global, resource_types=tuple(resource_types), collect=collect, provider=provider
        )
        return collect

    return register


def services_of(provider: str) -> set[str]:
    """The service groups that read accounts of this provider (`aws`, `github`)."""
    return {name for name, group in SERVICE_GROUPS.items() if group.provider == provider}


def jsonable(value: Any) -> Any:
    """Documents are stored as JSON: dates become ISO 8601 strings, SDK response metadata is dropped."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def document(*, uid: str, type: str, region: str, name: str, config: dict, tags: dict | None = None) -> ResourceDoc:
    return ResourceDoc(uid=uid, type=type, region=region, name=name, tags=jsonable(tags or {}), config=jsonable(config))


def tag_dict(tags: Iterable[dict] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {item[key]: item.get(value, "") for item in tags or []}


def settings_uid(account_id: str, region: str, what: str) -> str:
    """Identifier of a document for settings that have no resource of their own (one per region or account)."""
    return f"{account_id}/{region}/{what}"


def listing(client: Any, operation: str, key: str, **params: Any) -> list[dict]:
    """Every item of a list or describe call, through the SDK's paginator when the operation has one."""
    if client.can_paginate(operation):
        items: list[dict] = []
        for page in client.get_paginator(operation).paginate(**params):
            items.extend(page.get(key) or [])
        return items
    return getattr(client, operation)(**params).get(key) or []


def collected(
    resource_types: Iterable[str], region: str, read: Callable[[], Iterable[ResourceDoc]]
) -> Iterator[ResourceDoc | CollectionError]:
    """Run one listing to the end before yielding, so a failure half-way yields an error, not half a picture."""
    try:
        docs = list(read())
    except (*AWS_ERRORS, ReadError) as exc:
        yield CollectionError(tuple(resource_types), region, read_error_text(exc))
        return
    except Exception as exc:  # a response we did not expect must still be an error, never silence
        logger.exception("collecting %s in %s failed", ", ".join(resource_types), region)
        yield CollectionError(tuple(resource_types), region, describe_error(exc))
        return
    yield from docs


def each_at_once(read: Callable[[Any], Any], items: Iterable[Any], workers: int = RESOURCE_READERS) -> list:
    """`read` of every item on a few threads, in the items' order; what a read raises is raised here.
    Each item's own reads stay one after another (a SubReads is not shared between threads)."""
    items = list(items)
    if len(items) < 2:
        return [read(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="resource-read") as pool:
        return list(pool.map(read, items))


class SubReads:
    """Reads of one resource's settings; each failure is kept by name for the document's `errors`.

    `absent` lists the error codes AWS uses to say "this setting is not configured": that is a
    finding for the checks (for example no bucket policy), not a failed read.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, name: str, call: Callable[[], Any], *, absent: Iterable[str] = (), default: Any = None) -> Any:
        try:
            return call()
        except ClientError as exc:
            if error_code(exc) in set(absent):
                return default
            self.errors[name] = describe_error(exc)
        except Exception as exc:  # timeouts, unreadable answers: recorded, and the check reports an error
            self.errors[name] = read_error_text(exc)
        return None

    def failed(self, *names: str, reason: str) -> None:
        for name in names:
            self.errors.setdefault(name, reason)
