from django.core.management.base import BaseCommand, CommandError

from ledger.anchor import latest_anchored_head
from ledger.verify import ledger_verify


class Command(BaseCommand):
    help = (
        "Re-check the ledger's hash chain, every tracked row against it and, when LEDGER_ANCHOR_BUCKET is set, "
        "the chain against the newest head anchored there; exits 1 when anything is broken."
    )

    def handle(self, *args, **options) -> None:
        verdict = ledger_verify(anchored=latest_anchored_head())
        if verdict.intact:
            self.stdout.write(verdict.summary())
            return
        for problem in verdict.problems:
            self.stderr.write(problem.describe())
        raise CommandError(verdict.summary())
