"""Telling owners what needs them: one digest per person per run, and no event told twice.

Events: an applicable control's automated checks turned failing, its evidence went stale (the latest valid-until
of its current evidence has passed), or an approved exemption on it expires within EXPIRY_WARNING_DAYS.
The control's owner is told; a control without an owner who still has access is the CISOs' to hear about.

Each event told is recorded (OwnerNotice) before it is sent, so a run that overlaps another, or a retried run,
cannot tell it again. A control's notice is closed when its condition ends, so failing again later is news.
Requests for evidence and comments are one-off events (`topic` names the request or comment): told once each,
as soon as the change commits (`notify_on_commit` runs this same digest in a worker) and again by no later run.
Apps above compliance add their events with `digest_source_add` (evidence adds its requests).
Email goes through Django's email backend; when SLACK_WEBHOOK_URL is set the same digest is posted there too.
A delivery that fails is logged and recorded as not delivered, never raised: one person's bad address must not
keep the rest from hearing.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import Role, current_membership
from compliance import state as derived
from compliance.models import (
    AuditEvent,
    AuditVerb,
    AutomatedStatus,
    Control,
    ControlComment,
    ControlState,
    Exemption,
    ExemptionState,
    NoticeKind,
    OwnerNotice,
)

log = logging.getLogger(__name__)

EXPIRY_WARNING_DAYS = 14
SLACK_TIMEOUT_SECONDS = 10
HEADINGS = {
    NoticeKind.CONTROL_FAILING: "Automated checks started failing",
    NoticeKind.EVIDENCE_STALE: "Evidence has gone stale",
    NoticeKind.EXEMPTION_EXPIRING: f"Exemptions expiring within {EXPIRY_WARNING_DAYS} days",
    NoticeKind.EVIDENCE_REQUESTED: "Evidence requested of you",
    NoticeKind.REQUEST_OVERDUE: "Evidence requests past their due date",
    NoticeKind.REQUEST_ANSWERED: "Your evidence requests were answered",
    NoticeKind.MENTIONED: "You were mentioned",
    NoticeKind.COMMENTED: "New comments on your controls and questions",
    NoticeKind.EXEMPTION_DECIDED: "Your exemption proposals were refused",
}
RECENT_DAYS = 7  # comments (and answers) older than this are no longer news to a later run


@dataclass(frozen=True)
class Event:
    kind: str
    recipient: object
    summary: str
    control: Control | None = None
    exemption: Exemption | None = None
    topic: str = ""  # a one-off event's subject (`comment:5`): told once, never closed

    @property
    def key(self) -> tuple:
        control, exemption = getattr(self.control, "pk", None), getattr(self.exemption, "pk", None)
        return (self.kind, self.topic, control, exemption, self.recipient.pk)


# Events that apps above compliance add to every run: each takes the time and returns its events.
DIGEST_SOURCES: dict[str, Callable[[datetime], list[Event]]] = {}


def digest_source_add(name: str, events: Callable[[datetime], list[Event]]) -> None:
    DIGEST_SOURCES[name] = events


def _has_access(user, now: datetime) -> bool:
    """accounts.roles.can_view, from rows already loaded: asking it per owner would cost a query each."""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    membership = getattr(user, "membership", None)
    return membership is not None and not membership.expired_at(now)


def _cisos(now: datetime) -> list:
    cisos = get_user_model().objects.filter(current_membership(now), is_active=True, membership__role=Role.CISO)
    return list(cisos.order_by("pk"))


def _told(state: ControlState, cisos: list, now: datetime) -> list:
    owner = state.control.owner
    return [owner] if _has_access(owner, now) else cisos


def has_access(user, now: datetime) -> bool:
    return _has_access(user, now)


def control_line(control: Control) -> str:
    return _control_line(control)


def _control_line(control: Control) -> str:
    return f"{control.framework.slug} {control.ref} {control.title} ({control.get_absolute_url()})"


def pending_events(now: datetime) -> list[Event]:
    """Every event that holds now, for every person to be told, in a fixed number of queries."""
    cisos = _cisos(now)
    states = ControlState.objects.filter(control__applicable=True).select_related(
        "control__framework", "control__owner__membership"
    )
    events = []
    for state in states.filter(automated_status=AutomatedStatus.FAILING):
        line = f"{_control_line(state.control)}: {state.checks_failed} check(s) failing"
        events += [Event(NoticeKind.CONTROL_FAILING, who, line, state.control) for who in _told(state, cisos, now)]
    for state in states.filter(derived.evidence_filter(derived.STALE, now, path="")):
        line = f"{_control_line(state.control)}: evidence valid until {state.evidence_fresh_until:%Y-%m-%d}"
        events += [Event(NoticeKind.EVIDENCE_STALE, who, line, state.control) for who in _told(state, cisos, now)]
    controls = Control.objects.select_related("framework", "owner__membership")
    exemptions = Exemption.objects.expiring_within(EXPIRY_WARNING_DAYS).prefetch_related(
        Prefetch("controls", queryset=controls)
    )
    for exemption in exemptions:
        refs = ", ".join(f"{c.framework.slug} {c.ref}" for c in exemption.controls.all())
        line = f"“{exemption.title}” on {refs} is in force until {exemption.last_day:%Y-%m-%d}"
        owners = {c.owner for c in exemption.controls.all() if _has_access(c.owner, now)}
        for who in sorted(owners, key=lambda u: u.pk) or cisos:
            events.append(Event(NoticeKind.EXEMPTION_EXPIRING, who, line, exemption=exemption))
    events += comment_events(now)
    events += refusal_events(now)
    for source in DIGEST_SOURCES.values():
        events += source(now)
    return events


def refusal_events(now: datetime) -> list[Event]:
    """Whoever proposed an exemption hears that the CISO refused it, and why (an approval shows in the register)."""
    refused = AuditEvent.objects.filter(
        verb=AuditVerb.EXEMPTION_REVOKED,
        details__was=ExemptionState.PROPOSED.value,
        at__gte=now - timedelta(days=RECENT_DAYS),
        subject_type=ContentType.objects.get_for_model(Exemption),
    )
    refused = list(refused.select_related("actor"))
    exemptions = Exemption.objects.select_related("requested_by__membership").prefetch_related(
        Prefetch("controls", queryset=Control.objects.select_related("framework"))
    )
    by_pk = exemptions.in_bulk([int(event.subject_id) for event in refused])
    events = []
    for event in refused:
        exemption = by_pk.get(int(event.subject_id))
        proposer = exemption.requested_by if exemption else None
        if proposer is None or proposer.pk == event.actor_id or not _has_access(proposer, now):
            continue
        refs = ", ".join(f"{c.framework.slug} {c.ref}" for c in exemption.controls.all())
        reason = f": {event.details['reason']}" if event.details.get("reason") else ""
        line = f"“{exemption.title}” on {refs} was refused by {event.actor}{reason}"
        topic = f"exemption-decision:{exemption.pk}"
        events.append(Event(NoticeKind.EXEMPTION_DECIDED, proposer, line, exemption=exemption, topic=topic))
    return events


def comment_events(now: datetime) -> list[Event]:
    """Recent comments: the people mentioned hear of it, then the control's owner and the thread's author."""
    recent = ControlComment.objects.filter(created_at__gte=now - timedelta(days=RECENT_DAYS)).select_related(
        "control__framework", "control__owner__membership", "author", "parent__author__membership"
    )
    recent = list(recent.order_by("created_at", "pk"))
    names = {name for comment in recent for name in comment.mentioned_usernames()}
    people = get_user_model().objects.select_related("membership").filter(username__in=names)
    by_name = {person.get_username(): person for person in people}
    events = []
    for comment in recent:
        line = f"{_control_line(comment.control)}: {comment.author} wrote “{comment.body[:140]}”"
        topic = f"comment:{comment.pk}"
        mentioned = [by_name[name] for name in comment.mentioned_usernames() if name in by_name]
        mentioned = [who for who in mentioned if who.pk != comment.author_id and _has_access(who, now)]
        events += [Event(NoticeKind.MENTIONED, who, line, comment.control, topic=topic) for who in mentioned]
        starter = comment.parent.author if comment.parent_id else None
        told = {who.pk for who in mentioned} | {comment.author_id}
        for who in (comment.control.owner, starter):
            if who is not None and who.pk not in told and _has_access(who, now):
                told.add(who.pk)
                events.append(Event(NoticeKind.COMMENTED, who, line, comment.control, topic=topic))
    return events


def _close_ended(now: datetime) -> None:
    """A control that is no longer failing (or stale) may be told about again when it next is."""
    failing = ControlState.objects.filter(automated_status=AutomatedStatus.FAILING).values("control_id")
    stale = ControlState.objects.filter(derived.evidence_filter(derived.STALE, now, path="")).values("control_id")
    open_notices = OwnerNotice.objects.filter(closed_at__isnull=True)
    open_notices.filter(kind=NoticeKind.CONTROL_FAILING).exclude(control_id__in=failing).update(closed_at=now)
    open_notices.filter(kind=NoticeKind.EVIDENCE_STALE).exclude(control_id__in=stale).update(closed_at=now)


def _claim(events: list[Event], now: datetime) -> list[OwnerNotice]:
    """Record the events not told yet; the unique constraints make a concurrent run skip what this one claims."""
    topics = {event.topic for event in events if event.topic}
    told = set(
        OwnerNotice.objects.filter(
            Q(closed_at__isnull=True, topic="") | Q(exemption__isnull=False) | Q(topic__in=topics)
        ).values_list("kind", "topic", "control_id", "exemption_id", "recipient_id")
    )
    claimed = []
    for event in events:
        if event.key in told:
            continue
        try:
            with transaction.atomic():
                claimed.append(
                    OwnerNotice.objects.create(
                        kind=event.kind,
                        recipient=event.recipient,
                        control=event.control,
                        exemption=event.exemption,
                        topic=event.topic,
                        summary=event.summary[:300],
                        noticed_at=now,
                    )
                )
        except IntegrityError:
            continue  # another run told it first
        told.add(event.key)
    return claimed


def digest(recipient, notices: list[OwnerNotice]) -> tuple[str, str]:
    """Subject and plain text of one person's digest."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for notice in notices:
        by_kind[notice.kind].append(notice.summary)
    name = recipient.get_full_name() or recipient.get_username()
    lines = [f"Hello {name},", "", "These controls need your attention in ControlTrace:"]
    for kind, heading in HEADINGS.items():
        if by_kind[kind]:
            lines += ["", heading, *(f"- {summary}" for summary in by_kind[kind])]
    count = len(notices)
    subject = f"ControlTrace: {count} items need your attention" if count > 1 else "ControlTrace: 1 item needs you"
    return subject, "\n".join(lines) + "\n"


