"""A local CloudFormation endpoint that answers DescribeStacks with drift information, over real HTTP.

moto's DescribeStacks leaves out `DriftInformation` (it does not implement drift detection), so tests of
drifted and in-sync stacks point `AWS_ENDPOINT_URL_CLOUDFORMATION` here. It speaks the query protocol as
botocore's service model for 2010-05-15 documents it: a form-encoded POST, an XML answer with the stacks as
`member` elements, pages joined by `NextToken`, and an error document for any other action.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from tests.scanners.fault_injection import serving

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


@dataclass
class Stack:
    name: str
    drift_status: str | None  # None: the answer has no DriftInformation at all
    drift_checked_at: str | None = None  # ISO 8601, as AWS writes it
    status: str = "UPDATE_COMPLETE"
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def stack_id(self) -> str:
        return f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{self.name}/0f1e2d3c-{len(self.name):04d}"

    def xml(self) -> str:
        drift = ""
        if self.drift_status:
            checked = (
                f"<LastCheckTimestamp>{self.drift_checked_at}</LastCheckTimestamp>" if self.drift_checked_at else ""
            )
            status = f"<StackDriftStatus>{self.drift_status}</StackDriftStatus>"
            drift = f"<DriftInformation>{status}{checked}</DriftInformation>"
        tags = "".join(
            f"<member><Key>{escape(key)}</Key><Value>{escape(value)}</Value></member>"
            for key, value in self.tags.items()
        )
        return (
            f"<member><StackId>{self.stack_id}</StackId><StackName>{escape(self.name)}</StackName>"
            f"<CreationTime>2026-01-05T10:00:00.000Z</CreationTime><StackStatus>{self.status}</StackStatus>"
            f"<Tags>{tags}</Tags>{drift}</member>"
        )


@dataclass
class LocalCloudFormation:
    stacks: list[Stack]
    page_size: int = 2
    url: str = ""
    actions: list[str] = field(default_factory=list)

    def answer(self, form: dict[str, list[str]]) -> tuple[int, str]:
        action = (form.get("Action") or [""])[0]
        self.actions.append(action)
        if action != "DescribeStacks":
            message = f"<Message>{action} is not answered here</Message>"
            error = f"<Error><Type>Sender</Type><Code>InvalidAction</Code>{message}</Error>"
            return 400, f'<ErrorResponse xmlns="{NAMESPACE}">{error}<RequestId>local</RequestId></ErrorResponse>'
        start = int((form.get("NextToken") or ["0"])[0])
        page = self.stacks[start : start + self.page_size]
        more = start + self.page_size < len(self.stacks)
        token = f"<NextToken>{start + self.page_size}</NextToken>" if more else ""
        members = "".join(stack.xml() for stack in page)
        body = f"<DescribeStacksResult><Stacks>{members}</Stacks>{token}</DescribeStacksResult>"
        metadata = "<ResponseMetadata><RequestId>local</RequestId></ResponseMetadata>"
        return 200, f'<DescribeStacksResponse xmlns="{NAMESPACE}">{body}{metadata}</DescribeStacksResponse>'


def _handler(endpoint: LocalCloudFormation) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("utf-8"))
            status, body = endpoint.answer(form)
            content = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def local_cloudformation(stacks: list[Stack], page_size: int = 2) -> Iterator[LocalCloudFormation]:
    endpoint = LocalCloudFormation(stacks=stacks, page_size=page_size)
    with serving(_handler(endpoint)) as endpoint.url:
        yield endpoint
