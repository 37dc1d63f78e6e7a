"""The CISO's dashboard: where each framework and theme stands, what is failing, what changed, and the trend.

Every figure comes from a handful of aggregate queries (the count does not grow with the data) and every
number about controls links to the register filtered to exactly the controls it counts. The same
per-framework counts are written once a day to DailySnapshot (see `snapshot_take`) and drawn as the trend.
Apps above compliance add panels (`panel_add`): the scanners add the checks that fail most.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from html import escape
from urllib.parse import quote_plus

from django.db.models import Count, Exists, OuterRef, Prefetch, Window
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from accounts.decorators import viewer_required
from compliance import dashboard_changes, dashboard_trend, state
from compliance.dashboard_changes import automated_ids_by_framework
from compliance.dashboard_trend import implemented_share  # noqa: F401 - the snapshot command reports with it
from compliance.models import (
    CLOSED_TICKET_STATES,
    AutomatedStatus,
    Control,
    ControlStatus,
    DailySnapshot,
    Exemption,
    Framework,
    Ticket,
    ref_sort_key,
)

EXPIRY_WINDOW_DAYS = 30
LIST_LIMIT = 5
AUTOMATED = state.AUTOMATED_COUNTED


def counts_by_theme(now: datetime) -> list[dict]:
    """One row per (framework, group) with every count; one query."""
    return list(Control.objects.values("framework_id", "group").annotate(**state.control_counts(now)).order_by())


def counts_by_framework(rows: list[dict]) -> dict[int, dict[str, int]]:
    totals: dict[int, dict[str, int]] = {}
    for row in rows:
        target = totals.setdefault(row["framework_id"], {})
        for key, value in row.items():
            if key not in ("framework_id", "group"):
                target[key] = target.get(key, 0) + value
    return totals


def snapshot_take(*, day: date | None = None) -> list[DailySnapshot]:
    """Record today's counts per framework; running it again the same day replaces that day's row."""
    day = day or timezone.localdate()
    totals = counts_by_framework(counts_by_theme(timezone.now()))
    ids = automated_ids_by_framework()
    snapshots = [
        DailySnapshot(day=day, framework_id=pk, counts=counts, control_ids=ids.get(pk, {}))
        for pk, counts in totals.items()
    ]
    return DailySnapshot.objects.bulk_create(
        snapshots, update_conflicts=True, unique_fields=["day", "framework"], update_fields=["counts", "control_ids"]
    )


# --- Presentation: numbers with the register link that lists exactly what they count -----------------


@dataclass
class Figure:
    label: str
    value: int
    url: str
    tone: str = ""
    where: str = ""  # the theme, for a screen reader reading one cell of the theme table

    @property
    def aria(self) -> str:
        return f"{self.value} {self.label} in {self.where}" if self.where else f"{self.value} {self.label}"


@dataclass
class Segment:
    """One part of a proportional bar: a figure, where it starts and how wide it is (percent of the whole)."""

    figure: Figure
    x: str
    width: str
    share: int  # rounded percent, for the legend


@dataclass
class Standing:
    """A framework's or a theme's figures, grouped as the page shows them."""

    name: str
    total: Figure
    statuses: list[Figure]
    automated: list[Figure]
    evidence: list[Figure]
    exempted: Figure
    themes: list[Standing] = field(default_factory=list)
    slug: str = ""

    @property
    def status_bar(self) -> list[Segment]:
        return proportional(self.statuses, self.total.value)

    @property
    def automated_bar(self) -> list[Segment]:
        return proportional(self.automated, self.total.value)

    @property
    def implemented_share(self) -> int:
        implemented = next(f for f in self.statuses if f.tone == ControlStatus.IMPLEMENTED)
        applicable = self.total.value - next(f for f in self.statuses if f.tone == ControlStatus.NOT_APPLICABLE).value
        return round(100 * implemented.value / applicable) if applicable else 0

    @property
    def heat_row(self) -> list[HeatCell]:
        """The theme's cells of the heat map, in the order of `HEAT_COLUMNS`."""
        figures = {figure.tone: figure for figure in [*self.statuses, *self.automated, *self.evidence, self.exempted]}
        return [heat_cell(figures[tone], self.total.value, kind) for tone, _, kind in HEAT_COLUMNS]

    @property
    def heat_cells(self) -> str:
        """The row's cells as HTML, built here with one escape per text: 300 cells through template tags (or
        format_html) cost tens of milliseconds a page."""
        return mark_safe(
            "".join(
                f'<td class="{cell.css}"><a href="{escape(cell.figure.url)}" aria-label="{escape(cell.figure.aria)} '
                f'({cell.share}%)">{cell.figure.value}</a></td>'
                for cell in self.heat_row
            )
        )


def proportional(figures: list[Figure], whole: int) -> list[Segment]:
    """Segments side by side over 0-100; an empty figure takes no room (its link stays in the legend)."""
    segments, start = [], 0.0
    for figure in figures:
        width = 100 * figure.value / whole if whole else 0
        segments.append(Segment(figure, f"{start:.2f}", f"{width:.2f}", round(width)))
        start += width
    return segments


# The heat map's columns: the figure (by tone), its heading, and whether a larger share is good or bad.
HEAT_COLUMNS = [
    (ControlStatus.IMPLEMENTED, "Implemented", "good"),
    (ControlStatus.IN_PROGRESS, "In progress", "neutral"),
    (ControlStatus.NOT_STARTED, "Not started", "bad"),
    (AutomatedStatus.FAILING, "Checks failing", "bad"),
    ("missing", "Evidence missing", "bad"),
    ("stale", "Evidence stale", "bad"),
]  # what passes and what is exempted is in each framework's bars and figures


