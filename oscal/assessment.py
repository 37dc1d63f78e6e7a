"""The latest automated results as OSCAL Assessment Results: one result per enabled account.

Observations are the latest result per (account, check, resource) (CheckStatus), each on its resource (an
inventory item of the result) and pointing at the evidence that scan recorded: the automated report per
control, a back-matter resource with its download link and SHA-256. Findings are per control: a control is
not satisfied when any check that speaks for it failed or could not check (an error is never a pass), and
satisfied when they all passed; each finding lists the observations behind it. Disabled accounts are left
out, as they are from the controls' automated statuses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.urls import reverse
from trestle.oscal import assessment_results as oscal_ar
from trestle.oscal import common as oscal

from compliance.models import Control, Framework
from evidence.models import Evidence
from oscal.building import (
    absolute,
    back_matter,
    control_id_of,
    organisation,
    prop,
    scope_of,
    single_line,
    stable_uuid,
    state_metadata,
)
from oscal.ssp import AUTOMATED_CHECKS
from scanners.checks import base as checks
from scanners.models import CheckStatus, CloudAccount, FindingStatus, ScanRun
from scanners.verdict import checks_deciding

PLAN = stable_uuid("resource", "assessment-plan")
# Shared by every observation: building (validating) an OSCAL object costs about a millisecond, and there may
# be tens of thousands of observations; equal parts are built once. Nothing changes them once built.
TOOL_ORIGIN = oscal.Origin(actors=[oscal.OriginActor(type="tool", actor_uuid=AUTOMATED_CHECKS)])
VERDICTS = (FindingStatus.PASS, FindingStatus.FAIL, FindingStatus.ERROR)


@dataclass(frozen=True)
class Row:
    """One latest result, read with values_list: there may be tens of thousands."""

    account_id: int
    check_id: str
    resource_id: int
    uid: str
    type: str
    name: str
    region: str
    status: str
    reason: str
    run_id: int
    checked_at: datetime

    @cached_property
    def observation_uuid(self) -> str:
        return stable_uuid("observation", self.account_id, self.check_id, self.resource_id)


ROW_FIELDS = [
    "account_id",
    "check_id",
    "resource_id",
    "resource__uid",
    "resource__type",
    "resource__name",
    "region",
    "status",
    "reason",
    "run_id",
    "checked_at",
]


def assessment_results_build(
    framework: Framework | None, now: datetime, base_url: str = ""
) -> oscal_ar.AssessmentResults:
    in_scope = [
        (control, speaks)
        for control, speaks in checks_deciding().items()
        if framework is None or control.framework_id == framework.pk
    ]
    deciding = dict(sorted(in_scope, key=lambda item: (item[0].framework.position, item[0].sort_key)))
    controls_of_check: dict[str, list[Control]] = defaultdict(list)
    for control, speaks in deciding.items():
        for check_id in speaks:
            controls_of_check[check_id].append(control)
    rows = [
        Row(*values)
        for values in CheckStatus.objects.filter(account__enabled=True, check_id__in=list(controls_of_check))
        .order_by("account_id", "check_id", "resource_id")
        .values_list(*ROW_FIELDS)
    ]
    run_ids = {row.run_id for row in rows}
    runs = {run.pk: run for run in ScanRun.objects.filter(pk__in=run_ids).select_related("account")}
    evidence = RunEvidence(runs.values())
    by_account: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_account[row.account_id].append(row)
    accounts = CloudAccount.objects.filter(pk__in=list(by_account)).order_by("name")
    key, scope = scope_of(framework)
    return oscal_ar.AssessmentResults(
        uuid=stable_uuid("assessment-results", key),
        metadata=state_metadata(f"Latest automated check results of {organisation()} ({scope})", now),
        import_ap=oscal_ar.ImportAp(href=f"#{PLAN}"),
        results=[
            account_result(account, by_account[account.pk], runs, controls_of_check, deciding, evidence)
            for account in accounts
        ]
        or [empty_result(now)],
        back_matter=back_matter([plan_resource(), *evidence.resources(base_url)]),
    )


class RunEvidence:
    """The automated evidence the runs recorded, per (run, control): Evidence.produced_by names the run as
    `str(run)` (text, so that evidence never imports scanners)."""

    def __init__(self, runs):
        labels = {str(run): run.pk for run in runs}
        items = Evidence.objects.filter(produced_by__in=list(labels)).order_by("pk")
        self.items = {item.pk: item for item in items}
        self.by_run_control: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
        links = Evidence.controls.through.objects.filter(evidence_id__in=list(self.items))
        for evidence_id, control_id in links.values_list("evidence_id", "control_id"):
            item = self.items[evidence_id]
            self.by_run_control[(labels[item.produced_by], control_id)].append(item)
        self.cited: dict[int, oscal.RelevantEvidence] = {}  # one object per item, shared by the observations

    def for_result(self, run_id: int, controls: list[Control]) -> list[oscal.RelevantEvidence]:
        return [self.cite(item) for control in controls for item in self.by_run_control.get((run_id, control.pk), [])]

    def cite(self, item: Evidence) -> oscal.RelevantEvidence:
        if item.pk not in self.cited:
            self.cited[item.pk] = oscal.RelevantEvidence(
                href=f"#{evidence_uuid(item)}", description=single_line(f"{item.title} (SHA-256 {item.sha256})")
            )
        return self.cited[item.pk]

    def resources(self, base_url: str) -> list[oscal.Resource]:
        return [evidence_resource(self.items[pk], base_url) for pk in sorted(self.cited)]


def evidence_uuid(item: Evidence) -> str:
    return stable_uuid("evidence", item.pk)


def evidence_resource(item: Evidence, base_url: str) -> oscal.Resource:
    """The evidence file, downloadable (the download re-checks the hash) and verifiable offline by its hash."""
    href = absolute(base_url, reverse("evidence-download", args=[item.pk]))
    props = [prop("collected-at", item.collected_at.isoformat()), prop("produced-by", item.produced_by)]
    if item.valid_until:
        props.append(prop("valid-until", item.valid_until.isoformat()))
    return oscal.Resource(
        uuid=evidence_uuid(item),
        title=single_line(item.title),
        description=item.description or None,
        props=props,
        rlinks=[
            oscal.Rlink(
                href=href,
                media_type=item.content_type or None,
                hashes=[oscal.Hash(algorithm="SHA-256", value=item.sha256)] if item.sha256 else None,
            )
        ],
    )


def plan_resource() -> oscal.Resource:
    return oscal.Resource(
        uuid=PLAN,
        title="ControlTrace's automated assessment",
        description=(
            "There is no separate assessment plan: each account is scanned on its schedule, and every registered "
            "check judges the collected configuration with the account's check settings (docs/checks.md)."
        ),
    )


def account_result(account, rows, runs, controls_of_check, deciding, evidence: RunEvidence) -> oscal_ar.Result:
    registry = {check.id: check for check in checks.all_checks()}
    observations, by_check, subjects = [], defaultdict(list), {}
    for row in rows:
        if row.resource_id not in subjects:
            subjects[row.resource_id] = oscal.SubjectReference(
                subject_uuid=stable_uuid("resource", row.resource_id), type="inventory-item", title=single_line(row.uid)
            )
        check = registry.get(row.check_id)
        controls = controls_of_check[row.check_id]
        observations.append(observation(row, check, controls, evidence, subjects[row.resource_id]))
        by_check[row.check_id].append(row)
    related = {row: oscal.RelatedObservation(observation_uuid=row.observation_uuid) for row in rows}
    findings = [
        found
        for control, speaks in deciding.items()
        if (
            found := finding(
                account, control, [row for check_id in speaks for row in by_check.get(check_id, [])], related
            )
        )
    ]
    used_runs = sorted({row.run_id for row in rows})
    return oscal_ar.Result(
        uuid=stable_uuid("result", account.pk),
        title=single_line(f"Latest results of {account.get_provider_display()} {account.name}"),
        description=(
            f"The latest result of every check on every resource of {account.name} "
            f"({account.account_id or 'id not known yet'}), from {', '.join(str(runs[pk]) for pk in used_runs)}."
        ),
        start=min(row.checked_at for row in rows),
        end=max(row.checked_at for row in rows),
        props=[prop("account", account.name), prop("provider", account.provider)],
        local_definitions=oscal_ar.LocalDefinitions1(components=[scanner_component()], inventory_items=inventory(rows)),
        reviewed_controls=oscal.ReviewedControls(
            control_selections=[
                oscal.ControlSelection(
                    include_controls=[oscal.SelectControlById(control_id=found.target.target_id) for found in findings]
                    or None,
                    include_all=None if findings else oscal.IncludeAll(),
                )
            ]
        ),
        assessment_log=oscal_ar.AssessmentLog(entries=[log_entry(runs[pk]) for pk in used_runs]),
        observations=observations,
        findings=findings or None,
    )


def empty_result(now: datetime) -> oscal_ar.Result:
    """OSCAL needs one result: with no scan yet, it says so."""
    return oscal_ar.Result(
        uuid=stable_uuid("result", "none"),
        title="No scan results yet",
        description="No enabled account has been scanned yet: there are no automated results to report.",
        start=now,
        reviewed_controls=oscal.ReviewedControls(control_selections=[oscal.ControlSelection(include_all={})]),
    )


def scanner_component() -> oscal.SystemComponent:
    return oscal.SystemComponent(
        uuid=AUTOMATED_CHECKS,
        type="software",
        title="ControlTrace automated checks",
        description="The checks that judged each resource's collected configuration.",
        status=oscal.Status(state="operational"),
    )


def inventory(rows: list[Row]) -> list[oscal.InventoryItem]:
    items, seen = [], set()
    for row in rows:
        if row.resource_id in seen:
            continue
        seen.add(row.resource_id)
        props = [prop("resource-id", row.uid), prop("resource-type", row.type), prop("region", row.region)]
        props += [prop("name", row.name)] if row.name else []
        items.append(
            oscal.InventoryItem(
                uuid=stable_uuid("resource", row.resource_id), description=single_line(row.uid), props=props
            )
        )
    return items


def observation(
    row: Row, check, controls: list[Control], evidence: RunEvidence, subject: oscal.SubjectReference
) -> oscal.Observation:
    title = check.title if check else row.check_id
    props = [prop("check", row.check_id), prop("result", row.status)]
    props += [prop("severity", check.severity)] if check else []
    props += [prop("control", control_id_of(control)) for control in controls]
    return oscal.Observation(
        uuid=row.observation_uuid,
        title=single_line(f"{title}: {row.name or row.uid}"),
        description=single_line(f"{FindingStatus(row.status).label}: {row.reason or title}"),
        props=props,
        methods=["TEST"],
        types=["finding"] if row.status in (FindingStatus.FAIL, FindingStatus.ERROR) else None,
        origins=[TOOL_ORIGIN],
        subjects=[subject],
        relevant_evidence=evidence.for_result(row.run_id, controls) or None,
        collected=row.checked_at,
    )


def finding(account, control: Control, rows: list[Row], related: dict) -> oscal.Finding | None:
    """A control's determination in one account; None when its checks found nothing to judge there."""
    counts = {status: sum(1 for row in rows if row.status == status) for status in VERDICTS}
    if not any(counts.values()):
        return None
    if counts[FindingStatus.FAIL]:
        state, reason = "not-satisfied", "fail"
    elif counts[FindingStatus.ERROR]:
        state, reason = "not-satisfied", "other"  # could not check: never a pass
    else:
        state, reason = "satisfied", "pass"
    summary = ", ".join(f"{count} {FindingStatus(status).label.lower()}" for status, count in counts.items() if count)
    return oscal.Finding(
        uuid=stable_uuid("finding", account.pk, control.framework.slug, control.ref),
        title=single_line(f"{control.ref} {control.title}"),
        description=f"Latest results of the checks that speak for {control.ref} in {account.name}: {summary}.",
        target=oscal.FindingTarget(
            type="objective-id",
            target_id=control_id_of(control),
            status=oscal.ObjectiveStatus(
                state=state,
                reason=reason,
                remarks="A check that could not read what it needs is an error, never a pass."
                if reason == "other"
                else None,
            ),
        ),
        related_observations=[related[row] for row in rows if row.status in VERDICTS],
    )


def log_entry(run: ScanRun) -> oscal_ar.Entry1:
    return oscal_ar.Entry1(
        uuid=stable_uuid("scan", run.pk),
        title=single_line(str(run)),
        description=f"{run.get_state_display()}; {len(run.errors)} failed read(s).",
        start=run.started_at or run.created_at,
        end=run.finished_at,
    )
