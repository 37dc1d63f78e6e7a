"""What the scanners add to the CISO's dashboard: the checks that fail on the most resources.

Registered with `compliance.dashboard.panel_add` (compliance never imports scanners). Three queries whatever
the number of findings: the failing latest results counted per check (an index-only scan of
`checkstatus_list`, which leads with status), and the controls each check speaks for (`scanners.verdict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse

from compliance.dashboard import Panel
from compliance.models import Control
from scanners.checks import base as checks
from scanners.models import CheckStatus, FindingStatus
from scanners.verdict import checks_deciding

SHOWN = 6
CONTROLS_NAMED = 4
TEMPLATE = "scanners/_dashboard_failing_checks.html"


@dataclass
class FailingCheck:
    check: checks.Check
    resources: int
    controls: list[Control]
    findings_url: str  # the latest results of this check that fail: exactly `resources` rows

    @property
    def controls_named(self) -> list[Control]:
        return self.controls[:CONTROLS_NAMED]

    @property
    def controls_more(self) -> int:
        return max(0, len(self.controls) - CONTROLS_NAMED)


def failing_resources_by_check() -> dict[str, int]:
    """Check id -> latest results that fail (one per resource and account): what the findings page lists."""
    rows = CheckStatus.objects.filter(status=FindingStatus.FAIL).values("check_id").annotate(resources=Count("pk"))
    return {row["check_id"]: row["resources"] for row in rows.order_by()}


def controls_by_check() -> dict[str, list[Control]]:
    """Check id -> the controls whose automated status it decides (the verdict rule), in catalog order."""
    touched: dict[str, list[Control]] = {}
    for control, speaks in checks_deciding().items():
        for check_id in speaks:
            touched.setdefault(check_id, []).append(control)
    for controls in touched.values():
        controls.sort(key=lambda c: (c.framework.position, c.framework.slug, c.sort_key))
    return touched


def top_failing_checks(limit: int = SHOWN) -> tuple[int, list[FailingCheck]]:
    """How many checks fail somewhere, and the `limit` failing on most resources (then touching most controls)."""
    failing = failing_resources_by_check()
    registry = {check.id: check for check in checks.all_checks()}
    touched = controls_by_check()
    base = reverse("finding-list")
    rows = [
        FailingCheck(
            registry[check_id],
            resources,
            touched.get(check_id, []),
            f"{base}?{urlencode({'check': check_id, 'status': FindingStatus.FAIL})}",
        )
        for check_id, resources in failing.items()
        if check_id in registry  # a result of a check since removed from the registry says nothing now
    ]
    rows.sort(key=lambda row: (-row.resources, -len(row.controls), row.check.id))
    return len(rows), rows[:limit]


def failing_checks_panel() -> Panel:
    count, rows = top_failing_checks()
    return Panel(TEMPLATE, {"failing_count": count, "rows": rows, "all_url": reverse("finding-list") + "?status=fail"})
