from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import roles
from accounts.tokens import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for USER named NAME and print its secret, once. Only its hash is kept."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="What will use the token, e.g. 'CI evidence upload'.")
        parser.add_argument("--expires-in-days", type=int, default=None, help="Default: never (revoke it instead).")

    def handle(self, *args, username, name, expires_in_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not roles.can_view(user):
            raise CommandError(f"{username} has no current role in ControlTrace; a token would be refused.")
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            issued = api_token_create(user=user, name=name, expires_at=expires_at)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        # The secret alone on stdout, so `TOKEN=$(manage.py create_api_token ...)` works; the rest on stderr.
        self.stderr.write(
            f"Token {issued.token.name!r} for {username} ({roles.role_of(user).label}); "
            f"shown once, ControlTrace keeps only its hash."
        )
        self.stdout.write(issued.secret)
