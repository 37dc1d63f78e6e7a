"""Loading the catalogs from the versioned data files in compliance/catalogs/.

Catalog facts (titles, our summaries, attributes) are refreshed on every load; the organisation's
record of each control (applicability, status, owner...) is never touched, and mappings that already
exist are left as users may have corrected them.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from compliance.models import Control, ControlMapping, ControlState, Framework, ref_sort_key

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
LIST_SEPARATOR = ";"
CATALOG_FIELDS = ["title", "summary", "group", "attributes", "sort_key"]


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


@transaction.atomic
def load_catalogs(directory: Path = CATALOG_DIR) -> LoadReport:
    spec = json.loads((directory / "frameworks.json").read_text(encoding="utf-8"))
    report = LoadReport()
    frameworks: dict[str, Framework] = {}
    for item in spec["frameworks"]:
        framework, _ = Framework.objects.update_or_create(
            slug=item["slug"], defaults={"name": item["name"], "version": item["version"]}
        )
        frameworks[framework.slug] = framework
        rows = read_tsv(directory / item["controls"])
        controls = [control_from_row(framework, row, item["group_column"]) for row in rows]
        Control.objects.bulk_create(
            controls, update_conflicts=True, unique_fields=["framework", "ref"], update_fields=CATALOG_FIELDS
        )
        report.controls[framework.slug] = len(controls)

    ids = {(slug, ref): pk for pk, slug, ref in Control.objects.values_list("pk", "framework__slug", "ref")}
    ControlState.objects.bulk_create([ControlState(control_id=pk) for pk in ids.values()], ignore_conflicts=True)

    mappings = []
    for item in spec["mappings"]:
        skip = item.get("skip_targets")
        for number, row in enumerate(read_tsv(directory / item["file"]), start=2):
            if skip and re.match(skip["pattern"], row[item["target_column"]]):
                report.mappings_skipped.append(f"{item['file']} line {number}: {skip['reason']}")
                continue
            try:
                source = ids[(item["source"], row[item["source_column"]].strip())]
                target = ids[(item["target"], row[item["target_column"]].strip())]
            except KeyError as exc:
                raise CatalogError(f"{item['file']} line {number}: no such control {exc.args[0]}") from None
            mappings.append(
                ControlMapping(source_id=source, target_id=target, relation=row["relationship"], origin=item["origin"])
            )
    before = ControlMapping.objects.count()
    ControlMapping.objects.bulk_create(mappings, ignore_conflicts=True)
    report.mappings_total = ControlMapping.objects.count()
    report.mappings_created = report.mappings_total - before
    return report
