"""What every OSCAL document here is made of: stable UUIDs, ControlTrace's properties, control ids, metadata,
and links back to the app.

UUIDs are derived (UUID v5) from what they stand for, so a control's implemented requirement, an evidence
item's resource or a resource's inventory item keeps its UUID from one export to the next, as OSCAL asks
("assigned per-subject ... across revisions"); the namespace includes the organisation's name so two
installations do not hand out the same ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import reverse
from trestle.oscal import OSCAL_VERSION
from trestle.oscal import common as oscal

from compliance.models import Control, Framework

# The namespace of every property ControlTrace defines: under the reserved .invalid domain (RFC 2606), a
# name nobody else can register, as OSCAL wants a URL for it.
NS = "https://controltrace.invalid/ns/oscal"
TOOL = "ControlTrace"


def organisation() -> str:
    return settings.OSCAL_ORGANISATION


def stable_uuid(*parts: Any) -> str:
    return str(uuid.uuid5(uuid_namespace(organisation()), ":".join(str(part) for part in parts)))


@lru_cache(maxsize=8)
def uuid_namespace(organisation_name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{NS}:{organisation_name}")


def control_id(framework_slug: str, ref: str) -> str:
    """`iso27001-2022_A.8.20`: refs repeat across frameworks (A.5.1 is in both ISO editions), and the SSP of
    every framework names controls of three catalogs, so the id carries the framework."""
    return f"{framework_slug}_{ref}"


def control_id_of(control: Control) -> str:
    return control_id(control.framework.slug, control.ref)


def prop(name: str, value: Any, *, ours: bool = True, remarks: str | None = None) -> oscal.Property:
    """A property; ours carry ControlTrace's namespace, OSCAL's own (label, sort-id...) none."""
    return _property(name, single_line(str(value)), NS if ours else None, remarks)


@lru_cache(maxsize=8192)
def _property(name: str, value: str, ns: str | None, remarks: str | None) -> oscal.Property:
    # Validating a model costs about a millisecond, and most properties repeat (a status, `applicable: yes`):
    # an equal one is shared; nothing changes a property once it is in a document.
    return oscal.Property(name=name, value=value, ns=ns, remarks=remarks)


def single_line(text: str) -> str:
    """OSCAL strings have no line breaks nor leading or trailing blanks; an empty one is not allowed."""
    return " ".join(text.split()) or "-"


def prose(text: str) -> str:
    """Markup (multiline) text: kept as written, but never empty."""
    return text.strip() or "-"


def metadata(title: str, version: str, now: datetime, **fields: Any) -> oscal.Metadata:
    return oscal.Metadata(
        title=single_line(title),
        last_modified=now,
        version=single_line(version),
        oscal_version=OSCAL_VERSION,
        props=[prop("generator", TOOL)],
        **fields,
    )


def state_metadata(title: str, now: datetime, people: Iterable[oscal.Party] = (), **fields: Any) -> oscal.Metadata:
    """The metadata of a document reporting the register's state: its version is the moment it was read."""
    version = now.isoformat(timespec="seconds")
    return metadata(title, version, now, parties=[organisation_party(), *people], **fields)


def scope_of(framework: Framework | None) -> tuple[str, str]:
    """(key for UUIDs, words for titles) of a document covering one framework or all of them."""
    return (framework.slug, framework.name) if framework else ("all", "all frameworks")


def organisation_party() -> oscal.Party:
    return oscal.Party(uuid=stable_uuid("party", "organisation"), type="organization", name=single_line(organisation()))


def absolute(base_url: str, path: str) -> str:
    """A link into the app: absolute when the base URL is known, else relative to the server's root."""
    return f"{base_url.rstrip('/')}{path}" if base_url else path


def app_link(base_url: str, name: str, *args: Any, rel: str = "alternate", text: str | None = None) -> oscal.Link:
    return oscal.Link(href=absolute(base_url, reverse(name, args=args)), rel=rel, text=text)


# File names of the documents: the same in the audit package, from the command and over HTTP, so the
# relative hrefs between them (SSP -> profile -> catalog) resolve wherever they are read.
def file_name(model: str, framework: Framework | None = None) -> str:
    return f"{model}-{framework.slug}.json" if framework else f"{model}.json"


def back_matter(resources: list[oscal.Resource]) -> oscal.BackMatter | None:
    return oscal.BackMatter(resources=resources) if resources else None
