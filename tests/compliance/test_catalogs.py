import re
import shutil
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from compliance.catalog import CATALOG_DIR, CatalogError, load_catalogs, read_tsv
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


# --- Our own words, and the ISO/IEC 27002:2022 attributes -------------------------------------------------

# The attribute vocabularies as ISO/IEC 27002:2022 publishes them, written out here rather than read from
# frameworks.json so that a wrong vocabulary in the data cannot make these tests agree with it.
ISO27002_VOCABULARY = {
    "control_type": {"Preventive", "Detective", "Corrective"},
    "security_properties": {"Confidentiality", "Integrity", "Availability"},
    "cybersecurity_concepts": {"Identify", "Protect", "Detect", "Respond", "Recover"},
    "operational_capabilities": {
        "Governance",
        "Asset_management",
        "Information_protection",
        "Human_resource_security",
        "Physical_security",
        "System_and_network_security",
        "Application_security",
        "Secure_configuration",
        "Identity_and_access_management",
        "Threat_and_vulnerability_management",
        "Continuity",
        "Supplier_relationships_security",
        "Legal_and_compliance",
        "Information_security_event_management",
        "Information_security_assurance",
    },
    "security_domains": {"Governance_and_Ecosystem", "Protection", "Defence", "Resilience"},
}
# A "sentence" ending inside the summary: punctuation followed by a space.
SENTENCE_BREAK = re.compile(r"[.!?;:]\s")


def test_every_2022_control_carries_all_five_attributes_from_the_published_vocabularies(catalogs):
    for control in Control.objects.in_framework("iso27001-2022"):
        assert set(control.attributes) == set(ISO27002_VOCABULARY), control.ref
        for kind, allowed in ISO27002_VOCABULARY.items():
            values = control.attributes[kind]
            assert values, (control.ref, kind)
            assert set(values) <= allowed, (control.ref, kind, values)
            assert len(values) == len(set(values)), (control.ref, kind, values)


# A few controls whose attributes are easy to get wrong: one property only, no Preventive, many capabilities.
# Values per kind: control type | security properties | cybersecurity concepts | capabilities | domains.
PUBLISHED_ATTRIBUTES = {
    "A.5.30": "Corrective | Availability | Respond | Continuity | Resilience",
    "A.8.13": "Corrective | Integrity Availability | Recover | Continuity | Protection",
    "A.7.7": "Preventive | Confidentiality | Protect | Physical_security | Protection",
    "A.8.17": "Detective | Integrity | Protect Detect | Information_security_event_management | Protection Defence",
    "A.5.7": "Preventive Detective Corrective | Confidentiality Integrity Availability | Identify Detect Respond"
    " | Threat_and_vulnerability_management | Defence Resilience",
    "A.8.7": "Preventive Detective Corrective | Confidentiality Integrity Availability | Protect Detect"
    " | System_and_network_security Information_protection | Protection Defence",
    "A.6.6": "Preventive | Confidentiality | Protect"
    " | Human_resource_security Information_protection Supplier_relationships_security | Governance_and_Ecosystem",
}


@pytest.mark.parametrize(("ref", "published"), PUBLISHED_ATTRIBUTES.items())
def test_known_controls_have_their_published_attributes(catalogs, ref, published):
    attributes = Control.objects.get(framework__slug="iso27001-2022", ref=ref).attributes
    expected = [set(values.split()) for values in published.split("|")]
    assert [set(attributes[kind]) for kind in ISO27002_VOCABULARY] == expected


def test_attribute_counts_across_annex_a_match_the_standard(catalogs):
    controls = list(Control.objects.in_framework("iso27001-2022"))
    only_availability = {c.ref for c in controls if c.attributes["security_properties"] == ["Availability"]}
    resilience = {c.ref for c in controls if "Resilience" in c.attributes["security_domains"]}
    assert only_availability == {"A.5.30", "A.8.14"}
    assert resilience == {"A.5.1", "A.5.2", "A.5.5", "A.5.7", "A.5.29", "A.5.30", "A.7.13", "A.8.14"}


