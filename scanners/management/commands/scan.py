import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from scanners import engine
from scanners.models import CloudAccount, RunState, ScanRun
from scanners.services import scan_request


class Command(BaseCommand):
    help = "Scan a cloud account: queue the scan for the workers (prints the run id), or run it here with --sync."

    def add_arguments(self, parser):
        parser.add_argument("account", help="The cloud account's name.")
        parser.add_argument("--sync", action="store_true", help="Run the scan in this process and print a summary.")

    def handle(self, *args, **options):
        account = CloudAccount.objects.filter(name=options["account"]).first()
        if account is None:
            raise CommandError(f"No cloud account named {options['account']}.")
        try:
            run = scan_request(account=account, enqueue=not options["sync"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if not options["sync"]:
            if run.state == RunState.FAILED:  # the broker could not be reached: say why, do not print a dead id
                raise CommandError(f"Scan {run.pk} could not be sent to the workers: {run.errors[0]['reason']}")
            self.stdout.write(str(run.pk))
            return
        started = time.monotonic()
        run = engine.scan_run_sync(run_id=run.pk)
        self.stdout.write(summary(run, time.monotonic() - started))
        if run.state == RunState.FAILED:
            raise CommandError(f"Scan {run.pk} failed.")


def summary(run: ScanRun, seconds: float) -> str:
    counts = dict(run.findings.values_list("status").annotate(n=Count("pk")).order_by())
    resources = sum(run.units.values_list("resources_seen", flat=True))
    lines = [
        f"Scan {run.pk} of {run.account.name}: {run.state} in {seconds:.1f}s",
        f"  units: {run.units_done}/{run.units_total}; resources seen: {resources}",
        "  findings: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pass", "fail", "error", "not_applicable")),
    ]
    lines += [f"  error: {e['service']} in {e['region'] or 'the account'}: {e['reason']}" for e in run.errors]
    return "\n".join(lines)
