import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from compliance.models import Framework
from oscal.export import MODELS, oscal_document


class Command(BaseCommand):
    help = (
        "Write one OSCAL 1.1 JSON document: the System Security Plan, the latest Assessment Results, or a "
        "framework's catalog or profile (the baseline profile of all three without --framework)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", required=True, choices=MODELS)
        parser.add_argument("--framework", help="Only this framework (slug, e.g. iso27001-2022); a catalog needs one.")
        parser.add_argument("--out", type=Path, help="The file to write; standard output when left out.")
        parser.add_argument(
            "--base-url",
            default=None,
            help="Where ControlTrace is served (https://grc.example.com), for absolute download links; "
            "OSCAL_BASE_URL by default, relative links when neither is set.",
        )

    def handle(self, *args, model: str, framework: str | None, out: Path | None, base_url: str | None, **options):
        scope = None
        if framework:
            scope = Framework.objects.filter(slug=framework).first()
            if scope is None:
                known = ", ".join(Framework.objects.values_list("slug", flat=True))
                raise CommandError(f"No framework {framework!r}; known: {known}.")
        try:
            document = oscal_document(model, scope)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        content = document.json(base_url=settings.OSCAL_BASE_URL if base_url is None else base_url)
        if out is None:
            self.stdout.write(content.decode())
            return
        out = out.resolve()
        # Written beside the target and renamed: a crash never leaves half a document under its name.
        handle, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as target:
                target.write(content)
            os.replace(partial, out)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self.stderr.write(self.style.SUCCESS(f"Wrote {out} ({len(content)} bytes, OSCAL {model})."))
