from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from compliance.register_io import (
    LinksWouldBeRemoved,
    RegisterInvalid,
    default_actor,
    import_register,
    parse_register,
)


class Command(BaseCommand):
    help = (
        "Read the register back from a CSV or XLSX file made by export_register. Every row is checked first; "
        "if any is wrong, every problem is listed and nothing is written. An import that would remove links "
        "lists them and writes nothing unless --confirm is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--actor", help="Username the changes are recorded against (default: the first CISO).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count the changes, write nothing.")
        parser.add_argument(
            "--confirm",
            action="store_true",
            help="Remove the links the file no longer lists (without it, such an import lists them and stops).",
        )

    def handle(self, *args, file, actor, dry_run, confirm, **options):
        user = self._actor(actor)
        try:
            summary = import_register(parse_register(file), actor=user, dry_run=dry_run, confirm=confirm)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        except PermissionDenied as exc:
            raise CommandError(f"{user.get_username()}: {exc}") from exc
        except RegisterInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(str(exc)) from exc
        except LinksWouldBeRemoved as exc:
            self._list_removals(exc.summary, "would be removed")
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(summary))
        if summary.removals:
            self._list_removals(summary, "would be removed" if dry_run else "removed")

    def _list_removals(self, summary, verb: str) -> None:
        self.stdout.write(f"Links {verb}: {summary.removal_overview}")
        for line in summary.removals:
            self.stdout.write(f"  {line}")

    def _actor(self, username: str | None):
        if not username:
            user = default_actor()
            if user is None:
                raise CommandError("No CISO to record the import against; create one or pass --actor.")
            return user
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named '{username}'.") from None
