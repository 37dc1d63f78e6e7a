"""The 23 technological controls of Annex A 8 that practitioners in cloud companies focus on: each is named by
at least one automated check (tested on a compliant and a non-compliant case by test_checks_registry), and
docs/checks.md lists, for each, the checks and sources that evidence it exactly as the registry says."""

from pathlib import Path

import pytest

import scanners.checks.aws  # noqa: F401  (registers the checks)
from compliance.catalog import CATALOG_DIR, read_tsv
from scanners.checks.base import all_checks
from scanners.control_page import source_of

FOCUS = (
    "A.8.2 A.8.5 A.8.6 A.8.7 A.8.8 A.8.9 A.8.10 A.8.11 A.8.12 A.8.13 A.8.15 A.8.16 A.8.17 A.8.18 A.8.19 A.8.20 "
    "A.8.21 A.8.22 A.8.23 A.8.24 A.8.26 A.8.31 A.8.32"
).split()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"
HEADING = "## The 23 focus controls of Annex A 8"


def registered_checks():
    from scanners import engine

    engine.registries_load()  # every source's checks, GitHub's included
    return all_checks()


def checks_naming(ref: str) -> list:
    return [check for check in registered_checks() if f"iso27001-2022:{ref}" in check.controls]


def focus_table() -> str:
    titles = {row["ref"]: row["title"] for row in read_tsv(CATALOG_DIR / "iso27001-2022-annex-a.tsv")}
    lines = [
        HEADING,
        "",
        "Generated from the check registry; `tests/scanners/test_focus_controls.py` fails when it drifts and "
        "prints the table to paste. A check listed here names the control itself (equal mappings from ISO "
        "27001:2013 add more on the control's page).",
        "",
        "| control | title | sources | checks |",
        "|---|---|---|---|",
    ]
    for ref in FOCUS:
        checks = checks_naming(ref)
        sources = sorted({" ".join(source_of(check)) for check in checks})
        ids = ", ".join(f"`{check.id}`" for check in checks)
        lines.append(f"| {ref} | {titles[ref]} | {', '.join(sources)} | {ids} |")
    return "\n".join(lines) + "\n"


def test_the_focus_list_is_the_23_controls_of_the_catalog():
    refs = {row["ref"] for row in read_tsv(CATALOG_DIR / "iso27001-2022-annex-a.tsv")}
    assert len(FOCUS) == len(set(FOCUS)) == 23
    assert set(FOCUS) <= refs


@pytest.mark.parametrize("ref", FOCUS)
def test_every_focus_control_is_named_by_at_least_one_check(ref):
    assert checks_naming(ref), f"no automated check names iso27001-2022:{ref}"


def test_docs_list_the_checks_and_sources_of_each_focus_control_as_the_registry_does():
    documented = DOCS.read_text(encoding="utf-8")
    expected = focus_table()
    assert expected in documented, f"replace the section '{HEADING}' of docs/checks.md with:\n\n{expected}"
