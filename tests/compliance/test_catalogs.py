from collections import Counter

import pytest
from django.core.management import call_command

from compliance.catalog import CATALOG_DIR, load_catalogs, read_tsv
from compliance.models import Control, ControlMapping

pytestmark = pytest.mark.django_db


def test_each_framework_has_its_published_number_of_controls(catalogs):
    counts = Counter(Control.objects.values_list("framework__slug", flat=True))
    assert counts == {"iso27001-2022": 93, "iso27001-2013": 114, "soc2-2017": 61}


def test_iso_2022_themes_have_their_published_sizes(catalogs):
    themes = Counter(Control.objects.in_framework("iso27001-2022").values_list("group", flat=True))
    assert themes == {
        "Organisational controls": 37,
        "People controls": 8,
        "Physical controls": 14,
        "Technological controls": 34,
    }


def test_iso_2022_refs_run_without_gaps(catalogs):
    refs = set(Control.objects.in_framework("iso27001-2022").values_list("ref", flat=True))
    expected = {f"A.{theme}.{n}" for theme, last in [(5, 37), (6, 8), (7, 14), (8, 34)] for n in range(1, last + 1)}
    assert refs == expected


def test_every_2013_control_maps_to_a_2022_control(catalogs):
    mapped = set(
        ControlMapping.objects.filter(source__framework__slug="iso27001-2013").values_list("source__ref", flat=True)
    )
    assert mapped == set(Control.objects.in_framework("iso27001-2013").values_list("ref", flat=True))


def test_soc2_common_criteria_map_to_iso_2022(catalogs):
    unmapped = (
        Control.objects.in_framework("soc2-2017")
        .filter(ref__startswith="CC", mapped_to__isnull=True)
        .values_list("ref", flat=True)
    )
    assert list(unmapped) == []


def test_every_row_of_the_mapping_files_names_a_catalog_control_or_a_management_clause(catalogs):
    refs = {(slug, ref) for slug, ref in Control.objects.values_list("framework__slug", "ref")}
    for row in read_tsv(CATALOG_DIR / "map-soc2-2017-to-iso27001-2022.tsv"):
        assert ("soc2-2017", row["soc2_2017"]) in refs
        target = row["iso27001_2022"]
        assert ("iso27001-2022", target) in refs or target[0].isdigit(), target
    for row in read_tsv(CATALOG_DIR / "map-iso27001-2013-to-2022.tsv"):
        assert ("iso27001-2013", row["iso27001_2013"]) in refs
        assert ("iso27001-2022", row["iso27001_2022"]) in refs


def test_loading_twice_changes_nothing_and_keeps_the_register(catalogs, ciso):
    control = Control.objects.get(framework__slug="iso27001-2022", ref="A.5.1")
    control.status, control.owner, control.justification = "implemented", ciso, "Board-approved policy set"
    control.save()
    mappings = ControlMapping.objects.count()

    call_command("load_catalogs", verbosity=0)

    control.refresh_from_db()
    assert (control.status, control.owner, control.justification) == ("implemented", ciso, "Board-approved policy set")
    assert Control.objects.count() == 93 + 114 + 61
    assert ControlMapping.objects.count() == mappings


def test_a_corrected_mapping_survives_a_reload(catalogs):
    mapping = ControlMapping.objects.filter(relation="subset").first()
    mapping.relation = "equal"
    mapping.save()
    load_catalogs()
    mapping.refresh_from_db()
    assert mapping.relation == "equal"


def test_refs_sort_naturally(catalogs):
    refs = list(
        Control.objects.in_framework("iso27001-2022").filter(group="Physical controls").values_list("ref", flat=True)
    )
    assert refs[:3] == ["A.7.1", "A.7.2", "A.7.3"] and refs[-1] == "A.7.14"
