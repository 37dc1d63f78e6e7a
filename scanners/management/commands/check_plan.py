import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scanners.plan.reader import PlanError
from scanners.plan.report import as_json, as_sarif, as_text
from scanners.plan.runner import GATES, gate_tripped
from scanners.plan.service import parsed_plan, plan_account, plan_check

BAD_INPUT = 2  # exit code for a plan or an account that could not be read; 1 means the gate tripped


def artifact_uri(plan: str) -> str:
    """The plan file as code scanning wants a location: relative to the working directory (the checkout)."""
    if plan == "-":
        return "plan.json"
    path = Path(plan).resolve()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.name


class Command(BaseCommand):
    help = (
        "Judge a Terraform plan (the JSON of `terraform show -json tfplan`) with the same checks as a scan. "
        "Exits 1 when a failure or an error (a value unknown until apply) at or above --fail-on exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("plan", help="The plan's JSON file, or - for standard input.")
        parser.add_argument("--account", help="The AWS account whose check settings judge the plan.")
        parser.add_argument("--format", choices=["text", "json", "sarif"], default="text")
        parser.add_argument("--fail-on", choices=list(GATES), default="high", dest="fail_on")
        parser.add_argument("--output", help="Write the report to this file instead of standard output.")

    def handle(self, *args, **options):
        try:
            text = sys.stdin.buffer.read() if options["plan"] == "-" else Path(options["plan"]).read_bytes()
            account = plan_account(options["account"])
            findings = plan_check(data=parsed_plan(text), account=account)
        except OSError as exc:
            raise CommandError(f"Cannot read {options['plan']}: {exc.strerror}", returncode=BAD_INPUT) from exc
        except PlanError as exc:
            raise CommandError(f"{options['plan']} is not a plan we can read: {exc}", returncode=BAD_INPUT) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=BAD_INPUT) from exc
        if options["format"] == "text":
            report = as_text(findings)
        elif options["format"] == "json":
            report = json.dumps(as_json(findings), indent=2) + "\n"
        else:
            report = json.dumps(as_sarif(findings, artifact_uri(options["plan"])), indent=2) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(report, encoding="utf-8")
        else:
            self.stdout.write(report, ending="")
        tripped = gate_tripped(findings, options["fail_on"])
        if tripped:
            self.stderr.write(f"{len(tripped)} failures or errors at or above {options['fail_on']} severity")
            sys.exit(1)
