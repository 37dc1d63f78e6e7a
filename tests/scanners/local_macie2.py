"""A local Amazon Macie endpoint over real HTTP: it answers ListClassificationJobs itself and passes every
other request on to the moto server.

moto implements GetMacieSession but not ListClassificationJobs (it answers 404), so tests of recurring and
stopped jobs point `AWS_ENDPOINT_URL_MACIE2` here. The answer follows botocore's rest-json model for
macie2 2020-01-01: `POST /jobs/list` returns `{"items": [JobSummary...], "nextToken": ...}`, a page at a time.
Faults can still be injected as with `faulty_endpoint`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.scanners.fault_injection import FaultyEndpoint, SeenRequest, _handler, serving

LIST_JOBS = "/jobs/list"


def job(name: str, job_type: str, status: str) -> dict:
    """A JobSummary as ListClassificationJobs documents it."""
    return {
        "jobId": hashlib.md5(name.encode()).hexdigest(),
        "name": name,
        "jobType": job_type,
        "jobStatus": status,
        "createdAt": "2026-01-05T10:00:00.000Z",
        "bucketDefinitions": [{"accountId": "123456789012", "buckets": ["ct-customer-uploads"]}],
    }


@dataclass
class LocalMacie(FaultyEndpoint):
    jobs: list[dict] = field(default_factory=list)
    page_size: int = 2

    def answer(self, request: SeenRequest) -> tuple[int, bytes, dict[str, str]]:
        injected = any(when(request) for when, _ in self.faults)
        if injected or request.method != "POST" or urlsplit(request.path).path != LIST_JOBS:
            return super().answer(request)
        self.seen.append(request)
        start = int(json.loads(request.body or b"{}").get("nextToken") or 0)
        page: dict = {"items": self.jobs[start : start + self.page_size]}
        if start + self.page_size < len(self.jobs):
            page["nextToken"] = str(start + self.page_size)
        return 200, json.dumps(page).encode(), {"Content-Type": "application/json"}


@contextmanager
def local_macie2(upstream: str, jobs: list[dict]) -> Iterator[LocalMacie]:
    endpoint = LocalMacie(upstream=upstream, jobs=jobs)
    with serving(_handler(endpoint)) as endpoint.url:
        yield endpoint
