"""CodePipeline checks on plain documents."""

import pytest

from scanners.checks.base import REGISTRY, Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

APPROVED = "codepipeline_production_deploy_approved"


def action(name: str, category: str, run_order: int = 1) -> dict:
    return {
        "name": name,
        "category": category,
        "provider": "Manual" if category == "Approval" else "X",
        "run_order": run_order,
    }


def stage(name: str, *actions: dict) -> dict:
    return {"name": name, "actions": list(actions)}


SOURCE = stage("Source", action("Checkout", "Source"))
BUILD = stage("Build", action("Compile", "Build"))
STAGING = stage("Staging", action("DeployStaging", "Deploy"))
APPROVE = stage("Approve", action("ReleaseManager", "Approval"))
PROD = stage("Prod", action("DeployWeb", "Deploy"))


def pipeline(*stages: dict, name: str = "storefront") -> dict:
    return doc("aws.codepipeline.pipeline", name=name, pipeline_name=name, stages=list(stages))


CASES = [
    Case(
        APPROVED,
        Status.PASS,
        pipeline(SOURCE, BUILD, STAGING, APPROVE, PROD),
        "approval stage before Prod",
        reason="Prod/DeployWeb (after Approve/ReleaseManager)",
    ),
    Case(
        APPROVED,
        Status.PASS,
        pipeline(SOURCE, stage("Production", action("Approve", "Approval", 1), action("Migrate", "Build", 2))),
        "approval earlier in the production stage itself",
        reason="Production/Migrate (after Production/Approve)",
    ),
    Case(
        APPROVED,
        Status.FAIL,
        pipeline(SOURCE, BUILD, STAGING, PROD),
        "straight to production",
        reason="no manual approval before it: Prod/DeployWeb",
    ),
    Case(
        APPROVED,
        Status.FAIL,
        pipeline(SOURCE, stage("deploy_prod_eu", action("Approve", "Approval", 1), action("Apply", "Build", 1))),
        "approval runs in parallel with the deploy",
        reason="deploy_prod_eu/Apply",
    ),
    Case(
        APPROVED,
        Status.FAIL,
        pipeline(SOURCE, BUILD, stage("Release", action("Deploy", "Deploy")), name="orders-prod"),
        "a production pipeline without approval",
        reason="Release/Deploy",
    ),
    Case(
        APPROVED,
        Status.NOT_APPLICABLE,
        pipeline(SOURCE, BUILD, STAGING, stage("Product-Catalog", action("Deploy", "Deploy"))),
        "nothing named for production",
        reason="no production deploy",
    ),
    Case(APPROVED, Status.ERROR, failed_read(pipeline(), "stages"), "GetPipeline denied", reason="access denied"),
    Case(
        APPROVED,
        Status.ERROR,
        pipeline(SOURCE, stage("Prod", {"name": "Mystery", "run_order": 1})),
        "action without a category",
        reason="category of action Prod/Mystery",
    ),
]


def test_which_names_mean_production_is_a_setting():
    assert "prod" in REGISTRY[APPROVED].settings["production_patterns"].default
    live = pipeline(SOURCE, stage("Live", action("Deploy", "Deploy")))
    assert Case(APPROVED, Status.NOT_APPLICABLE, live, "default patterns").run().status == Status.NOT_APPLICABLE
    result = Case(
        APPROVED, Status.FAIL, live, "live is production here", settings={"production_patterns": ["live"]}
    ).run()
    assert result.status == Status.FAIL and "Live/Deploy" in result.reason


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_codepipeline_check(case):
    assert_case(case)
