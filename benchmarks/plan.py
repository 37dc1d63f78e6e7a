"""How long checking a Terraform plan takes: a plan of N resources, judged in-process and by `check_plan`.

    .venv/bin/python benchmarks/plan.py                  # 1,000 resources
    .venv/bin/python benchmarks/plan.py --sizes 100,1000,5000

The plan is built from the two plans the Terraform CLI made for the tests (tests/scanners/plan/plans: the
compliant and the non-compliant configurations, 37 resources with their configuration), each resource repeated
as if the code used `count`, so that every copy is linked to its own bucket, group or load balancer by index.
Reported: the plan's JSON size, the time to read, translate and judge it in-process (median of 5 runs) and the
wall time of `manage.py check_plan PLAN --format sarif` (Django start-up included; SQLite unless DATABASE_URL
is set).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "scanners" / "plan" / "plans"


def source_changes() -> tuple[list[dict], dict]:
    """The resource changes of both test plans (the non-compliant resources renamed apart), with the configuration."""
    changes, resources = [], []
    for case in ("compliant", "noncompliant"):
        data = json.loads((PLANS / f"{case}.json").read_text(encoding="utf-8"))
        changes += [item for item in data["resource_changes"] if (case, item["address"]) not in SHARED]
        resources += data["configuration"]["root_module"]["resources"]
        configuration = data["configuration"]
    unique: dict[str, dict] = {}
    for item in resources:  # a shared address keeps the compliant configuration, as its change does
        unique.setdefault(item["address"], item)
    configuration = {**configuration, "root_module": {"resources": list(unique.values())}}
    return changes, configuration


# Resources both plans declare under the same address (the VPC and its subnets); taken once.
SHARED = {("noncompliant", address) for address in ("aws_vpc.main", "aws_subnet.a", "aws_subnet.b")} | {
    ("noncompliant", "aws_default_security_group.main"),
    ("noncompliant", "aws_s3_account_public_access_block.account"),
    ("noncompliant", "aws_vpc_dhcp_options_association.main"),
}


NAMING_KEYS = ("bucket", "name", "identifier", "user", "role")


def plan_of(size: int) -> dict:
    """N resource changes; each copy's names (bucket, role, group names...) get its index, as unique names would."""
    changes, configuration = source_changes()
    names = {
        value
        for item in changes
        for key in NAMING_KEYS
        if isinstance(value := (item["change"]["after"] or {}).get(key), str)
    }
    copies = []
    for index in range(size // len(changes) + 1):
        for item in changes:
            text = json.dumps(item)
            for name in names:
                text = text.replace(f'"{name}"', f'"{name}-{index}"')
            copy = {**json.loads(text), "name": item["name"], "type": item["type"], "index": index}
            copies.append({**copy, "address": f"{item['address']}[{index}]"})
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": copies[:size],
        "configuration": configuration,
    }


def judge_in_process(data: dict) -> tuple[float, int]:
    sys.path.insert(0, str(ROOT))
    from scanners.plan.reader import Plan
    from scanners.plan.runner import plan_findings

    started = time.perf_counter()
    findings = plan_findings(Plan(data))
    return time.perf_counter() - started, len(findings)


def command_seconds(path: Path) -> float:
    env = {**os.environ, "CONTROLTRACE_TESTING": "true"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "check_plan", str(path), "--format", "sarif", "--fail-on", "none"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated resource counts")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load: {Path('/proc/loadavg').read_text().strip()}")
    print("| resources | plan JSON | results | judged in-process (median) | `check_plan --format sarif` |")
    print("|---|---|---|---|---|")
    for size in (int(item) for item in args.sizes.split(",")):
        data = plan_of(size)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "plan.json"
            path.write_text(json.dumps(data), encoding="utf-8")
            timings = [judge_in_process(data) for _ in range(args.runs)]
            median = statistics.median(seconds for seconds, _ in timings)
            wall = command_seconds(path)
            megabytes = path.stat().st_size / 1_000_000
        print(f"| {size:,} | {megabytes:.1f} MB | {timings[0][1]:,} | {median:.2f} s | {wall:.2f} s |")


if __name__ == "__main__":
    main()
