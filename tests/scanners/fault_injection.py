"""AWS endpoints that misbehave on purpose, over real HTTP on 127.0.0.1.

`FaultyEndpoint` forwards every request to an upstream (the moto server) except those that match a
fault, which it answers itself with the status and error document AWS would send (access denied,
throttling...), or a canned reply, which it answers with the given document (an AWS call moto lacks). It
counts what it saw, so tests can tell that the client retried. `closed_port()` and
`silent_endpoint()` give an address where nothing answers at all.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "server", "date"}


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def action(self) -> str:
        """The AWS operation: the query `Action`, the JSON `X-Amz-Target`, or '' for REST services."""
        target = self.headers.get("x-amz-target", "")
        if target:
            return target.rsplit(".", 1)[-1]
        form = parse_qs(self.body.decode("utf-8", "replace")) if self.body else {}
        return (form.get("Action") or self.query.get("Action") or [""])[0]


@dataclass(frozen=True)
class Fault:
    status: int
    code: str
    message: str
    protocol: str  # "query" (IAM, STS, RDS, ELB), "ec2", "rest-xml" (S3), "json" (KMS, CloudTrail, Backup)

    def response(self) -> tuple[bytes, dict[str, str]]:
        if self.protocol == "json":
            body = json.dumps({"__type": self.code, "message": self.message}).encode()
            return body, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": self.code}
        if self.protocol == "ec2":
            xml = f"<Response><Errors><Error><Code>{self.code}</Code><Message>{self.message}</Message></Error></Errors>"
            xml += "<RequestID>fault</RequestID></Response>"
        elif self.protocol == "rest-xml":
            xml = f"<Error><Code>{self.code}</Code><Message>{self.message}</Message></Error>"
        else:
            xml = f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code><Message>{self.message}</Message>"
            xml += "</Error><RequestId>fault</RequestId></ErrorResponse>"
        return xml.encode(), {"Content-Type": "text/xml"}


@dataclass(frozen=True)
class Reply:
    """A successful answer the endpoint gives itself, in the real API's documented shape."""

    status: int
    body: bytes
    content_type: str

    def response(self) -> tuple[bytes, dict[str, str]]:
        return self.body, {"Content-Type": self.content_type}


@dataclass
class FaultyEndpoint:
    upstream: str
    faults: list[tuple[Callable[[SeenRequest], bool], Fault | Reply]] = field(default_factory=list)
    seen: list[SeenRequest] = field(default_factory=list)
    faulted: list[SeenRequest] = field(default_factory=list)
    url: str = ""

    def fail(self, when: Callable[[SeenRequest], bool], *, status: int, code: str, protocol: str, message: str = ""):
        self.faults.append((when, Fault(status, code, message or f"{code} injected by the test", protocol)))

    def reply(self, when: Callable[[SeenRequest], bool], body: str, *, content_type: str = "text/xml"):
        """Answer matching requests with `body` (HTTP 200) instead of forwarding them; they count as faulted."""
        self.faults.append((when, Reply(200, body.encode(), content_type)))

    def answer(self, request: SeenRequest) -> tuple[int, bytes, dict[str, str]]:
        self.seen.append(request)
        for when, fault in self.faults:
            if when(request):
                self.faulted.append(request)
                body, headers = fault.response()
                return fault.status, body, headers
        upstream = requests.request(
            request.method,
            self.upstream + request.path,
            headers=request.headers,
            data=request.body,
            timeout=30,
            allow_redirects=False,
        )
        headers = {key: value for key, value in upstream.headers.items() if key.lower() not in HOP_BY_HOP}
        return upstream.status_code, upstream.content, headers


def action(name: str) -> Callable[[SeenRequest], bool]:
    return lambda request: request.action == name


def s3_subresource(name: str, bucket: str) -> Callable[[SeenRequest], bool]:
    """An S3 REST call such as GET /bucket?policy (path-style, as botocore uses with an IP endpoint)."""
    return lambda request: urlsplit(request.path).path.strip("/") == bucket and name in request.query


def _handler(endpoint: FaultyEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = SeenRequest(
                method=self.command,
                path=self.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
            status, content, headers = endpoint.answer(request)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (a free port) answering with `handler` in a thread; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def faulty_endpoint(upstream: str) -> Iterator[FaultyEndpoint]:
    endpoint = FaultyEndpoint(upstream=upstream)
    with serving(_handler(endpoint)) as endpoint.url:
        yield endpoint


def closed_port() -> str:
    """An address on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """An address that accepts connections and never answers: reads time out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
