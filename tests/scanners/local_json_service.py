"""Serving a local stand-in for an AWS service of the JSON protocol (the operation in `X-Amz-Target`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.scanners.fault_injection import serving

# The operation's name and its parameters in; the HTTP status and the JSON answer out.
Answer = Callable[[str, dict], tuple[int, dict]]


def json_protocol_handler(answer: Answer, json_version: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            params = json.loads(self.rfile.read(length) or b"{}")
            operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
            status, body = answer(operation, params)
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
def serving_json_protocol(answer: Answer, json_version: str) -> Iterator[str]:
    """Serve `answer` on 127.0.0.1; yields the URL to put in AWS_ENDPOINT_URL_<SERVICE>."""
    with serving(json_protocol_handler(answer, json_version)) as url:
        yield url
