import json

from django.core.management.base import BaseCommand, CommandError

from scanners import engine
from scanners.checks import base as checks
from scanners.models import FINISHED_STATES, ScanRun


class Command(BaseCommand):
    help = "Print the findings of a scan (the latest finished scan by default) as a JSON list."

    def add_arguments(self, parser):
        parser.add_argument("--scan", type=int, help="The scan run's id.")
        parser.add_argument("--format", choices=["json"], default="json")

    def handle(self, *args, **options):
        runs = ScanRun.objects.all()
        if options["scan"] is not None:
            run = runs.filter(pk=options["scan"]).first()
        else:
            run = runs.filter(state__in=FINISHED_STATES).order_by("-finished_at", "-pk").first()
        if run is None:
            raise CommandError("No such scan." if options["scan"] is not None else "No scan has finished yet.")
        self.stdout.write(json.dumps(findings_of(run), indent=2))


def findings_of(run: ScanRun) -> list[dict]:
    engine.registries_load()
    registry = {check.id: check for check in checks.all_checks()}
    rows = run.findings.order_by("check_id", "resource__uid").values_list(
        "check_id", "resource__uid", "region", "status"
    )
    return [
        {
            "check": check_id,
            "title": registry[check_id].title if check_id in registry else "",
            "resource": uid,
            "region": region,
            "status": status,
            "controls": list(registry[check_id].controls) if check_id in registry else [],
        }
        for check_id, uid, region, status in rows
    ]
