from django.core.management.base import BaseCommand, CommandError

from ledger.verify import ledger_verify


class Command(BaseCommand):
    help = "Re-check the ledger's hash chain and every tracked row against it; exits 1 on the first break."

    def handle(self, *args, **options) -> None:
        verdict = ledger_verify()
        if verdict.intact:
            self.stdout.write(verdict.summary())
            return
        for problem in verdict.problems:
            self.stderr.write(problem.describe())
        raise CommandError(verdict.summary())