@pytest.mark.parametrize("slug", ["iso27001-2022", "iso27001-2013", "soc2-2017"])
def test_every_control_has_a_one_sentence_summary_of_our_own(catalogs, slug):
    controls = list(Control.objects.in_framework(slug))
    for control in controls:
        summary = control.summary
        assert summary and summary.endswith("."), control.ref
        assert not SENTENCE_BREAK.search(summary), (control.ref, summary)
        assert summary[0].isupper(), control.ref
        assert summary.casefold() != control.title.casefold(), control.ref
        # Short summaries keep us far from reproducing the standard's own control text.
        assert len(summary) <= 200, (control.ref, len(summary))
    summaries = Counter(control.summary for control in controls)
    assert [text for text, count in summaries.items() if count > 1] == []


def test_every_soc2_criterion_has_a_readable_title_and_the_coso_principles_keep_theirs(catalogs):
    titles = dict(Control.objects.in_framework("soc2-2017").values_list("ref", "title"))
    assert all(title.strip() for title in titles.values())
    coso = {ref: title for ref, title in titles.items() if title.startswith("COSO Principle")}
    assert coso == {
        "CC1.1": "COSO Principle 1",
        "CC1.2": "COSO Principle 2",
        "CC1.3": "COSO Principle 3",
        "CC1.4": "COSO Principle 4",
        "CC1.5": "COSO Principle 5",
        "CC2.1": "COSO Principle 13",
        "CC2.2": "COSO Principle 14",
        "CC2.3": "COSO Principle 15",
        "CC3.1": "COSO Principle 6",
        "CC3.2": "COSO Principle 7",
        "CC3.3": "COSO Principle 8",
        "CC3.4": "COSO Principle 9",
        "CC4.1": "COSO Principle 16",
        "CC4.2": "COSO Principle 17",
        "CC5.1": "COSO Principle 10",
        "CC5.2": "COSO Principle 11",
        "CC5.3": "COSO Principle 12",
    }


def test_every_soc2_criterion_sits_in_the_series_its_ref_names(catalogs):
    for ref, group in Control.objects.in_framework("soc2-2017").values_list("ref", "group"):
        series = "P" if re.fullmatch(r"P\d\.\d", ref) else ref.split(".")[0]
        assert group.split(" ", 1)[0] == series, (ref, group)


def test_iso_titles_are_in_sentence_case_as_published(catalogs):
    for slug in ["iso27001-2022", "iso27001-2013"]:
        for ref, title in Control.objects.in_framework(slug).values_list("ref", "title"):
            later_words = re.findall(r"[A-Za-z][\w-]*", title)[1:]
            assert all(word.islower() or word.isupper() for word in later_words), (ref, title)


# --- The corrections we made to the reference data ---------------------------------------------------------


def targets_of(source_slug: str, ref: str) -> set[str]:
    return set(
        ControlMapping.objects.filter(source__framework__slug=source_slug, source__ref=ref).values_list(
            "target__ref", flat=True
        )
    )


@pytest.mark.parametrize(
    ("ref", "present", "absent"),
    [
        ("CC6.5", {"A.5.12", "A.7.14", "A.8.10"}, set()),
        ("A1.3", {"A.5.30", "A.8.13"}, {"A.5.3"}),
        ("CC7.5", {"A.5.30", "A.5.29"}, {"A.5.3"}),
        ("CC6.6", {"A.8.20"}, {"A.8.2"}),
        ("CC6.7", {"A.7.10", "A.6.7"}, {"A.7.1"}),
    ],
)
def test_corrected_soc2_mappings_hold(catalogs, ref, present, absent):
    targets = targets_of("soc2-2017", ref)
    assert present <= targets
    assert not targets & absent


