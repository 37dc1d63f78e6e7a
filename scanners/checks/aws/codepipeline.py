"""CodePipeline: a person approves every change before a pipeline deploys it to production."""

from __future__ import annotations

from fnmatch import fnmatchcase
from itertools import groupby

from scanners.checks.base import MissingData, Result, Setting, check, field, listed

PIPELINE = "aws.codepipeline.pipeline"
PRODUCTION_NAMES = [
    "prod",
    "prod-*",
    "*-prod",
    "*-prod-*",
    "production",
    "production-*",
    "*-production",
    "*-production-*",
]
# In a pipeline named for production only its deploy actions change production; in a stage named for
# production, builds and invocations (a CodeBuild `terraform apply`, a Lambda) change it too.
CHANGES_IN_PRODUCTION_PIPELINE = {"Deploy"}
CHANGES_IN_PRODUCTION_STAGE = {"Deploy", "Build", "Invoke"}


def is_production(name: str, patterns: list) -> bool:
    """Names are compared in lower case with spaces and underscores read as dashes ('Prod_EU' is 'prod-eu')."""
    normalised = name.lower().replace("_", "-").replace(" ", "-")
    return any(fnmatchcase(normalised, str(pattern).lower()) for pattern in patterns)


def category_of(action: dict, stage: str) -> str:
    if not action.get("category"):
        raise MissingData(f"the category of action {stage}/{action.get('name')} was not reported")
    return action["category"]


@check(
    id="codepipeline_production_deploy_approved",
    title="CodePipeline deploys to production only after a manual approval",
    resource=PIPELINE,
    severity="high",
    controls=("iso27001-2022:A.8.32", "iso27001-2013:A.12.1.2", "iso27001-2013:A.14.2.2", "soc2-2017:CC8.1"),
    remediation="""Add a stage with a Manual approval action (category Approval) before the stage that deploys
    to production, and let only the people who may approve changes call PutApprovalResult; put the approval
    in the production stage itself with a lower run order if you prefer.""",
    settings={
        "production_patterns": Setting(
            PRODUCTION_NAMES,
            "Shell-style patterns (case-insensitive; spaces and underscores read as dashes) of pipeline or stage"
            " names that deploy to production",
        )
    },
)
def production_deploy_approved(pipeline: dict, settings: dict) -> Result:
    patterns = settings["production_patterns"]
    whole_pipeline = is_production(field(pipeline, "pipeline_name"), patterns)
    approvals: list[str] = []
    approved: list[str] = []
    unapproved: list[str] = []
    for stage in field(pipeline, "stages"):
        name = stage.get("name") or "?"
        changes = production_changes(name, whole_pipeline, patterns)
        for together in in_run_order(stage.get("actions") or []):
            for action in together:
                if category_of(action, name) not in changes:
                    continue
                if approvals:
                    approved.append(f"{name}/{action.get('name')} (after {approvals[-1]})")
                else:
                    unapproved.append(f"{name}/{action.get('name')}")
            approvals += [f"{name}/{action.get('name')}" for action in together if action["category"] == "Approval"]
    if unapproved:
        return Result.failed(f"deploys to production with no manual approval before it: {listed(unapproved)}")
    if approved:
        return Result.passed(f"production deploys follow a manual approval: {listed(approved)}")
    return Result.not_applicable("no production deploy: no deploy action in a pipeline or stage named for production")


def production_changes(stage: str, whole_pipeline: bool, patterns: list) -> set[str]:
    if is_production(stage, patterns):
        return CHANGES_IN_PRODUCTION_STAGE
    return CHANGES_IN_PRODUCTION_PIPELINE if whole_pipeline else set()


def in_run_order(actions: list[dict]) -> list[list[dict]]:
    """A stage's actions in the groups that run together (same run order), in the order the groups run;
    an approval gates only the groups after its own."""
    ordered = sorted(actions, key=lambda action: action.get("run_order") or 1)
    return [list(group) for _, group in groupby(ordered, key=lambda action: action.get("run_order") or 1)]
