import io

from django.core.management.base import BaseCommand, CommandError

from compliance.models import Framework
from compliance.register_io import export_csv, export_xlsx, register_rows


class Command(BaseCommand):
    help = "Write the register (one row per control) as CSV or XLSX; see compliance/register_io.py for the cells."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "xlsx"], required=True)
        parser.add_argument("--out", help="File to write; CSV goes to standard output without it.")
        parser.add_argument("--framework", help="Only this framework's controls (its slug, e.g. iso27001-2022).")

    def handle(self, *args, format, out, framework, **options):
        if format == "xlsx" and not out:
            raise CommandError("XLSX needs --out FILE.")
        if framework and not Framework.objects.filter(slug=framework).exists():
            known = ", ".join(Framework.objects.values_list("slug", flat=True))
            raise CommandError(f"No framework '{framework}' (known: {known}).")
        rows = register_rows(framework)
        if format == "xlsx":
            export_xlsx(rows, out)
        elif out:
            with open(out, "w", encoding="utf-8", newline="") as stream:
                export_csv(rows, stream)
        else:
            buffer = io.StringIO(newline="")
            export_csv(rows, buffer)
            self.stdout.write(buffer.getvalue(), ending="")
        if out:
            self.stderr.write(f"{len(rows)} controls written to {out}")