def test_corrected_rows_say_so_in_their_origin(catalogs):
    corrected = ControlMapping.objects.filter(origin__contains="corrected by ControlTrace")
    pairs = {(m.source.ref, m.target.ref) for m in corrected.select_related("source", "target")}
    assert pairs == {
        ("CC6.5", "A.5.12"),
        ("CC6.5", "A.7.14"),
        ("CC6.5", "A.8.10"),
        ("A1.3", "A.5.30"),
        ("CC7.5", "A.5.30"),
        ("CC6.6", "A.8.20"),
        ("CC6.7", "A.7.10"),
        ("A.18.2.3", "A.8.8"),
    }


def test_technical_compliance_review_maps_to_both_of_its_2022_successors(catalogs):
    assert targets_of("iso27001-2013", "A.18.2.3") == {"A.5.36", "A.8.8"}


def test_management_system_clauses_are_kept_out_of_the_soc2_mapping(catalogs):
    targets = ControlMapping.objects.filter(source__framework__slug="soc2-2017").values_list("target__ref", flat=True)
    assert targets and all(ref.startswith("A.") for ref in targets)


def test_soc2_series_and_typos_fixed_in_our_copies(catalogs):
    groups = dict(Control.objects.in_framework("soc2-2017").values_list("ref", "group"))
    assert groups["P6.1"] == groups["P6.2"] == groups["P5.2"] == "P Additional Criteria for Privacy"
    assert groups["CC1.1"] == "CC1 Control Environment"
    assert groups["A1.1"] == "A1 Additional Criteria for Availability"
    assert groups["C1.1"] == "C1 Additional Criteria for Confidentiality"
    titles = dict(Control.objects.values_list("ref", "title"))
    assert titles["A.7.6"] == "Working in secure areas"
    assert titles["A.12.6.1"] == "Management of technical vulnerabilities"


# --- The loader refuses bad data and leaves the database as it was ------------------------------------------


@pytest.fixture
def catalog_copy(tmp_path):
    directory = tmp_path / "catalogs"
    shutil.copytree(CATALOG_DIR, directory)
    return directory


def rewrite(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("iso27001-2022-annex-a.tsv", "\tPreventive\t", "\tPreventative\t", "outside the vocabulary: Preventative"),
        (
            "iso27001-2022-annex-a.tsv",
            "\tGovernance_and_Ecosystem;Resilience\n",
            "\t\n",
            "A.5.1 has no security_domains",
        ),
        ("soc2-2017-criteria.tsv", "CC1.2\t", "CC1.1\t", "refs listed more than once: CC1.1"),
        ("map-iso27001-2013-to-2022.tsv", "A.5.1.1\tA.5.1\tsubset", "A.5.1.1\tA.5.1\tpartial", "unknown relationship"),
        ("map-soc2-2017-to-iso27001-2022.tsv", "CC6.6\tA.8.20", "C6.6\tA.8.20", "no such control"),
    ],
)
def test_loader_refuses_bad_data_and_writes_nothing(db, catalog_copy, file, old, new, message):
    rewrite(catalog_copy / file, old, new)
    with pytest.raises(CatalogError, match=re.escape(message)) as error:
        load_catalogs(catalog_copy)
    assert file in str(error.value)
    assert not Control.objects.exists()
    assert not ControlMapping.objects.exists()


def test_load_catalogs_command_reports_a_bad_file_as_a_command_error(db, catalog_copy):
    rewrite(catalog_copy / "iso27001-2022-annex-a.tsv", "\tDetective\t", "\tDetecting\t")
    with pytest.raises(CommandError, match="iso27001-2022-annex-a.tsv line .*Detecting"):
        call_command("load_catalogs", directory=catalog_copy, verbosity=0)
    assert not Control.objects.exists()


def test_the_current_edition_is_listed_first_everywhere(catalogs):
    from compliance.models import Framework

    assert list(Framework.objects.values_list("slug", flat=True)) == ["iso27001-2022", "iso27001-2013", "soc2-2017"]
    first = Control.objects.select_related("framework").first()
    assert (first.framework.slug, first.ref) == ("iso27001-2022", "A.5.1")
