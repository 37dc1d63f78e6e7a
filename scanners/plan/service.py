"""Checking a plan from the command line or the API: the account's check settings, and the result kept as
evidence on the controls the checks evidence ("checked before deploy", linked to the commit)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.models import Control
from evidence.models import Evidence, EvidenceKind
from evidence.services import evidence_add
from scanners.check_settings import judged_with
from scanners.checks.base import REGISTRY
from scanners.models import CheckSetting, CloudAccount
from scanners.plan.reader import Plan, PlanError
from scanners.plan.runner import PlanFinding, plan_findings, summary

COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def plan_account(name: str | None) -> CloudAccount | None:
    """The AWS account whose check settings judge the plan; None for the checks' defaults."""
    if not name:
        return None
    account = CloudAccount.objects.filter(name=name).first()
    if account is None:
        raise ValidationError({"account": f"No cloud account named {name}."})
    if account.provider != "aws":
        raise ValidationError({"account": f"{name} is not an AWS account: its settings judge no plan."})
    return account


def account_overrides(account: CloudAccount | None) -> dict[str, dict]:
    return CheckSetting.objects.filter(account=account).overrides() if account else {}


def plan_check(*, data: Any, account: CloudAccount | None) -> list[PlanFinding]:
    """Judge a plan (the parsed JSON of `terraform show -json`); PlanError says what is wrong with it."""
    return plan_findings(Plan(data), account_overrides(account))


def plan_report(
    findings: list[PlanFinding], *, account: CloudAccount | None, commit: str, repository: str
) -> dict[str, Any]:
    overrides = account_overrides(account)
    return {
        "kind": "terraform plan check",
        "repository": repository,
        "commit": commit,
        "account": account.name if account else None,
        "checked_at": timezone.now().isoformat(),
        "summary": summary(findings),
        "settings": {
            check_id: judged_with(REGISTRY[check_id], overrides.get(check_id))
            for check_id in sorted({item.check for item in findings})
            if REGISTRY[check_id].settings or check_id in overrides
        },
        "results": [item.as_json() for item in findings],
    }


def commit_url(repository: str, commit: str) -> str:
    return f"https://github.com/{repository}/commit/{commit}" if repository and commit else ""


@transaction.atomic
def plan_check_evidence_record(
    *, findings: list[PlanFinding], account: CloudAccount | None, commit: str, repository: str, actor
) -> Evidence | None:
    """One evidence item on every control a check of the plan evidences: the report of the whole plan check.

    Nothing is recorded for a plan no check judged. The plan itself is never stored: it can hold secrets.
    """
    if commit and not COMMIT.match(commit):
        raise ValidationError({"commit": "A commit is its hexadecimal hash (7 to 64 characters)."})
    if repository and not REPOSITORY.match(repository):
        raise ValidationError({"repository": "A repository is named owner/name."})
    refs = {ref for item in findings for ref in item.controls}
    if not refs:
        return None
    pairs = Q()
    for ref in refs:
        framework, code = ref.split(":", 1)
        pairs |= Q(framework__slug=framework, ref=code)
    controls = list(Control.objects.filter(pairs))
    if not controls:
        return None
    report = plan_report(findings, account=account, commit=commit, repository=repository)
    where = f"{repository}@{commit[:12]}" if repository or commit else "a Terraform plan"
    counts = ", ".join(f"{count} {status}" for status, count in report["summary"].items())
    return evidence_add(
        controls=controls,
        title=f"Checked before deploy: {where}",
        kind=EvidenceKind.AUTOMATED,
        upload=SimpleUploadedFile(
            f"plan-check-{commit[:12] or 'plan'}.json",
            json.dumps(report, indent=1, sort_keys=True).encode(),
            "application/json",
        ),
        url=commit_url(repository, commit),
        description=f"Terraform plan checked before deploy: {counts}.",
        actor=actor,
    )


def parsed_plan(text: str | bytes) -> Mapping[str, Any]:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlanError(f"the plan is not JSON: {exc}") from exc
