"""Ticket webhooks: GitHub and Jira tell us about tickets; tickets that name controls are linked to them.

A ticket names a control in its title, body or labels in one of two forms:
- the control's tag, `ctrl:iso27001-2022:A.8.20` (what Control.tag shows on the control's page);
- a reference in square brackets, `[A.8.20]`, `[CC6.6]` or `[iso27001-2022:A.8.20]`. A bare reference is
  accepted when exactly one framework has it (true of the catalogs we ship); otherwise it is reported as ambiguous.
A label may also be the reference alone (`A.8.20`) or the tag. Prose such as "see A.8.20" is not a reference:
tickets mention clause numbers for many reasons, and a wrong link in an audit trail costs more than a missing one.

Every verified delivery is recorded by its id, so a replay changes nothing; a delivery that describes the ticket
as it was before the last change applied (an old body under a new id, or deliveries out of order) changes nothing
either. A ticket that names no known control and is not already in the register is not added. References that
match no control are answered back (and logged), never dropped silently. Webhook links are only ever added:
removing one is a person's decision. Only http(s) ticket URLs are stored.

Both systems sign the body with HMAC-SHA256 (GitHub in X-Hub-Signature-256, Jira in X-Hub-Signature); a secret in
the URL is refused, as it would land in access logs. Deliveries are rate-limited per sending address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from compliance.models import Control, LinkOrigin, Ticket, TicketSystem, WebhookDelivery, WebhookSource
from compliance.services import ticket_link
from compliance.ticket_refs import http_url_or_blank
from config.throttles import WebhookRateThrottle, throttled

log = logging.getLogger(__name__)

# GitHub issue bodies stop at 65,536 characters; a megabyte leaves room for the rest of the payload.
MAX_BODY_BYTES = 1024 * 1024
# Real payloads nest a few dozen levels (Jira's document format included); Python's json and our readers recurse.
MAX_JSON_DEPTH = 100
MAX_REFS = 100  # a ticket naming more controls than this is a listing, not work on controls
REF = r"[A-Z]{1,3}\.?\d+(?:\.\d+)*"  # A.8.20, A.13.1.1, CC6.6, A1.2
SLUG = r"[a-z0-9][a-z0-9-]*"
TAG_RE = re.compile(rf"ctrl:({SLUG}):({REF})")
BRACKET_RE = re.compile(rf"\[(?:({SLUG}):)?({REF})\]")
LABEL_RE = re.compile(rf"(?:ctrl:)?(?:({SLUG}):)?({REF})")
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # escapes included: brackets in strings do not nest
NOT_A_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
DELETED_STATE = "closed"  # a deleted ticket no longer tracks work; its links stay for the audit trail


class PayloadError(ValueError):
    """The delivery is not what the ticket system sends: answered 400, nothing recorded."""


@dataclass
class TicketReport:
    """What a ticket system says about one ticket."""

    system: str
    key: str
    url: str
    title: str
    state: str
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    updated_at: datetime | None = None  # when the ticket system changed the ticket, as this delivery describes it

    def __post_init__(self):
        # Truncating a key could merge two tickets into one; a key this long is not a real ticket.
        if len(self.key) > Ticket._meta.get_field("key").max_length:
            raise PayloadError("The ticket key is too long.")

    def is_older_than(self, ticket: Ticket) -> bool:
        return bool(self.updated_at and ticket.source_updated_at and self.updated_at < ticket.source_updated_at)


@dataclass
class ControlRefs:
    controls: list[Control]
    unknown: list[str]
    ambiguous: list[str]


def refs_in(texts: Iterable[str], labels: Iterable[str]) -> list[tuple[str | None, str]]:
    """(framework slug or None, ref) for each reference, in order of first appearance."""
    found: list[tuple[str | None, str]] = []
    for text in texts:
        for match in [*TAG_RE.finditer(text), *BRACKET_RE.finditer(text)]:
            found.append((match.group(1), match.group(2)))
    for label in labels:
        match = LABEL_RE.fullmatch(label.strip())
        if match:
            found.append((match.group(1), match.group(2)))
    return list(dict.fromkeys(found))


def controls_named(refs: list[tuple[str | None, str]]) -> ControlRefs:
    """Resolve references against the catalog in one query."""
    candidates = Control.objects.filter(ref__in={ref for _, ref in refs}).select_related("framework")
    by_ref: dict[str, list[Control]] = {}
    for control in candidates:
        by_ref.setdefault(control.ref, []).append(control)
    result = ControlRefs(controls=[], unknown=[], ambiguous=[])
    for slug, ref in refs:
        matches = [c for c in by_ref.get(ref, []) if slug is None or c.framework.slug == slug]
        written = f"{slug}:{ref}" if slug else ref
        if not matches:
            result.unknown.append(written)
        elif len(matches) > 1:
            result.ambiguous.append(written)
        elif matches[0] not in result.controls:
            result.controls.append(matches[0])
    return result


def ticket_sync(report: TicketReport, *, source: str, delivery_id: str, event: str) -> dict:
    """Record the delivery, then create or update the ticket and link the controls it names. Idempotent."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(source=source, delivery_id=delivery_id, event=event)
        except IntegrityError:
            return {"duplicate": True, "delivery": delivery_id}
        # Locked: two deliveries about one ticket are applied one after the other, each against the latest state.
        ticket = Ticket.objects.select_for_update().filter(system=report.system, key=report.key).first()
        if ticket is not None and report.is_older_than(ticket):
            delivery.outcome = {
                "ticket": report.key,
                "stale": f"Describes the ticket at {report.updated_at.isoformat()}; "
                f"it has changed since ({ticket.source_updated_at.isoformat()}). Nothing was changed.",
            }
            delivery.save(update_fields=["outcome"])
            return delivery.outcome
        refs = refs_in(report.texts, report.labels)
        if len(refs) > MAX_REFS:
            raise PayloadError(f"The ticket names {len(refs)} controls; at most {MAX_REFS} are linked from one ticket.")
        named = controls_named(refs)
        outcome = {
            "ticket": report.key,
            "state": report.state,
            "linked": [c.tag for c in named.controls],
            "unknown": named.unknown,
            "ambiguous": named.ambiguous,
        }
        if ticket is None and not named.controls:
            outcome["ignored"] = "The ticket names no known control and is not in the register."
        else:
            ticket = _ticket_update(ticket or Ticket(system=report.system, key=report.key), report)
            for control in named.controls:
                ticket_link(ticket=ticket, control=control, actor=None, origin=LinkOrigin.WEBHOOK)
        delivery.outcome = outcome
        delivery.save(update_fields=["outcome"])
    if named.unknown or named.ambiguous:
        log.warning(
            "%s %s names controls we cannot link: unknown %s, ambiguous %s",
            report.system,
            report.key,
            named.unknown,
            named.ambiguous,
        )
    return outcome


