"""What the scanners add to the CISO's dashboard: the checks that fail on the most resources.

Registered with `compliance.dashboard.panel_add` (compliance never imports scanners). Three or four queries
whatever the number of findings: where scans stand (a few rows), the failing latest results counted per check
when that changed, and the controls each check decides (`scanners.verdict`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.urls import reverse

from compliance.dashboard import Panel
from compliance.models import Control
from scanners.checks import base as checks
from scanners.models import CheckStatus, FindingStatus, ScanRun
from scanners.verdict import checks_deciding

SHOWN = 6
CONTROLS_NAMED = 4
TEMPLATE = "scanners/_dashboard_failing_checks.html"
CACHE_SECONDS = 600


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


def scans_version() -> str:
    """Changes whenever a latest result can have changed: results are recorded only by a scan's units, and each
    unit done counts in its run (a run started, a unit done, a run finished). One query over the runs table."""
    seen = ScanRun.objects.aggregate(
        runs=Count("pk"),
        last=Max("pk"),
        started=Max("created_at"),
        units=Sum("units_done"),
        finished=Max("finished_at"),
    )
    return ":".join(str(seen[key]) for key in ("runs", "last", "started", "units", "finished"))


def failing_resources_cached() -> dict[str, int]:
    """`failing_resources_by_check`, counted again only after a scan has recorded something: the count reads
    every failing latest result (tens of thousands of rows), the dashboard is asked far more often than that."""
    key = "dashboard:failing-checks:" + hashlib.sha256(scans_version().encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        counts = failing_resources_by_check()
        cache.set(key, counts, CACHE_SECONDS)
    return counts


def controls_by_check(some_checks: list[checks.Check]) -> dict[str, list[Control]]:
    """Check id -> the controls whose automated status it decides (the verdict rule), in catalog order."""
    touched: dict[str, list[Control]] = {}
    for control, speaks in checks_deciding(some_checks).items():
        for check_id in speaks:
            touched.setdefault(check_id, []).append(control)
    for controls in touched.values():
        controls.sort(key=lambda c: (c.framework.position, c.framework.slug, c.sort_key))
    return touched


def top_failing_checks(limit: int = SHOWN) -> tuple[int, list[FailingCheck]]:
    """How many checks fail somewhere, and the `limit` failing on most resources, with the controls each decides
    (looked up for those few only: the whole registry's would cost more than the rest of the page)."""
    registry = {check.id: check for check in checks.all_checks()}
    # A result of a check since removed from the registry says nothing now.
    failing = {check_id: n for check_id, n in failing_resources_cached().items() if check_id in registry}
    top = sorted(failing, key=lambda check_id: (-failing[check_id], check_id))[:limit]
    touched = controls_by_check([registry[check_id] for check_id in top])
    base = reverse("finding-list")
    rows = [
        FailingCheck(
            registry[check_id],
            failing[check_id],
            touched.get(check_id, []),
            f"{base}?{urlencode({'check': check_id, 'status': FindingStatus.FAIL})}",
        )
        for check_id in top
    ]
    return len(failing), rows


def failing_checks_panel() -> Panel:
    count, rows = top_failing_checks()
    return Panel(TEMPLATE, {"failing_count": count, "rows": rows, "all_url": reverse("finding-list") + "?status=fail"})
