from django.core.management.base import BaseCommand

from compliance.dashboard import implemented_share, snapshot_take


class Command(BaseCommand):
    help = "Record today's per-framework counts for the dashboard trend now (the nightly task does the same)."

    def handle(self, *args, **options) -> None:
        snapshots = snapshot_take()
        for snapshot in sorted(snapshots, key=lambda s: s.framework_id):
            share = implemented_share(snapshot.counts)
            shown = "no applicable controls" if share is None else f"{share:.0f}% of applicable implemented"
            self.stdout.write(f"{snapshot.day} framework {snapshot.framework_id}: {shown}")
        self.stdout.write(self.style.SUCCESS(f"Snapshot taken for {len(snapshots)} framework(s)."))
