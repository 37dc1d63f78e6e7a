"""The state of a control as every page shows it, derived for many controls at once.

A control's state combines the organisation's own status, what the scanners found (ControlState,
written by `scanners`), how fresh its evidence is (ControlState, written by `evidence`) and whether an
approved, unexpired exemption covers it. The register, the control page and anything else that shows
a one-word state ask `control_states()` so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from compliance.models import AutomatedStatus, Control, ControlState, ControlStatus, Exemption, MappingRelation

FRESH, STALE, MISSING = "fresh", "stale", "missing"

# The mappings that carry an automated verdict across frameworks: only `equal`, where both controls ask
# the same thing. A partial one (subset, superset, intersect) shares some ground only, so a check of one
# side says nothing certain about the other: the control page shows it as context, never as the status.
# `scanners.verdict` decides the statuses with it; `compliance.detail` explains the mappings with it.
VERDICT_RELATIONS = frozenset({MappingRelation.EQUAL})


@dataclass(frozen=True)
class DerivedState:
    control_id: int
    status: str  # the organisation's own status (ControlStatus)
    automated: str  # AutomatedStatus
    evidence: str  # fresh / stale / missing
    exempted: bool  # an active exemption covers the control
    summary: str  # one word: effective, failing, exempted, unverified, stale, unevidenced, incomplete, excluded
    reason: str  # one sentence: why the summary is what it is
    source: ControlState | None = field(default=None, compare=False)  # the counts behind it, for detail pages

    @property
    def badge(self) -> str:
        """The CSS badge class; one per summary word."""
        return self.summary

    @property
    def automated_label(self) -> str:
        return AutomatedStatus(self.automated).label

    @property
    def needs_attention(self) -> bool:
        return self.summary in {"failing", "unverified", "stale", "unevidenced"}


def evidence_freshness(state: ControlState | None, at: datetime | None = None) -> str:
    """Fresh, stale or missing: the one definition for a control's evidence; `evidence_filter` is it in SQL.

    Stale when the control has evidence and the latest valid-until among its current items is at or before
    `at`: none of it is in force any more.
    """
    at = at or timezone.now()
    if state is None or state.evidence_count == 0:
        return MISSING
    # No valid-until on any current item means it does not expire.
    if state.evidence_fresh_until is None or state.evidence_fresh_until > at:
        return FRESH
    return STALE


def derive(control: Control, state: ControlState | None, exempted: bool, at: datetime) -> DerivedState:
    """The one place that decides a control's summary; pure, so it is tested on plain values."""
    automated = state.automated_status if state else AutomatedStatus.NONE
    evidence = evidence_freshness(state, at)
    summary, reason = _summarise(control, automated, evidence, exempted)
    return DerivedState(control.pk, control.status, automated, evidence, exempted, summary, reason, state)


def _summarise(control: Control, automated: str, evidence: str, exempted: bool) -> tuple[str, str]:
    if not control.applicable or control.status == ControlStatus.NOT_APPLICABLE:
        return "excluded", "Excluded from the Statement of Applicability."
    problem = _problem(control, automated, evidence)
    if problem is None:
        return "effective", "Implemented, with fresh evidence or passing automated checks."
    if exempted:
        # An approved exception covers a known gap: the gap is shown elsewhere, the summary says it is accepted.
        return "exempted", f"{problem[1]} An active exemption covers it."
    return problem


def _problem(control: Control, automated: str, evidence: str) -> tuple[str, str] | None:
    if automated == AutomatedStatus.FAILING:
        return "failing", "Automated checks fail."
    if automated == AutomatedStatus.ERROR:
        return "unverified", "Automated checks could not run."
    if control.status != ControlStatus.IMPLEMENTED:
        return "incomplete", f"The control is {control.get_status_display().lower()}."
    if automated == AutomatedStatus.PASSING or evidence == FRESH:
        return None
    if evidence == STALE:
        return "stale", "Its evidence has expired."
    return "unevidenced", "Implemented, but with no evidence and no automated checks."


def active_exemption_exists(at: datetime | None = None) -> Exists:
    """An expression for querysets of Control: does an active exemption cover this control?"""
    covering = Exemption.controls.through.objects.filter(
        control_id=OuterRef("pk"), exemption__in=Exemption.objects.active(at)
    )
    return Exists(covering)


def control_states(controls: Iterable[Control], at: datetime | None = None) -> dict[int, DerivedState]:
    """Derived state for each control, keyed by control id, in two queries whatever the number of controls."""
    controls = list(controls)
    if not controls:
        return {}
    at = at or timezone.now()
    ids = [control.pk for control in controls]
    states = {state.control_id: state for state in ControlState.objects.filter(control_id__in=ids)}
    exempted = set(
        Exemption.controls.through.objects.filter(
            control_id__in=ids, exemption__in=Exemption.objects.active(at)
        ).values_list("control_id", flat=True)
    )
    return {control.pk: derive(control, states.get(control.pk), control.pk in exempted, at) for control in controls}


def evidence_filter(freshness: str, at: datetime | None = None, *, path: str = "state__") -> Q:
    """The same fresh / stale / missing rule as `evidence_freshness`, as a filter on Control (or, with
    path="", on ControlState)."""
    at = at or timezone.now()

    def q(**lookups) -> Q:
        return Q(**{f"{path}{name}": value for name, value in lookups.items()})

    has_evidence = q(evidence_count__gt=0)
    if freshness == MISSING:
        return (q(isnull=True) | q(evidence_count=0)) if path else q(evidence_count=0)
    if freshness == FRESH:
        return has_evidence & (q(evidence_fresh_until__isnull=True) | q(evidence_fresh_until__gt=at))
    if freshness == STALE:
        return has_evidence & q(evidence_fresh_until__lte=at)
    raise ValueError(f"Unknown evidence freshness: {freshness}")


def automated_filter(status: str) -> Q:
    """Controls no scanner has summarised yet count as not automated."""
    if status == AutomatedStatus.NONE:
        return Q(state__isnull=True) | Q(state__automated_status=AutomatedStatus.NONE)
    return Q(state__automated_status=status)


AUTOMATED_COUNTED = [AutomatedStatus.PASSING, AutomatedStatus.FAILING, AutomatedStatus.ERROR]


def control_counts(at: datetime | None = None) -> dict[str, Count]:
    """The counts the register's summary line and the dashboard (and its daily snapshot) show, as conditional
    aggregates over controls: `.aggregate(**control_counts())` for a filtered set, `.annotate(...)` per theme.

    Evidence is judged on applicable controls only (a control out of scope needs none, and its state is
    "excluded" whatever its evidence), so the figures link to the register with `applicable=yes`.
    """
    at = at or timezone.now()
    applicable = Q(applicable=True)
    return {
        "total": Count("pk"),
        "applicable_count": Count("pk", filter=applicable),  # not `applicable`: it would shadow the field
        **{status: Count("pk", filter=Q(status=status)) for status in ControlStatus.values},
        **{status: Count("pk", filter=automated_filter(status)) for status in AUTOMATED_COUNTED},
        "evidence_missing": Count("pk", filter=applicable & evidence_filter(MISSING, at)),
        "evidence_stale": Count("pk", filter=applicable & evidence_filter(STALE, at)),
        "exempted": Count("pk", filter=active_exemption_exists(at)),
    }
