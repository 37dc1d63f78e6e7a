"""Which OSCAL documents exist, how each is written, and which of them go into the audit package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from trestle.core.base_model import OscalBaseModel

from compliance.models import Framework
from oscal.assessment import assessment_results_build
from oscal.building import file_name
from oscal.catalog import catalog_build, profile_build
from oscal.ssp import ssp_build

MODELS = ("ssp", "assessment-results", "catalog", "profile")
NEEDS_FRAMEWORK = {"catalog"}  # a catalog is one framework's; the others also cover all three at once
PACKAGE_FOLDER = "oscal"


@dataclass(frozen=True)
class OscalDocument:
    model: str
    framework: Framework | None

    @property
    def file_name(self) -> str:
        return file_name(self.model, self.framework)

    def build(self, now: datetime | None = None, base_url: str | None = None) -> OscalBaseModel:
        now = now or timezone.now()
        base_url = settings.OSCAL_BASE_URL if base_url is None else base_url
        builders: dict[str, Callable[[], OscalBaseModel]] = {
            "catalog": lambda: catalog_build(self.framework, now),
            "profile": lambda: profile_build(self.framework, now),
            "ssp": lambda: ssp_build(self.framework, now, base_url),
            "assessment-results": lambda: assessment_results_build(self.framework, now, base_url),
        }
        return builders[self.model]()

    def json(self, now: datetime | None = None, base_url: str | None = None) -> bytes:
        """The document as OSCAL JSON: wrapped in its model's root key (`system-security-plan`...)."""
        return self.build(now, base_url).oscal_serialize_json_bytes(pretty=True)


def oscal_document(model: str, framework: Framework | None) -> OscalDocument:
    if model not in MODELS:
        raise ValueError(f"No OSCAL model {model!r}; choose one of {', '.join(MODELS)}.")
    if model in NEEDS_FRAMEWORK and framework is None:
        raise ValueError(f"A {model} is one framework's: name the framework.")
    return OscalDocument(model, framework)


def package_documents(framework: Framework | None) -> list[OscalDocument]:
    """Everything the SSP needs to resolve, beside it: its profile, and the catalogs that profile imports."""
    frameworks = [framework] if framework else list(Framework.objects.all())
    documents = [OscalDocument("catalog", each) for each in frameworks]
    documents += [OscalDocument("profile", each) for each in frameworks]
    if framework is None:
        documents.append(OscalDocument("profile", None))  # the baseline the organisation's SSP imports
    documents += [OscalDocument("ssp", framework), OscalDocument("assessment-results", framework)]
    return documents


def package_section(scope, add: Callable[[str, bytes], dict]) -> None:
    """The audit package's oscal/ folder (evidence.package calls it for every package; see OscalConfig)."""
    now = timezone.now()
    for document in package_documents(scope.framework):
        add(f"{PACKAGE_FOLDER}/{document.file_name}", document.json(now))
