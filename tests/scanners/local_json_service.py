"""What the local stand-ins for AWS services of the JSON protocol share: the operation read from
`X-Amz-Target`, injected failures answered with AWS's JSON error document, pages with NextToken, and
serving over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.scanners.fault_injection import serving


@dataclass
class LocalJsonService:
    """Subclasses answer operations in `respond`; `answer` records each one and applies injected failures."""

    failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    operations: list[str] = field(default_factory=list)
    url: str = ""
    page_size: int = 2

    def fail(self, operation: str, *, status: int = 400, code: str = "AccessDeniedException") -> None:
        self.failures[operation] = (status, code)

    def answer(self, operation: str, params: dict) -> tuple[int, dict]:
        self.operations.append(operation)
        if operation in self.failures:
            status, code = self.failures[operation]
            return status, {"__type": code, "message": f"{code} injected by the test"}
        return self.respond(operation, params)

    def respond(self, operation: str, params: dict) -> tuple[int, dict]:
        return 400, {"__type": "UnknownOperationException", "message": f"{operation} is not answered here"}

    def page(self, items: list[dict], key: str, params: dict) -> dict:
        """One page of `items` from the request's NextToken, no longer than `page_size` or its MaxResults."""
        start = int(params.get("NextToken") or 0)
        size = min(self.page_size, params.get("MaxResults") or self.page_size)
        answer: dict = {key: items[start : start + size]}
        if start + size < len(items):
            answer["NextToken"] = str(start + size)
        return answer


def json_protocol_handler(service: LocalJsonService, json_version: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            params = json.loads(self.rfile.read(length) or b"{}")
            operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
            status, body = service.answer(operation, params)
            content = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", f"application/x-amz-json-{json_version}")
            self.send_header("x-amzn-RequestId", "local-stand-in")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def serving_json_protocol(service: LocalJsonService, json_version: str) -> Iterator[LocalJsonService]:
    """Serve `service` on 127.0.0.1; its `url` is then what AWS_ENDPOINT_URL_<SERVICE> should name."""
    with serving(json_protocol_handler(service, json_version)) as service.url:
        yield service