def slack_post(url: str, text: str) -> bool:
    """POST to a Slack-compatible incoming webhook; True when it was accepted. Failures are logged, not raised."""
    if not url.startswith(("https://", "http://")):
        log.error("SLACK_WEBHOOK_URL must be an http(s) URL; the digest was not posted.")
        return False
    request = urllib.request.Request(
        url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=SLACK_TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # The URL itself is a secret: it is not logged.
        log.warning("The Slack digest was not delivered: %s", exc)
        return False


def _deliver(recipient, notices: list[OwnerNotice], now: datetime) -> None:
    subject, text = digest(recipient, notices)
    ids = [notice.pk for notice in notices]
    if recipient.email:
        try:
            send_mail(subject, text, None, [recipient.email])
            OwnerNotice.objects.filter(pk__in=ids).update(emailed_at=now)
        except Exception:  # noqa: BLE001 - any mail failure is logged; the others still get theirs
            log.exception("The digest to %s was not emailed.", recipient.get_username())
    else:
        log.warning("%s has no email address; their digest goes to Slack only, if set.", recipient.get_username())
    slack_url = settings.SLACK_WEBHOOK_URL
    if slack_url and slack_post(slack_url, f"*For {recipient.get_username()}* — {text}"):
        OwnerNotice.objects.filter(pk__in=ids).update(posted_at=now)


def owners_notify(*, now: datetime | None = None) -> dict:
    """One run: close ended conditions, claim new events, send one digest per person. Returns counts."""
    now = now or timezone.now()
    _close_ended(now)
    claimed = _claim(pending_events(now), now)
    by_recipient: dict[int, list[OwnerNotice]] = defaultdict(list)
    for notice in claimed:
        by_recipient[notice.recipient_id].append(notice)
    for notices in by_recipient.values():
        _deliver(notices[0].recipient, notices, now)
    return {"events": len(claimed), "digests": len(by_recipient)}


def notify_on_commit() -> None:
    """After this transaction commits, a worker runs the digest: the new request or comment is told at once."""
    from compliance.notification_tasks import notify_owners  # the task module imports this one
    from config.celery import enqueue_or_reason

    transaction.on_commit(lambda: enqueue_or_reason(notify_owners))
