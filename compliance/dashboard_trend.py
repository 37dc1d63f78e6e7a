"""The dashboard's 90-day trend: an SVG line chart drawn on the server from the daily snapshots.

No script and no charting library: coordinates are computed here and the template writes them out, with a
title and description for screen readers and the same figures as a table (one row a week) beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.safestring import mark_safe

from compliance.models import ControlStatus, DailySnapshot, Framework

TREND_DAYS = 90
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28  # room for the axes' labels
# One colour and one dash pattern per framework, so the lines differ without colour too (>= 3:1 on white).
STYLES = [("#2456c7", ""), ("#1b7a3d", "6 3"), ("#a3470c", "2 3"), ("#6b3fa0", "8 3 2 3")]
TABLE_EVERY_DAYS = 7


def implemented_share(counts: dict) -> float | None:
    """Implemented controls as a percentage of applicable ones (the trend's measure)."""
    applicable = counts.get("applicable_count") or 0
    return 100 * counts.get(ControlStatus.IMPLEMENTED, 0) / applicable if applicable else None


def short_name(framework: Framework) -> str:
    """`ISO/IEC 27001:2022 Annex A` -> `ISO 27001:2022`: legends and table headings stay narrow."""
    name = framework.name.replace("ISO/IEC ", "ISO ")
    for suffix in (" Annex A", " Trust Services Criteria"):
        name = name.removesuffix(suffix)
    return name


@dataclass
class Series:
    name: str
    colour: str
    dash: str
    shares: dict[date, float] = field(default_factory=dict)
    points: list[tuple[str, str, str]] = field(default_factory=list)  # x, y, tooltip (formatted here: cheaper)

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y, _ in self.points)

    @property
    def latest(self) -> str:
        if not self.shares:
            return f"{self.name}: no snapshot yet"
        day = max(self.shares)
        return f"{self.name}: {self.shares[day]:.0f}% implemented on {day:%d %b %Y}"

    @property
    def change(self) -> str:
        """Points gained or lost over the window, in words (for the legend)."""
        if len(self.shares) < 2:
            return ""
        first, last = self.shares[min(self.shares)], self.shares[max(self.shares)]
        return f"{last - first:+.0f} points since {min(self.shares):%d %b}"

    @property
    def markers(self) -> str:
        """A dot with a tooltip per day, built here: 270 dots through template tags (or format_html) cost ~10 ms.
        Coordinates and the colour are numbers and constants; the tooltip is escaped."""
        return mark_safe(
            "".join(
                f'<circle cx="{x}" cy="{y}" r="2.2" fill="{self.colour}"><title>{escape(tip)}</title></circle>'
                for x, y, tip in self.points
            )
        )


def trend_snapshots(today: date) -> list[tuple[date, int, float | None]]:
    """(day, framework id, implemented share) over the trend's window, oldest first; reads two keys of each
    snapshot's counts, not the whole document."""
    recent = DailySnapshot.objects.filter(day__gt=today - timedelta(days=TREND_DAYS))
    as_int = {key: Cast(KT(f"counts__{key}"), IntegerField()) for key in ("implemented", "applicable_count")}
    rows = recent.order_by("day").values_list("day", "framework_id", as_int["implemented"], as_int["applicable_count"])
    return [
        (day, framework_id, implemented_share({"implemented": implemented or 0, "applicable_count": applicable}))
        for day, framework_id, implemented, applicable in rows
    ]


def _x(day: date, start: date) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / TREND_DAYS


def _y(share: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - share / 100)


def trend_chart(snapshots: list[tuple[date, int, float | None]], today: date, frameworks: list[Framework]) -> dict:
    start = today - timedelta(days=TREND_DAYS)
    series = {
        framework.pk: Series(short_name(framework), *STYLES[index % len(STYLES)])
        for index, framework in enumerate(frameworks)
    }
    for day, framework_id, share in snapshots:
        line = series.get(framework_id)
        if line is None or share is None:
            continue
        line.shares[day] = share
        line.points.append(
            (f"{_x(day, start):.1f}", f"{_y(share):.1f}", f"{line.name} on {day:%d %b %Y}: {share:.0f}% implemented")
        )
    drawn = [line for line in series.values() if line.points]
    days = sorted({day for day, _, _ in snapshots})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 16,
        "series": drawn,
        "gridlines": [(pct, f"{_y(pct):.1f}") for pct in (0, 25, 50, 75, 100)],
        "ticks": [
            (f"{_x(day, start):.1f}", day) for day in (start + timedelta(days=d) for d in range(0, TREND_DAYS + 1, 15))
        ],
        "table": _table(drawn, days),
        "start": start,
        "end": today,
        "days": len(days),
        "span": TREND_DAYS,
    }


def _table(series: list[Series], days: list[date]) -> list[tuple[date, list[str]]]:
    """The chart's figures as rows, one a week counting back from the latest day (the table fallback)."""
    if not days:
        return []
    shown = sorted({day for day in days if (days[-1] - day).days % TABLE_EVERY_DAYS == 0})
    return [(day, [f"{line.shares[day]:.0f}%" if day in line.shares else "—" for line in series]) for day in shown]
