"""What changed since last week, for the dashboard: posture figures then and now, the controls whose automated
result or status changed, evidence that went stale, and exemptions decided or ended.

"Then" is the daily snapshot of a week ago (the latest one on or before that day); "now" is live. Seven
queries whatever the data: a week's changes are bounded by the number of controls, and lists show a few.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from compliance.dashboard_trend import short_name
from compliance.models import (
    AutomatedStatus,
    Control,
    ControlStatus,
    DailySnapshot,
    Exemption,
    ExemptionState,
    Framework,
)
from compliance.models.exemptions import exemption_state_q

WEEK = timedelta(days=7)
SHOWN = 6
SNAPSHOT_IDS = (AutomatedStatus.FAILING, AutomatedStatus.PASSING, AutomatedStatus.ERROR)
STATUS_LABELS = dict(ControlStatus.choices)


def automated_ids_by_framework() -> dict[int, dict[str, list[int]]]:
    """{framework id: {automated status: [control ids]}} for the statuses a snapshot remembers; one query."""
    rows = Control.objects.filter(state__automated_status__in=SNAPSHOT_IDS).values_list(
        "framework_id", "state__automated_status", "pk"
    )
    grouped: dict[int, dict[str, list[int]]] = {}
    for framework_id, status, pk in rows.order_by("pk"):
        grouped.setdefault(framework_id, {}).setdefault(status, []).append(pk)
    return grouped


@dataclass
class Delta:
    """One figure of a framework then and now; `figure` is today's, with its register link."""

    label: str
    before: int
    figure: object
    better_when: str  # "up" or "down"

    @property
    def change(self) -> int:
        return self.figure.value - self.before

    @property
    def verdict(self) -> str:
        if not self.change:
            return "unchanged"
        improved = (self.change > 0) == (self.better_when == "up")
        return "better" if improved else "worse"


@dataclass
class Listed:
    """Controls (or exemptions) of one kind of change: the count and the first few."""

    count: int = 0
    items: list = field(default_factory=list)


def _week_ago_snapshots(since_day: date) -> dict[int, DailySnapshot]:
    latest_day = DailySnapshot.objects.filter(day__lte=since_day).order_by("-day").values("day")[:1]
    return {snapshot.framework_id: snapshot for snapshot in DailySnapshot.objects.filter(day=Subquery(latest_day))}


def _deltas(standings, frameworks: list[Framework], then: dict[int, DailySnapshot]) -> list[tuple[str, list[Delta]]]:
    by_name = {standing.name: standing for standing in standings}
    rows = []
    for framework in frameworks:
        snapshot, standing = then.get(framework.pk), by_name.get(framework.name)
        if snapshot is None or standing is None:
            continue
        implemented = next(f for f in standing.statuses if f.tone == ControlStatus.IMPLEMENTED)
        failing = next(f for f in standing.automated if f.tone == AutomatedStatus.FAILING)
        stale = next(f for f in standing.evidence if f.tone == "stale")
        counts = snapshot.counts
        rows.append(
            (
                short_name(framework),
                [
                    Delta("implemented", counts.get(ControlStatus.IMPLEMENTED, 0), implemented, "up"),
                    Delta("failing checks", counts.get(AutomatedStatus.FAILING, 0), failing, "down"),
                    Delta("evidence stale", counts.get("evidence_stale", 0), stale, "down"),
                ],
            )
        )
    return rows


def _automated_changes(then: dict[int, DailySnapshot]) -> tuple[Listed, Listed]:
    """Controls failing now that were not a week ago, and passing now that were not; two queries."""
    now_ids = automated_ids_by_framework()
    newly_failing, newly_passing = [], []
    for framework_id, snapshot in then.items():
        before = {status: set(ids) for status, ids in snapshot.control_ids.items()}
        current = now_ids.get(framework_id, {})
        newly_failing += sorted(
            set(current.get(AutomatedStatus.FAILING, [])) - before.get(AutomatedStatus.FAILING, set())
        )
        newly_passing += sorted(
            set(current.get(AutomatedStatus.PASSING, [])) - before.get(AutomatedStatus.PASSING, set())
        )
    shown = Control.objects.select_related("framework").in_bulk([*newly_failing[:SHOWN], *newly_passing[:SHOWN]])
    return (
        Listed(len(newly_failing), [shown[pk] for pk in newly_failing[:SHOWN]]),
        Listed(len(newly_passing), [shown[pk] for pk in newly_passing[:SHOWN]]),
    )


def _status_changes(since: datetime) -> Listed:
    """Controls whose status today differs from the one they had a week ago (one query).

    Catalog-created controls have no history before their first change: their status then was the default.
    """
    changed_ids = Control.history.filter(history_date__gte=since).values("id")
    before = Control.history.filter(id=OuterRef("pk"), history_date__lt=since).order_by("-history_date", "-history_id")
    controls = (
        Control.objects.filter(pk__in=changed_ids)
        .annotate(status_before=Subquery(before.values("status")[:1]))
        .select_related("framework")
        .order_by("framework__position", "sort_key")
    )
    default = Control._meta.get_field("status").get_default()
    changed = []
    for control in controls:
        was = control.status_before or default
        if was != control.status:
            changed.append((control, STATUS_LABELS.get(was, was), control.get_status_display()))
    return Listed(len(changed), changed[:SHOWN])


def _gone_stale(since: datetime, now: datetime) -> Listed:
    """Applicable controls whose last evidence in force expired during the week (`evidence_filter`'s stale)."""
    controls = list(
        Control.objects.filter(
            applicable=True,
            state__evidence_count__gt=0,
            state__evidence_fresh_until__gt=since,
            state__evidence_fresh_until__lte=now,
        )
        .select_related("framework")
        .order_by("-state__evidence_fresh_until", "pk")
    )
    return Listed(len(controls), controls[:SHOWN])


def _exemptions(since: datetime, now: datetime) -> dict:
    """How many were approved this week, ended this week (expired) and wait for a decision; the first waiting
    ones with their controls (to open their page). Two or three queries."""
    approved = Q(approved_at__gte=since) & exemption_state_q(ExemptionState.ACTIVE, now)
    expired = Q(expires_at__gt=since) & exemption_state_q(ExemptionState.EXPIRED, now)
    waiting = exemption_state_q(ExemptionState.PROPOSED, now)
    counts = Exemption.objects.aggregate(
        approved=Count("pk", filter=approved), expired=Count("pk", filter=expired), waiting=Count("pk", filter=waiting)
    )
    first_waiting = (
        Exemption.objects.filter(waiting)
        .prefetch_related(Prefetch("controls", queryset=Control.objects.select_related("framework")))
        .order_by("requested_at", "pk")[:SHOWN]
    )
    return {"exemptions": counts, "waiting_exemptions": list(first_waiting)}


def since_last_week(now: datetime, today: date, standings, frameworks: list[Framework]) -> dict:
    since, since_day = now - WEEK, today - WEEK
    then = _week_ago_snapshots(since_day)
    newly_failing, newly_passing = _automated_changes(then)
    return {
        "since": since,
        "then_day": next(iter(then.values())).day if then else None,
        "deltas": _deltas(standings, frameworks, then),
        "newly_failing": newly_failing,
        "newly_passing": newly_passing,
        "status_changed": _status_changes(since),
        "gone_stale": _gone_stale(since, now),
        **_exemptions(since, now),
    }
