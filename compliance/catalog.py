"""Loading the catalogs from the versioned data files in compliance/catalogs/ (described in docs/catalogs.md).

Catalog facts (titles, our summaries, attributes) are refreshed on every load; the organisation's
record of each control (applicability, status, owner...) is never touched, and mappings that already
exist are left as users may have corrected them.

The files are checked before anything is written: a duplicate ref, an attribute value outside the
framework's vocabulary, a mapping to a control that does not exist or an unknown relationship stops the
load with the file and line, and the transaction leaves the database as it was.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from compliance.models import Control, ControlMapping, ControlState, Framework, MappingRelation, ref_sort_key

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
LIST_SEPARATOR = ";"
CATALOG_FIELDS = ["title", "summary", "group", "attributes", "sort_key"]
ORIGIN_MAX_LENGTH = ControlMapping._meta.get_field("origin").max_length


class CatalogError(Exception):
    pass


@dataclass
class LoadReport:
    controls: dict[str, int] = field(default_factory=dict)
    mappings_created: int = 0
    mappings_total: int = 0
    mappings_skipped: list[str] = field(default_factory=list)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_spec(directory: Path = CATALOG_DIR) -> dict:
    return json.loads((directory / "frameworks.json").read_text(encoding="utf-8"))


def control_from_row(framework: Framework, row: dict[str, str], group_column: str) -> Control:
    """Columns: ref, title, the group column, an optional summary; `attr:<name>` columns become attributes
    (values separated by `;` become lists); any other column is kept as an attribute as it is."""
    known = {"ref", "title", "summary", group_column}
    attributes: dict[str, object] = {}
    for column, value in row.items():
        if column in known or value in (None, ""):
            continue
        if column.startswith("attr:"):
            attributes[column[5:]] = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
        else:
            attributes[column] = value
    return Control(
        framework=framework,
        ref=row["ref"].strip(),
        title=row["title"].strip(),
        summary=(row.get("summary") or "").strip(),
        group=row[group_column].strip(),
        attributes=attributes,
        sort_key=ref_sort_key(row["ref"].strip()),
    )


def check_attributes(control: Control, vocabulary: dict[str, list[str]], where: str) -> None:
    """Every kind the framework declares must be present, with values from its vocabulary only:
    a typo in a data file would otherwise become a filter value nobody can find."""
    for kind, allowed in vocabulary.items():
        values = control.attributes.get(kind)
        if not values:
            raise CatalogError(f"{where}: {control.ref} has no {kind}")
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise CatalogError(f"{where}: {control.ref} has {kind} outside the vocabulary: {', '.join(unknown)}")


def read_controls(framework: Framework, item: dict, directory: Path) -> list[Control]:
    controls = []
    for number, row in enumerate(read_tsv(directory / item["controls"]), start=2):
        control = control_from_row(framework, row, item["group_column"])
        check_attributes(control, item.get("attributes", {}), f"{item['controls']} line {number}")
        controls.append(control)
    duplicates = sorted(ref for ref, count in Counter(c.ref for c in controls).items() if count > 1)
    if duplicates:
        raise CatalogError(f"{item['controls']}: refs listed more than once: {', '.join(duplicates)}")
    return controls


def mapping_origin(item: dict, row: dict[str, str], where: str) -> str:
    """A row we corrected says so in its origin, so a reader of the mapping sees it is not as published."""
    origin = item["origin"]
    correction = (row.get("correction") or "").strip()
    if correction:
        origin = f"{origin} (corrected by ControlTrace: {correction})"
    if len(origin) > ORIGIN_MAX_LENGTH:
        raise CatalogError(f"{where}: origin longer than {ORIGIN_MAX_LENGTH} characters")
    return origin


def read_mappings(
    item: dict, ids: dict[tuple[str, str], int], directory: Path, report: LoadReport
) -> Iterator[ControlMapping]:
    skip = item.get("skip_targets")
    for number, row in enumerate(read_tsv(directory / item["file"]), start=2):
        where = f"{item['file']} line {number}"
        if skip and re.match(skip["pattern"], row[item["target_column"]]):
            report.mappings_skipped.append(f"{where}: {skip['reason']}")
            continue
        try:
            source = ids[(item["source"], row[item["source_column"]].strip())]
            target = ids[(item["target"], row[item["target_column"]].strip())]
        except KeyError as exc:
            raise CatalogError(f"{where}: no such control {exc.args[0]}") from None
        relation = row["relationship"].strip()
        if relation not in MappingRelation.values:
            raise CatalogError(f"{where}: unknown relationship {relation!r}")
        origin = mapping_origin(item, row, where)
        yield ControlMapping(source_id=source, target_id=target, relation=relation, origin=origin)


@transaction.atomic
def load_catalogs(directory: Path = CATALOG_DIR) -> LoadReport:
    spec = read_spec(directory)
    report = LoadReport()
    for position, item in enumerate(spec["frameworks"]):  # listed in the order of frameworks.json
        framework, _ = Framework.objects.update_or_create(
            slug=item["slug"], defaults={"name": item["name"], "version": item["version"], "position": position}
        )
        controls = read_controls(framework, item, directory)
        Control.objects.bulk_create(
            controls, update_conflicts=True, unique_fields=["framework", "ref"], update_fields=CATALOG_FIELDS
        )
        report.controls[framework.slug] = len(controls)

    ids = {(slug, ref): pk for pk, slug, ref in Control.objects.values_list("pk", "framework__slug", "ref")}
    ControlState.objects.bulk_create([ControlState(control_id=pk) for pk in ids.values()], ignore_conflicts=True)

    mappings = [mapping for item in spec["mappings"] for mapping in read_mappings(item, ids, directory, report)]
    before = ControlMapping.objects.count()
    ControlMapping.objects.bulk_create(mappings, ignore_conflicts=True)
    report.mappings_total = ControlMapping.objects.count()
    report.mappings_created = report.mappings_total - before
    return report
