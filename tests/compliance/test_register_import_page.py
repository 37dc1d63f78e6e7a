"""The CISO imports the register in the browser: upload, read every change in the preview, confirm."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance import services
from compliance.models import NEEDS_JUSTIFICATION, Control, Document, DocumentLink

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022"
URL = "/controls/import/"


def net() -> Control:
    return Control.objects.get(framework__slug=ISO, ref="A.8.20")


def soa_export(client, ciso) -> bytes:
    client.force_login(ciso)
    return client.get(reverse("audit-soa-csv") + f"?framework={ISO}").content


def edited(data: bytes, ref: str, **cells: str) -> bytes:
    """The CSV with some cells of one control's row changed, as a person does in a spreadsheet."""
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = [cell.lower() for cell in table[0]]
    for row in table[1:]:
        if row[header.index("ref")] == ref:
            for column, value in cells.items():
                row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return out.getvalue().encode()


def upload(client, data: bytes, name: str = "soa.csv", **headers):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)}, headers=headers)


def confirm(client, preview, **headers):
    form = preview.context_data["confirm_form"]
    data = {"confirm": "1", "sha256": form.initial["sha256"], "fingerprint": form.initial["fingerprint"]}
    return client.post(URL, data, headers=headers)


def test_only_the_ciso_may_open_or_post_the_import(client, catalogs, engineer, auditor):
    for person in (engineer, auditor):
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert upload(client, b"framework,ref\r\niso27001-2022,A.8.20\r\n").status_code == 403


def test_the_ciso_previews_an_edited_soa_and_confirms_exactly_that(client, catalogs, ciso):
    data = edited(soa_export(client, ciso), "A.8.20", justification="Segmented VPCs")
    preview = upload(client, data)
    page = preview.content.decode()
    assert preview.status_code == 200 and "Row " in page and f"{ISO} A.8.20" in page
    [change] = preview.context_data["summary"].changes
    assert [(f.column, f.before, f.after) for f in change.fields] == [("justification", "", "Segmented VPCs")]
    assert net().justification == ""  # a preview writes nothing

    response = confirm(client, preview)
    assert response.status_code == 302 and response.url == URL
    control = net()
    assert control.justification == "Segmented VPCs"
    version = control.history.latest()
    assert (version.history_user, version.history_change_reason) == (ciso, "register import")
    assert "Imported soa.csv: 1 control changed" in client.get(URL).content.decode()


def test_links_added_and_removed_are_listed_before_they_happen(client, catalogs, ciso):
    policy = Document.objects.create(title="Policy", url="https://wiki.example/policy")
    DocumentLink.objects.create(document=policy, control=net())
    data = b"framework,ref,documents,tickets\r\niso27001-2022,A.8.20,https://wiki.example/runbook,jira:SEC-7\r\n"
    client.force_login(ciso)
    preview = upload(client, data, "register.csv")
    [change] = preview.context_data["summary"].changes
    assert change.links_added == ["document https://wiki.example/runbook", "ticket jira:SEC-7"]
    assert change.links_removed == ["document https://wiki.example/policy"]
    assert "document https://wiki.example/policy" in preview.content.decode()
    assert confirm(client, preview).status_code == 302
    assert sorted(net().documents.values_list("url", flat=True)) == ["https://wiki.example/runbook"]


def test_every_bad_row_is_shown_with_its_row_and_column_and_nothing_can_be_confirmed(client, catalogs, ciso):
    data = edited(soa_export(client, ciso), "A.8.20", applicable="No", status="Not applicable")
    data = edited(data, "A.8.21", status="done")
    response = upload(client, data)
    errors = [(e.row, e.column, e.message) for e in response.context_data["errors"]]
    row = {r: i + 2 for i, r in enumerate(line.split(",")[1] for line in data.decode().splitlines()[1:])}
    assert (row["A.8.20"], "justification", NEEDS_JUSTIFICATION) in errors
    assert any(r == row["A.8.21"] and column == "status" for r, column, _ in errors)
    page = response.content.decode()
    assert "nothing was imported" in page and "Import these changes" not in page
    assert not net().history.filter(history_change_reason="register import").exists()


def test_if_the_register_changed_since_the_preview_nothing_is_written_and_the_new_preview_is_shown(
    client, catalogs, ciso, engineer
):
    data = edited(soa_export(client, ciso), "A.8.20", justification="Segmented VPCs")
    preview = upload(client, data)
    services.control_update(control=net(), actor=ciso, justification="Written meanwhile", owner=engineer)

    response = confirm(client, preview)
    assert response.status_code == 200 and response.context_data["outdated"]
    assert net().justification == "Written meanwhile"  # nothing imported
    [change] = response.context_data["summary"].changes  # the file now also takes the owner away
    assert {f.column: (f.before, f.after) for f in change.fields} == {
        "justification": ("Written meanwhile", "Segmented VPCs"),
        "owner": ("engineer", ""),
    }
    assert confirm(client, response).status_code == 302  # the new preview, confirmed
    assert (net().justification, net().owner) == ("Segmented VPCs", None)


def test_a_forged_fingerprint_or_another_persons_upload_imports_nothing(client, catalogs, ciso, django_user_model):
    from accounts.models import Role
    from tests.conftest import make_member

    data = edited(soa_export(client, ciso), "A.8.20", justification="Segmented VPCs")
    preview = upload(client, data)
    sha256 = preview.context_data["confirm_form"].initial["sha256"]
    forged = client.post(URL, {"confirm": "1", "sha256": sha256, "fingerprint": "0" * 64})
    assert forged.context_data["outdated"] and net().justification == ""

    client.force_login(make_member(django_user_model, "ciso2", Role.CISO))
    fingerprint = preview.context_data["confirm_form"].initial["fingerprint"]
    other = client.post(URL, {"confirm": "1", "sha256": sha256, "fingerprint": fingerprint})
    assert "upload the file again" in other.content.decode() and net().justification == ""


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("register.txt", b"framework,ref\r\n", "only .csv and .xlsx"),
        ("register.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "named .csv but holds a PNG image"),
        ("register.xlsx", b"framework,ref\r\n", "named .xlsx but holds CSV or other text"),
        ("register.csv", b"framework,ref,colour\r\niso27001-2022,A.8.20,red\r\n", "not a register column"),
    ],
)
def test_a_file_that_is_no_register_is_refused_with_the_reason(client, catalogs, ciso, name, content, message):
    client.force_login(ciso)
    response = upload(client, content, name)
    assert message in response.content.decode() and "summary" not in response.context_data


def test_a_file_past_the_import_limit_is_refused(client, catalogs, ciso, settings):
    settings.REGISTER_IMPORT_MAX_BYTES = 1000
    client.force_login(ciso)
    response = upload(client, b"framework,ref\r\n" + b"iso27001-2022,A.8.20\r\n" * 100)
    assert "larger than the import limit of 1,000 bytes" in response.content.decode()


def test_htmx_gets_the_preview_as_a_fragment_in_a_constant_number_of_queries(
    client, catalogs, ciso, django_assert_max_num_queries
):
    data = soa_export(client, ciso)  # every control of the framework, unchanged
    with django_assert_max_num_queries(16):
        response = upload(client, data, **{"HX-Request": "true", "HX-Target": "import"})
    page = response.content.decode()
    assert "<html" not in page and 'id="import"' in page and "No changes" in page
