from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import demo_users_reset
from evidence.demo import demo_requests_seed
from scanners.demo_cloud import demo_account_scan, demo_cloud_start
from scanners.demo_history import demo_history_seed
from scanners.management.commands.scan import summary


class Command(BaseCommand):
    help = (
        "Demo mode only: create the demo users, start a simulated AWS account (moto), scan it once, "
        "print the passwords and serve the app."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("rundemo runs only with CONTROLTRACE_DEMO=true (it resets the demo passwords).")
        server = demo_cloud_start()
        try:
            self._scan_demo_account()
            passwords = demo_users_reset()
            seeded = demo_history_seed()
            self.stdout.write(f"Demo history: {seeded['snapshots']} daily snapshots, {seeded['documents']} documents.")
            demo_requests_seed()  # an open evidence request and a question thread for the inbox
            self.stdout.write(self.style.SUCCESS("Demo users (passwords change on every start):"))
            for username, password in passwords.items():
                self.stdout.write(f"  {username:<9} {password}")
            self.stdout.write(f"Open http://{options['addr']}/")
            call_command("runserver", options["addr"], use_reloader=False)
        finally:
            server.stop()

    def _scan_demo_account(self) -> None:
        self.stdout.write("Scanning the simulated AWS account demo-aws...")
        try:
            run = demo_account_scan()
        except ModuleNotFoundError as exc:
            if exc.name != "scanners.demo":
                raise
            self.stderr.write("No demo AWS resources: the scanners.demo module is not installed.")
            return
        self.stdout.write(summary(run, (run.finished_at - run.started_at).total_seconds()))