def _ticket_update(ticket: Ticket, report: TicketReport) -> Ticket:
    ticket.url = report.url[: Ticket._meta.get_field("url").max_length]
    ticket.title = report.title[: Ticket._meta.get_field("title").max_length]
    ticket.state = report.state[: Ticket._meta.get_field("state").max_length]
    ticket.last_synced_at = timezone.now()
    ticket.source_updated_at = report.updated_at or ticket.source_updated_at
    ticket._history_user = None  # nobody: the change came from the ticket system
    ticket.save()
    return ticket


# --- reading the deliveries -------------------------------------------------------------------------------


def _text(value, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{what} must be text.")
    return value.replace("\x00", "")  # PostgreSQL cannot store NUL characters in text


def _object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is missing or is not an object.")
    return value


def _timestamp(value, what: str) -> datetime | None:
    """An ISO 8601 time (GitHub's `updated_at`, Jira's `updated`) or Jira's epoch milliseconds."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise PayloadError(f"{what} is not a time.") from exc
    raise PayloadError(f"{what} must be a time.")


def github_report(event: str, payload: dict) -> TicketReport:
    item = _object(payload.get("issue" if event == "issues" else "pull_request"), event)
    repository = _object(payload.get("repository"), "repository")
    number = item.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise PayloadError(f"{event}.number must be a number.")
    labels = item.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(label, dict) for label in labels):
        raise PayloadError("labels must be a list of objects.")
    state = _text(item.get("state"), "state") or "open"
    if event == "pull_request" and item.get("merged"):
        state = "merged"
    if payload.get("action") == "deleted":
        state = DELETED_STATE
    title = _text(item.get("title"), "title")
    return TicketReport(
        system=TicketSystem.GITHUB,
        key=f"{_text(repository.get('full_name'), 'repository.full_name') or '?'}#{number}",
        url=http_url_or_blank(_text(item.get("html_url"), "html_url")),
        title=title,
        state=state,
        texts=[title, _text(item.get("body"), "body")],
        labels=[_text(label.get("name"), "label name") for label in labels],
        updated_at=_timestamp(item.get("updated_at"), "updated_at"),
    )


def _adf_text(node) -> str:
    """Jira Cloud sends descriptions as Atlassian Document Format; the text is in its `text` leaves."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return _adf_text(node.get("text", "")) + " " + _adf_text(node.get("content", []))
    if isinstance(node, list):
        return " ".join(_adf_text(child) for child in node)
    return ""


def jira_report(payload: dict) -> TicketReport:
    issue = _object(payload.get("issue"), "issue")
    key = _text(issue.get("key"), "issue.key")
    if not key:
        raise PayloadError("issue.key is missing.")
    fields = _object(issue.get("fields") or {}, "issue.fields")
    labels = fields.get("labels") or []
    if not isinstance(labels, list):
        raise PayloadError("issue.fields.labels must be a list.")
    status = fields.get("status") or {}
    state = _text(status.get("name") if isinstance(status, dict) else status, "status")
    if payload.get("webhookEvent") == "jira:issue_deleted":
        state = DELETED_STATE
    api_url = _text(issue.get("self"), "issue.self")
    title = _text(fields.get("summary"), "summary")
    return TicketReport(
        system=TicketSystem.JIRA,
        key=key,
        url=http_url_or_blank(f"{api_url.split('/rest/')[0]}/browse/{key}") if "/rest/" in api_url else "",
        title=title,
        state=state,
        texts=[title, _adf_text(fields.get("description"))],
        labels=[_text(label, "label") for label in labels],
        updated_at=_timestamp(fields.get("updated"), "issue.fields.updated")
        or _timestamp(payload.get("timestamp"), "timestamp"),
    )


# --- the endpoints ----------------------------------------------------------------------------------------


def _answer(status: int, **body) -> JsonResponse:
    return JsonResponse(body, status=status)


def _accepted_body(request: HttpRequest, secret: str | None) -> bytes | JsonResponse:
    """The body, or the answer when the endpoint is not configured or the body is larger than any delivery."""
    if not secret:
        return _answer(503, error="webhook not configured")
    too_large = _answer(413, error=f"The body is larger than {MAX_BODY_BYTES} bytes.")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return too_large  # refused unread
    body = request.read(MAX_BODY_BYTES + 1)
    return too_large if len(body) > MAX_BODY_BYTES else body


def _nesting_within(body: bytes, limit: int) -> bool:
    """Checked before decoding: json.loads recurses once per level and would fail deep inside the stack."""
    depth = 0
    for bracket in JSON_STRING.sub(b"", body).translate(None, NOT_A_BRACKET):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return False
    return True


def _json(body: bytes) -> dict:
    if not _nesting_within(body, MAX_JSON_DEPTH):
        raise PayloadError(f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise PayloadError("The body is not JSON.") from exc
    return _object(payload, "The payload")


def _signed(given: str, body: bytes, secret: str) -> bool:
    """`sha256=<hex HMAC of the body>`, as GitHub and Jira (WebSub's method) send it."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


def _refused(system: str, request: HttpRequest, reason: str, delivery: str) -> JsonResponse:
    # Logged without the secret or the signature: enough to notice a misconfiguration or a probe.
    log.warning(
        "%s webhook refused (%s): delivery %r from %s", system, reason, delivery, request.META.get("REMOTE_ADDR")
    )
    return _answer(401, error=reason)


def _handle(system: str, handler) -> JsonResponse:
    try:
        return handler()
    except PayloadError as exc:
        log.info("%s webhook with a malformed payload: %s", system, exc)
        return _answer(400, error=str(exc))


@csrf_exempt
@require_POST
@throttled(WebhookRateThrottle)
def github_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.GITHUB_WEBHOOK_SECRET
    body = _accepted_body(request, secret)
    if isinstance(body, JsonResponse):
        return body
    delivery = request.headers.get("X-GitHub-Delivery", "")
    if not _signed(request.headers.get("X-Hub-Signature-256", ""), body, secret):
        return _refused("GitHub", request, "bad or missing X-Hub-Signature-256", delivery)

    def handle() -> JsonResponse:
        event = request.headers.get("X-GitHub-Event", "")
        payload = _json(body)
        if event == "ping":
            return _answer(200, pong=True, zen=_text(payload.get("zen"), "zen"))
        if event not in ("issues", "pull_request"):
            return _answer(200, ignored=f"GitHub event {event!r} is not about tickets.")
        if not delivery or len(delivery) > 200 or "\x00" in delivery:
            raise PayloadError("X-GitHub-Delivery is missing or not a delivery id.")
        report = github_report(event, payload)
        return _answer(200, **ticket_sync(report, source=WebhookSource.GITHUB, delivery_id=delivery, event=event))

    return _handle("GitHub", handle)


@csrf_exempt
@require_POST
@throttled(WebhookRateThrottle)
def jira_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.JIRA_WEBHOOK_SECRET
    body = _accepted_body(request, secret)
    if isinstance(body, JsonResponse):
        return body
    # Jira Cloud names each delivery, and keeps the name across retries; without it, identical bytes are a replay.
    delivery = (
        request.headers.get("X-Atlassian-Webhook-Identifier") or "body-sha256:" + hashlib.sha256(body).hexdigest()
    )
    if "secret" in request.GET:
        return _refused("Jira", request, "a secret in the URL is refused: sign deliveries instead", delivery)
    if not _signed(request.headers.get("X-Hub-Signature", ""), body, secret):
        return _refused("Jira", request, "bad or missing X-Hub-Signature", delivery)

    def handle() -> JsonResponse:
        payload = _json(body)
        event = _text(payload.get("webhookEvent"), "webhookEvent")
        if "issue" not in payload:
            return _answer(200, ignored=f"Jira event {event!r} is not about an issue.")
        if len(delivery) > 200 or "\x00" in delivery:
            raise PayloadError("X-Atlassian-Webhook-Identifier is not a delivery id.")
        report = jira_report(payload)
        return _answer(200, **ticket_sync(report, source=WebhookSource.JIRA, delivery_id=delivery, event=event))

    return _handle("Jira", handle)
