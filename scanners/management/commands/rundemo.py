from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import demo_users_reset


class Command(BaseCommand):
    help = "Demo mode only: create the demo users, print their passwords and serve the app."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("rundemo runs only with CONTROLTRACE_DEMO=true (it resets the demo passwords).")
        passwords = demo_users_reset()
        self.stdout.write(self.style.SUCCESS("Demo users (passwords change on every start):"))
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<9} {password}")
        self.stdout.write(f"Open http://{options['addr']}/")
        call_command("runserver", options["addr"], use_reloader=False)
