"""Evidence requests: the CISO or an auditor asks a control's owner for evidence (what, by when); the owner
answers with evidence, and the request closes with the items attached.

Every path (pages, htmx, API) goes through the three services below; each checks the actor through
accounts.roles, writes its AuditEvent in its transaction and has the digest tell the people concerned once it
commits. What the inbox, the control page and the owner digest show of requests is registered with the core
from `EvidenceConfig.ready()` (compliance never imports evidence).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Prefetch, Q, QuerySet, When
from django.utils import timezone

from accounts import roles
from compliance.events import audit_event_record
from compliance.inbox import AUDITOR, CISO, ENGINEER, InboxSource
from compliance.models import AuditVerb, Control, NoticeKind
from compliance.notifications import RECENT_DAYS, Event, control_line, has_access, notify_on_commit
from evidence.models import Evidence, EvidenceRequest, RequestState
from evidence.services import evidence_add

WHAT_MAX = 2000
DUE_MAX_DAYS = 366
NO_OWNER = "This control has no owner to ask; the CISO assigns one first."
NOT_YOURS = "Only the person this request is addressed to answers it."
CLOSED = "This request is {state}; only open requests are answered or withdrawn."
NO_ANSWER = "Answer with evidence: upload a file, give a link or a note, or choose an item of this control."


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _locked(request: EvidenceRequest) -> EvidenceRequest:
    """Lock the row and read it again: answering and withdrawing judge the stored state, not a stale copy."""
    EvidenceRequest.objects.select_for_update().filter(pk=request.pk).exists()
    request.refresh_from_db()
    return request


def _refuse_unless_open(request: EvidenceRequest) -> None:
    if request.state != RequestState.OPEN:
        raise ValidationError(CLOSED.format(state=request.get_state_display().lower()), code="closed")


def evidence_request_check(*, control: Control, what: str, due: date | None, at: datetime | None = None) -> None:
    """Raise ValidationError (per field) unless this request may be opened: the form, the API and the service
    ask here. The owner must be someone who can answer today."""
    today = timezone.localdate(at or timezone.now())
    errors = {}
    if not (what or "").strip():
        errors["what"] = "Say what evidence you need."
    elif len(what.strip()) > WHAT_MAX:
        errors["what"] = f"Say it in at most {WHAT_MAX} characters."
    if due is None:
        errors["due"] = "Give the date you need it by."
    elif due < today:
        errors["due"] = "The due date must be today or later."
    elif due > today + timedelta(days=DUE_MAX_DAYS):
        errors["due"] = f"The due date is at most {DUE_MAX_DAYS} days away."
    if control.owner_id is None or not roles.can_own(control.owner):
        errors["control"] = NO_OWNER
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def evidence_request_open(*, control: Control, actor, what: str, due: date) -> EvidenceRequest:
    _require(roles.can_request_evidence(actor), "Only the CISO and auditors ask owners for evidence.")
    control = Control.objects.select_related("framework", "owner__membership").get(pk=control.pk)
    evidence_request_check(control=control, what=what, due=due)
    request = EvidenceRequest.objects.create(
        control=control, asked_by=actor, addressed_to=control.owner, what=what.strip(), due=due
    )
    audit_event_record(
        verb=AuditVerb.EVIDENCE_REQUESTED,
        actor=actor,
        subject=request,
        control=control.tag,
        addressed_to=control.owner.get_username(),
        due=due,
    )
    notify_on_commit()
    return request


@transaction.atomic
def evidence_request_answer(
    *, request: EvidenceRequest, actor, items: Iterable[Evidence] = (), **new_item
) -> EvidenceRequest:
    """The owner answers with evidence: items already on the control, and/or a new item (`new_item` holds
    `evidence_add`'s arguments: title, upload, url, description...), added by the same service as anywhere."""
    request = _locked(request)
    _require(roles.can_answer_request(actor, request), NOT_YOURS)
    _refuse_unless_open(request)
    chosen = list(items)
    on_control = Evidence.objects.current().filter(controls=request.control_id, pk__in=[i.pk for i in chosen])
    if len(set(on_control.values_list("pk", flat=True))) != len({i.pk for i in chosen}):
        raise ValidationError({"evidence": "Choose current evidence of this request's control."})
    if new_item:
        chosen.append(evidence_add(controls=[request.control], actor=actor, **new_item))
    if not chosen:
        raise ValidationError({"evidence": NO_ANSWER})
    request.answered_with.add(*chosen)
    request.state, request.answered_at, request.closed_by = RequestState.ANSWERED, timezone.now(), actor
    request.save(update_fields=["state", "answered_at", "closed_by"])
    audit_event_record(
        verb=AuditVerb.EVIDENCE_REQUEST_ANSWERED, actor=actor, subject=request, evidence=[i.pk for i in chosen]
    )
    notify_on_commit()
    return request


@transaction.atomic
def evidence_request_withdraw(*, request: EvidenceRequest, actor, reason: str = "") -> EvidenceRequest:
    request = _locked(request)
    _require(roles.can_withdraw_request(actor, request), "Only the person who asked, or the CISO, withdraws it.")
    _refuse_unless_open(request)
    request.state, request.closed_by = RequestState.WITHDRAWN, actor
    request.save(update_fields=["state", "closed_by"])
    audit_event_record(
        verb=AuditVerb.EVIDENCE_REQUEST_WITHDRAWN, actor=actor, subject=request, reason=(reason or "").strip()
    )
    return request


# --- What the core shows of requests: inbox sections, the owner digest, the control page --------------------


def requests_shown() -> QuerySet:
    """Requests with what every list shows about them, in a fixed number of queries."""
    answers = Evidence.objects.order_by("collected_at", "pk")
    return EvidenceRequest.objects.select_related("control__framework", "asked_by", "addressed_to").prefetch_related(
        Prefetch("answered_with", queryset=answers)
    )


def overdue_requests(user, now: datetime) -> QuerySet:
    return requests_shown().overdue(now).order_by("due", "pk")


def requests_to_me(user, now: datetime) -> QuerySet:
    return requests_shown().open().filter(addressed_to=user).order_by("due", "pk")


def my_requests(user, now: datetime) -> QuerySet:
    """What the person asked that is open, or was answered recently (so they see the answer arrive)."""
    recent = Q(state=RequestState.ANSWERED, answered_at__gte=now - timedelta(days=RECENT_DAYS))
    return requests_shown().filter(Q(state=RequestState.OPEN) | recent, asked_by=user).order_by("-state", "due", "pk")


INBOX_SOURCES = [
    InboxSource(
        "requests_to_me",
        "Evidence requested of you",
        ENGINEER | CISO,
        requests_to_me,
        "inbox/_request.html",
        "Nobody is waiting for evidence from you.",
        position=20,
    ),
    InboxSource(
        "overdue_requests",
        "Evidence requests overdue",
        CISO,
        overdue_requests,
        "inbox/_request.html",
        "No evidence request is past its due date.",
        position=20,
    ),
    InboxSource(
        "my_requests",
        "Your evidence requests",
        AUDITOR | CISO,
        my_requests,
        "inbox/_request.html",
        "You have no open evidence request. Ask an owner from a control's page.",
        position=30,
    ),
]


def _request_line(request: EvidenceRequest) -> str:
    return f"{control_line(request.control)}: “{request.what[:140]}” by {request.due:%Y-%m-%d}"


def request_events(now: datetime) -> list[Event]:
    """The digest's events: requests open to their addressee, overdue ones again, and recent answers to the asker."""
    people = ("control__framework", "asked_by__membership", "addressed_to__membership")
    open_requests = list(EvidenceRequest.objects.open().select_related(*people))
    recent = now - timedelta(days=RECENT_DAYS)
    answered = EvidenceRequest.objects.filter(state=RequestState.ANSWERED, answered_at__gte=recent)
    events = []
    for request in open_requests:
        if not has_access(request.addressed_to, now):
            continue
        topic, line = f"evidence-request:{request.pk}", _request_line(request)
        kind = NoticeKind.REQUEST_OVERDUE if request.is_overdue_at(now) else NoticeKind.EVIDENCE_REQUESTED
        events.append(Event(kind, request.addressed_to, line, request.control, topic=topic))
    for request in answered.select_related(*people):
        if has_access(request.asked_by, now):
            line = f"{_request_line(request)}: answered by {request.addressed_to}"
            topic = f"evidence-request:{request.pk}"
            events.append(Event(NoticeKind.REQUEST_ANSWERED, request.asked_by, line, request.control, topic=topic))
    return events


def requests_section(control: Control) -> dict:
    """The control page's requests: the open ones first, then the closed, newest first."""
    open_first = Case(When(state=RequestState.OPEN, then=0), default=1)
    requests = requests_shown().filter(control=control).order_by(open_first, "-asked_at", "-pk")
    return {"evidence_requests": list(requests[:50])}
