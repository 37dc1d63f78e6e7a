"""Each person's inbox: a registry of sections, each a queryset of what waits for that person.

Compliance registers its own sections here (exemptions to decide, failing controls nobody owns, an engineer's
controls that need work, questions); apps above it add theirs with `inbox_source_add` (evidence adds its
requests) the way `compliance.detail.section_add` lets them add control-page sections, so the core imports
neither. Every section's count comes from ONE query (`inbox_counts`, also the navigation's "Inbox (N)"), and
its first rows from one query more (plus the source's fixed prefetches), whatever the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import F, Func, IntegerField, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import Role
from compliance import state
from compliance.models import AutomatedStatus, Control, ControlComment, Exemption, ExemptionState

SHOWN = 10  # rows per section; the count and the link say how many more
GOING_STALE_DAYS = 14  # evidence that expires within this many days is "going stale"

Items = Callable[[object, datetime], QuerySet]


@dataclass(frozen=True)
class InboxSource:
    name: str
    title: str
    roles: frozenset[Role]
    items: Items  # (person, now) -> what waits for them, in the order shown
    row: str  # the template of one row
    empty: str
    position: int = 50  # sections are shown in this order
    link: Callable[[object], str] | None = None  # (person) -> the full list elsewhere, if there is one


@dataclass(frozen=True)
class Section:
    source: InboxSource
    count: int
    rows: list
    link: str = ""

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


SOURCES: dict[str, InboxSource] = {}


def inbox_source_add(source: InboxSource) -> None:
    SOURCES[source.name] = source


def sources_for(user) -> list[InboxSource]:
    role = roles.role_of(user)
    return sorted((s for s in SOURCES.values() if role in s.roles), key=lambda s: (s.position, s.name))


def _count(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of a source's rows as a subquery. A source filters through no many-valued relation (prefetches
    are dropped here), so each row is counted once."""
    counted = queryset.order_by().prefetch_related(None).values(n=Func(F("pk"), function="COUNT"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def inbox_counts(user, now: datetime | None = None) -> dict[str, int]:
    """Every section's count for this person, in one query."""
    sources = sources_for(user)
    if not sources:
        return {}
    now = now or timezone.now()
    counts = {f"n{index}": _count(source.items(user, now)) for index, source in enumerate(sources)}
    row = get_user_model().objects.filter(pk=user.pk).values(**counts).first() or {}
    return {source.name: row.get(f"n{index}", 0) for index, source in enumerate(sources)}


def inbox_total(user) -> int:
    return sum(inbox_counts(user).values())


def inbox_sections(user, now: datetime | None = None) -> list[Section]:
    now = now or timezone.now()
    counts = inbox_counts(user, now)
    sections = []
    for source in sources_for(user):
        count = counts[source.name]
        rows = list(source.items(user, now)[:SHOWN]) if count else []
        sections.append(Section(source, count, rows, source.link(user) if source.link else ""))
    return sections


def register_link(**filters) -> str:
    return f"{reverse('control-list')}?{urlencode(filters)}"


# --- The core's own sections --------------------------------------------------------------------------------


def exemptions_to_decide(user, now: datetime) -> QuerySet:
    """Proposals this CISO may decide (roles.can_approve_exemption: not their own, unless self-approval)."""
    proposals = Exemption.objects.in_state(ExemptionState.PROPOSED, at=now)
    if not roles.can_manage(user):
        return proposals.none()
    if not roles.can_approve_exemption(user, Exemption(requested_by_id=user.pk)):  # the rule, asked once
        proposals = proposals.exclude(requested_by=user)
    controls = Control.objects.select_related("framework").order_by("framework__position", "sort_key")
    return (
        proposals.select_related("requested_by")
        .prefetch_related(Prefetch("controls", queryset=controls))
        .order_by("requested_at", "pk")
    )


def failing_without_owner(user, now: datetime) -> QuerySet:
    """Applicable controls whose checks fail and whom nobody who still has access owns."""
    unowned = Q(owner__isnull=True) | ~Q(owner__in=roles.eligible_owners().values("pk"))
    return (
        Control.objects.filter(unowned, state.automated_filter(AutomatedStatus.FAILING), applicable=True)
        .select_related("framework", "state")
        .order_by("framework__position", "sort_key")
    )


def controls_needing_work(user, now: datetime) -> QuerySet:
    """The person's applicable controls that fail, have no evidence, or whose evidence is stale or soon will be."""
    soon = now + timedelta(days=GOING_STALE_DAYS)
    needs = (
        state.automated_filter(AutomatedStatus.FAILING)
        | state.evidence_filter(state.MISSING, now)
        | state.evidence_filter(state.STALE, soon)
    )
    return (
        Control.objects.filter(needs, owner=user, applicable=True)
        .select_related("framework", "state")
        .order_by("framework__position", "sort_key")
    )


def _threads(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("control__framework", "author").order_by("-created_at", "-pk")


def questions_on_my_controls(user, now: datetime) -> QuerySet:
    """Threads others started on the person's controls that nobody else has answered yet."""
    return _threads(ControlComment.objects.unanswered().filter(control__owner=user).exclude(author=user))


def my_open_questions(user, now: datetime) -> QuerySet:
    """Threads the person started that nobody else has answered yet."""
    return _threads(ControlComment.objects.unanswered().filter(author=user))


CISO, ENGINEER, AUDITOR = frozenset({Role.CISO}), frozenset({Role.ENGINEER}), frozenset({Role.AUDITOR})

inbox_source_add(
    InboxSource(
        "exemptions_to_decide",
        "Exemption proposals to decide",
        CISO,
        exemptions_to_decide,
        "inbox/_exemption.html",
        "No exemption proposal waits for your decision.",
        position=10,
    )
)
inbox_source_add(
    InboxSource(
        "failing_without_owner",
        "Controls failing without an owner",
        CISO,
        failing_without_owner,
        "inbox/_control.html",
        "Every failing control has an owner.",
        position=30,
        link=lambda user: register_link(owner="nobody", automated="failing", applicable="yes"),
    )
)
inbox_source_add(
    InboxSource(
        "controls_needing_work",
        "Your controls that need work",
        ENGINEER,
        controls_needing_work,
        "inbox/_control.html",
        "Your controls are passing and evidenced.",
        position=10,
        link=lambda user: register_link(owner="me", applicable="yes"),
    )
)
inbox_source_add(
    InboxSource(
        "questions_on_my_controls",
        "Questions on your controls",
        ENGINEER,
        questions_on_my_controls,
        "inbox/_question.html",
        "No question waits for your answer.",
        position=30,
    )
)
inbox_source_add(
    InboxSource(
        "my_open_questions",
        "Your open questions",
        AUDITOR | CISO,
        my_open_questions,
        "inbox/_question.html",
        "None of your questions is waiting for an answer.",
        position=40,
    )
)
