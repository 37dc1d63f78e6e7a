"""AWS Backup's ListProtectedResources, which moto does not implement, answered in the real API's shape.

`protected_resources(moto_url, resources)` starts an endpoint on 127.0.0.1 that answers
`GET /resources/` (rest-json, botocore's backup 2018-11-15 model) with the given resources in pages of
two, following `nextToken`, and forwards every other call to the moto server, so plans still come from moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.scanners.fault_injection import FaultyEndpoint, SeenRequest, faulty_endpoint

PAGE = 2


@dataclass(frozen=True)
class Answer:
    """A successful rest-json answer, served where FaultyEndpoint would serve a fault."""

    status: int
    body: dict

    def response(self) -> tuple[bytes, dict[str, str]]:
        return json.dumps(self.body).encode(), {"Content-Type": "application/json"}


def protected_resource(arn: str, kind: str, last_backup: float = 1_780_000_000.0) -> dict:
    return {
        "ResourceArn": arn,
        "ResourceType": kind,
        "LastBackupTime": last_backup,
        "ResourceName": arn.rsplit("/", 1)[-1],
        "LastBackupVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:primary",
    }


def page_request(token: str | None):
    def matches(request: SeenRequest) -> bool:
        if request.method != "GET" or urlsplit(request.path).path != "/resources/":
            return False
        return (request.query.get("nextToken") or [None])[0] == token

    return matches


@contextmanager
def protected_resources(moto_url: str, resources: list[dict]) -> Iterator[FaultyEndpoint]:
    with faulty_endpoint(moto_url) as endpoint:
        pages = [resources[start : start + PAGE] for start in range(0, len(resources), PAGE)] or [[]]
        for number, items in enumerate(pages):
            body: dict = {"Results": items}
            if number + 1 < len(pages):
                body["NextToken"] = f"page-{number + 2}"
            endpoint.faults.append((page_request(None if number == 0 else f"page-{number + 1}"), Answer(200, body)))
        yield endpoint