@dataclass
class HeatCell:
    figure: Figure
    share: int
    css: str  # heat-<kind>-<0..4>: the colour says how large a share; the number says it exactly


def heat_cell(figure: Figure, whole: int, kind: str) -> HeatCell:
    share = round(100 * figure.value / whole) if whole else 0
    level = 0 if not figure.value else min(4, 1 + share // 25)
    return HeatCell(figure, share, f"heat-{kind}-{level}")


@lru_cache(maxsize=2048)
def _quoted(value: str) -> str:
    return quote_plus(value)


class RegisterLinks:
    """The register's address with these filters, as `urlencode` writes it; a page builds ~400 of them, so the
    quoting of each value (a few dozen distinct ones) is remembered."""

    def __init__(self) -> None:
        self.base = reverse("control-list")

    def __call__(self, **filters: str) -> str:
        return self.base + "?" + "&".join(f"{name}={_quoted(value)}" for name, value in filters.items())


def standing(name: str, counts: dict[str, int], link: RegisterLinks, where: str = "", **scope: str) -> Standing:
    applicable = {**scope, "applicable": "yes"}

    def figure(label: str, key: str, tone: str = "", **filters: str) -> Figure:
        return Figure(label, counts[key], link(**filters), tone, where)

    return Standing(
        name=name,
        total=figure("controls", "total", **scope),
        statuses=[figure(label.lower(), value, value, **scope, status=value) for value, label in ControlStatus.choices],
        automated=[
            *(
                figure(status.label.lower(), status.value, status.value, **scope, automated=status.value)
                for status in AUTOMATED
            ),
            Figure(
                "not automated",
                counts["total"] - sum(counts[s] for s in AUTOMATED),
                link(**scope, automated="none"),
                "none",
                where,
            ),
        ],
        evidence=[
            figure("evidence missing", "evidence_missing", "missing", **applicable, evidence="missing"),
            figure("evidence stale", "evidence_stale", "stale", **applicable, evidence="stale"),
        ],
        exempted=figure("under an active exemption", "exempted", "exempted", **scope, exemption="active"),
    )


def framework_standings(now: datetime, frameworks: list[Framework]) -> list[Standing]:
    rows = counts_by_theme(now)
    totals = counts_by_framework(rows)
    link = RegisterLinks()
    standings = []
    for framework in frameworks:
        if framework.pk not in totals:
            continue
        scope = {"framework": framework.slug}
        item = standing(framework.name, totals[framework.pk], link, **scope)
        item.slug = framework.slug
        themes = sorted(
            (r for r in rows if r["framework_id"] == framework.pk), key=lambda r: ref_sort_key(r["group"])
        )  # A.5 before A.10
        item.themes = [standing(r["group"], r, link, r["group"], **scope, group=r["group"]) for r in themes]
        standings.append(item)
    return standings


def open_improvement_tickets():
    """Tickets linked to a control whose state is not a closed one: `Ticket.is_open`, in SQL."""
    return (
        Ticket.objects.alias(state_lower=Lower("state"))
        .exclude(state_lower__in=CLOSED_TICKET_STATES)
        .filter(Exists(Ticket.controls.through.objects.filter(ticket=OuterRef("pk"))))
    )


def first_with_controls(queryset, limit: int = LIST_LIMIT) -> tuple[int, list]:
    """How many there are and the first `limit` with their controls, in two queries: the count rides along
    as a window over the whole filtered set instead of a COUNT query of its own."""
    rows = list(
        queryset.annotate(matching=Window(Count("pk"))).prefetch_related(
            Prefetch("controls", queryset=Control.objects.select_related("framework"))
        )[:limit]
    )
    return (rows[0].matching if rows else 0), rows


# --- Panels that other apps add (compliance never imports them) ----------------------------------------


@dataclass
class Panel:
    template: str  # rendered with `panel` in its context
    context: dict


ADDED_PANELS: dict[str, Callable[[], Panel | None]] = {}


def panel_add(name: str, build: Callable[[], Panel | None]) -> None:
    """Register a dashboard panel; its builder runs a fixed number of queries and returns None to hide it."""
    ADDED_PANELS[name] = build


def added_panels() -> list[Panel]:
    return [panel for build in ADDED_PANELS.values() if (panel := build()) is not None]


@require_safe
@viewer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate()
    frameworks = list(Framework.objects.all())
    standings = framework_standings(now, frameworks)
    expiring_count, expiring = first_with_controls(Exemption.objects.expiring_within(EXPIRY_WINDOW_DAYS))
    ticket_count, tickets = first_with_controls(open_improvement_tickets().order_by("-created_at", "-pk"))
    context = {
        "standings": standings,
        "heat_columns": [heading for _, heading, _ in HEAT_COLUMNS],
        # Most themes first: the two columns of heat maps then come out about as tall as each other.
        "heat_standings": sorted(standings, key=lambda s: -len(s.themes)),
        "expiring_count": expiring_count,
        "expiring": expiring,
        "expiry_days": EXPIRY_WINDOW_DAYS,
        "open_ticket_count": ticket_count,
        "open_tickets": tickets,
        "trend": dashboard_trend.trend_chart(dashboard_trend.trend_snapshots(today), today, frameworks),
        "changes": dashboard_changes.since_last_week(now, today, standings, frameworks),
        "panels": added_panels(),
    }
    return TemplateResponse(request, "compliance/dashboard.html", context)
