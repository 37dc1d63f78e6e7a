"""The committed plans are what the Terraform CLI writes today: one is planned again, offline, and judged the same."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scanners.plan.reader import Plan
from scanners.plan.runner import plan_findings
from tests.scanners.plan.plans import HERE, findings_of, verdicts

pytestmark = pytest.mark.integration

PLUGINS = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))


def terraform_ready() -> bool:
    return shutil.which("terraform") is not None and (PLUGINS / "registry.terraform.io/hashicorp/aws").is_dir()


def test_a_plan_made_now_by_terraform_is_judged_like_the_committed_one(tmp_path):
    if not terraform_ready():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the terraform CLI on PATH and the hashicorp/aws provider under {PLUGINS}")
        pytest.skip("terraform or its AWS provider plugin is not installed here")
    subprocess.run(
        ["sh", str(HERE / "make_plans.sh"), "unknown"],
        env={**os.environ, "PLANS_DIR": str(tmp_path)},
        check=True,
        capture_output=True,
        timeout=600,
    )
    fresh = plan_findings(Plan(json.loads((tmp_path / "unknown.json").read_text(encoding="utf-8"))))
    assert verdicts(fresh) == verdicts(findings_of("unknown"))
    assert {item.reason for item in fresh if item.status == "error"} >= {
        "unknown until apply: aws_s3_bucket_policy.reports.policy",
        "unknown until apply: aws_ebs_volume.cache.encrypted",
    }
