from django.core.management.base import BaseCommand

from ledger.chain import ledger_adopt


class Command(BaseCommand):
    help = (
        "Append to the ledger every row of a tracked table that has no entry. Run once when tracking starts on a "
        "table that already has rows; at any other time a row without entry is a finding, not a chore."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{ledger_adopt()} row(s) appended to the ledger.")
