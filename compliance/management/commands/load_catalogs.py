from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.catalog import CATALOG_DIR, CatalogError, load_catalogs


class Command(BaseCommand):
    help = "Load (or refresh) the ISO 27001:2022, ISO 27001:2013 and SOC 2 catalogs and their mappings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=CATALOG_DIR,
            help="Folder holding frameworks.json and the TSV files (default: the catalogs shipped with the app).",
        )

    def handle(self, *args, directory: Path, **options):
        try:
            report = load_catalogs(directory)
        except CatalogError as exc:
            raise CommandError(str(exc)) from exc
        for slug, count in report.controls.items():
            self.stdout.write(f"{slug}: {count} controls")
        self.stdout.write(
            f"mappings: {report.mappings_total} ({report.mappings_created} new, "
            f"{len(report.mappings_skipped)} rows kept out of the catalog: targets outside Annex A)"
        )
