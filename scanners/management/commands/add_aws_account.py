from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scanners.models import CloudAccount
from scanners.services import cloud_account_create, schedule_describe


class Command(BaseCommand):
    help = (
        "Add an AWS account to scan. Credentials come from the default chain (environment, profile, instance "
        "role), or from assuming --role-arn with --external-id; no access key is ever stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A short slug: prod, staging-eu.")
        parser.add_argument("--role-arn", default="")
        parser.add_argument("--external-id", default="")
        parser.add_argument("--regions", default="all", help="r1,r2 (the first is home to global services) or all.")
        parser.add_argument("--schedule", default="", help='Five cron fields ("0 3 * * *") or hours ("6h").')

    def handle(self, *args, **options):
        if CloudAccount.objects.filter(name=options["name"]).exists():
            raise CommandError(f"A cloud account named {options['name']} already exists.")
        try:
            account = cloud_account_create(
                name=options["name"],
                regions=options["regions"],
                role_arn=options["role_arn"],
                external_id=options["external_id"],
                schedule=options["schedule"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        schedule = schedule_describe(account.schedule) or "manual scans only"
        self.stdout.write(f"Added {account.name}: regions {', '.join(account.regions)}; schedule {schedule}.")
