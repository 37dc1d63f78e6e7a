import os
import tempfile
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.models import Framework
from evidence.package import Scope, package_write


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Write the audit package (Statement of Applicability, evidence per control, manifest.json and "
        "MANIFEST.sha256) to a zip file."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="The zip file to write.")
        parser.add_argument("--framework", help="Only this framework's controls (slug, e.g. iso27001-2022).")
        parser.add_argument("--start", type=iso_date, help="First day of the audit period (YYYY-MM-DD).")
        parser.add_argument("--end", type=iso_date, help="Last day of the audit period (YYYY-MM-DD).")

    def handle(self, *args, out: Path, framework: str | None, start: date | None, end: date | None, **options):
        if start and end and start > end:
            raise CommandError("--start must not be after --end.")
        scope = Scope(start=start, end=end)
        if framework:
            scope.framework = Framework.objects.filter(slug=framework).first()
            if scope.framework is None:
                known = ", ".join(Framework.objects.values_list("slug", flat=True))
                raise CommandError(f"No framework {framework!r}; known: {known}.")
        out = out.resolve()
        # Written beside the target and renamed: a crash never leaves a half-written package under its name.
        handle, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as target:
                report = package_write(out=target, scope=scope, requested_by="manage.py export_audit_package")
            os.replace(partial, out)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        for failure in report.integrity_failures:
            if "evidence_part_id" in failure:  # a shared file some reports name by SHA-256
                what = f"Evidence part {failure['evidence_part_id']} ({failure['title']}) named by evidence "
                what += ", ".join(map(str, failure["referred_by"]))
            else:
                what = f"Evidence {failure['evidence_id']} ({failure['title']}) for {failure['control']}"
            self.stderr.write(
                self.style.ERROR(f"{what}: {failure['problem']}; left out of the package and listed in manifest.json.")
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out}: {len(report.files)} files, {report.controls} controls with evidence, "
                f"{len(report.integrity_failures)} integrity failure(s)."
            )
        )
