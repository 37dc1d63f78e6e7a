"""Which checks decide a control's automated status: the one rule statuses, evidence, pages and the API ask.

A check decides the status of every control it names, and of every control mapped to one of those as
`equal` (either direction; equal mappings pair controls one to one, so one hop is all of them). A partial
mapping (subset, superset, intersect) never carries a verdict: ISO 27001:2022 A.7.5 (physical threats)
intersects SOC 2 A1.2, yet a missing AWS Backup plan says nothing about floods or fire. The control page
shows partial mappings as context instead (`compliance.detail.mapped_section`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from compliance.models import Control, ControlMapping
from compliance.state import VERDICT_RELATIONS
from scanners.checks import base as checks


@dataclass(frozen=True)
class Speaks:
    """One check speaking for one control, and why: it names the control, or it names an equal one."""

    check_id: str
    through: Control | None = None  # the equal control the check names; None when it names this one

    @property
    def why(self) -> str:
        if self.through is None:
            return "check names this control"
        return f"through {self.through.ref} (equal)"

    @property
    def through_key(self) -> str:
        return f"{self.through.framework.slug}:{self.through.ref}" if self.through else ""


def controls_of_checks(all_checks: Iterable[checks.Check]) -> dict[str, Control]:
    """`iso27001-2022:A.8.20` -> the Control row, in one query; references to unknown controls are skipped."""
    keys = {ref for check in all_checks for ref in check.controls}
    refs = {key.split(":", 1)[1] for key in keys if ":" in key}
    rows = Control.objects.filter(ref__in=refs).select_related("framework")
    return {f"{row.framework.slug}:{row.ref}": row for row in rows if f"{row.framework.slug}:{row.ref}" in keys}


def checks_deciding(all_checks: Iterable[checks.Check] | None = None) -> dict[Control, dict[str, Speaks]]:
    """Each control some check speaks for (with its framework) -> {check id: why}, in two queries.

    A check that names a control directly keeps that reason even when it also names its equal peer.
    """
    all_checks = list(checks.all_checks() if all_checks is None else all_checks)
    named = controls_of_checks(all_checks)
    direct: dict[Control, dict[str, Speaks]] = defaultdict(dict)
    for check in all_checks:
        for key in check.controls:
            if key in named:
                direct[named[key]][check.id] = Speaks(check.id)
    deciding = {control: dict(speaks) for control, speaks in direct.items()}
    ids = [control.pk for control in direct]
    equal = ControlMapping.objects.filter(Q(source_id__in=ids) | Q(target_id__in=ids), relation__in=VERDICT_RELATIONS)
    for mapping in equal.select_related("source__framework", "target__framework"):
        for control, peer in ((mapping.source, mapping.target), (mapping.target, mapping.source)):
            for check_id in direct.get(peer, {}):
                deciding.setdefault(control, {}).setdefault(check_id, Speaks(check_id, through=peer))
    return deciding


def checks_deciding_for(control_key: str, all_checks: Iterable[checks.Check] | None = None) -> dict[str, Speaks]:
    """{check id: why} for one control, `iso27001-2022:A.8.20`; empty for an unknown or unchecked control."""
    framework, _, ref = control_key.partition(":")
    control = Control.objects.select_related("framework").filter(framework__slug=framework, ref=ref).first()
    return checks_speaking_for(control, all_checks) if control else {}


def checks_speaking_for(control: Control, all_checks: Iterable[checks.Check] | None = None) -> dict[str, Speaks]:
    """`checks_deciding` for one control, in one query: the checks naming it, then those of its equal peers."""
    all_checks = list(checks.all_checks() if all_checks is None else all_checks)
    key = f"{control.framework.slug}:{control.ref}"
    speaks = {check.id: Speaks(check.id) for check in all_checks if key in check.controls}
    equal = ControlMapping.objects.filter(Q(source=control) | Q(target=control), relation__in=VERDICT_RELATIONS)
    for mapping in equal.select_related("source__framework", "target__framework"):
        peer = mapping.target if mapping.source_id == control.pk else mapping.source
        peer_key = f"{peer.framework.slug}:{peer.ref}"
        for check in all_checks:
            if peer_key in check.controls:
                speaks.setdefault(check.id, Speaks(check.id, through=peer))
    return speaks
