"""A framework's catalog and profile as OSCAL.

The catalog is ControlTrace's catalog as `load_catalogs` loaded it from compliance/catalogs/: refs, titles,
groups (theme, clause or series), attributes, and our own one-sentence summaries, never the standard's
text. The profile selects every control of its catalog: the Statement of Applicability covers all of
Annex A (ISO/IEC 27001 6.1.3), and the SSP says which are excluded and why. The baseline profile
(no framework) imports the three catalogs, and is the one the organisation's SSP imports.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.text import slugify
from trestle.oscal import catalog as oscal_catalog
from trestle.oscal import common as oscal
from trestle.oscal import profile as oscal_profile

from compliance.models import Control, Framework
from oscal.building import control_id_of, file_name, metadata, organisation_party, prop, prose, stable_uuid

SUMMARY_NOTE = (
    "Summaries are ControlTrace's own words, not the standard's text; read the standard for its requirements."
)


def catalog_build(framework: Framework, now: datetime) -> oscal_catalog.Catalog:
    controls = Control.objects.in_framework(framework.slug).select_related("framework")
    groups: dict[str, list[oscal_catalog.Control]] = {}
    for control in controls:
        groups.setdefault(control.group, []).append(catalog_control(control))
    return oscal_catalog.Catalog(
        uuid=stable_uuid("catalog", framework.slug),
        metadata=metadata(
            f"{framework.name} (ControlTrace summaries)",
            framework.version,
            now,
            parties=[organisation_party()],
            remarks=SUMMARY_NOTE,
        ),
        groups=[
            oscal_catalog.Group(id=group_id(framework, title), title=title, controls=members)
            for title, members in groups.items()
        ],
    )


def group_id(framework: Framework, title: str) -> str:
    return f"{framework.slug}_{slugify(title) or 'group'}"


def catalog_control(control: Control) -> oscal_catalog.Control:
    props = [prop("label", control.ref, ours=False), prop("sort-id", control.sort_key, ours=False)]
    for name, values in sorted(control.attributes.items()):
        for value in values if isinstance(values, list) else [values]:
            props.append(prop(name, value))
    parts = None
    if control.summary:
        identifier = control_id_of(control)
        parts = [oscal.Part(id=f"{identifier}_ovw", name="overview", title="Summary", prose=prose(control.summary))]
    return oscal_catalog.Control(id=control_id_of(control), title=control.title, props=props, parts=parts)


def profile_build(framework: Framework | None, now: datetime) -> oscal_profile.Profile:
    """One framework's profile (every control of its catalog), or the baseline importing all three."""
    frameworks = [framework] if framework else list(Framework.objects.all())
    title = f"{framework.name} baseline" if framework else "Baseline: " + ", ".join(f.name for f in frameworks)
    return oscal_profile.Profile(
        uuid=stable_uuid("profile", framework.slug if framework else "baseline"),
        metadata=metadata(title, now.date().isoformat(), now, parties=[organisation_party()]),
        imports=[
            oscal_profile.Import(href=file_name("catalog", each), include_all=oscal.IncludeAll()) for each in frameworks
        ],
        merge=oscal_profile.Merge(as_is=True),
    )
