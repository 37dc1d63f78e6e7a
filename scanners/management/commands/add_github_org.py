import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scanners.github import DEFAULT_API_URL, credentials_source
from scanners.models import CloudAccount
from scanners.services import github_org_add, schedule_describe


class Command(BaseCommand):
    help = (
        "Add a GitHub organisation to scan. The workers read the credential from their environment at every "
        "scan: GITHUB_TOKEN, GITHUB_TOKEN_FILE, or a GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY_FILE); "
        "GITHUB_API_URL for GitHub Enterprise Server. No credential is ever stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("org", help="The organisation's login, as in github.com/ORG.")
        parser.add_argument("--name", default="", help="A short slug for the account (default github-ORG).")
        parser.add_argument("--schedule", default="", help='Five cron fields ("0 3 * * *") or hours ("6h").')

    def handle(self, *args, **options):
        name = options["name"] or f"github-{options['org'].lower()}"
        if CloudAccount.objects.filter(name=name).exists():
            raise CommandError(f"A cloud account named {name} already exists.")
        try:
            account = github_org_add(org=options["org"], name=name, schedule=options["schedule"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        schedule = schedule_describe(account.schedule) or "manual scans only"
        self.stdout.write(f"Added {account.name}: GitHub organisation {account.account_id}; schedule {schedule}.")
        self.stdout.write(
            f"Credentials are read by the workers at every scan, never stored: here that is {credentials_source()}. "
            f"API: {os.environ.get('GITHUB_API_URL') or DEFAULT_API_URL} (GITHUB_API_URL)."
        )
