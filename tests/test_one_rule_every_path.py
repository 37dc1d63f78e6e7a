"""The same bad change, sent through every write path, is refused the same way with the same message.

A rule (the Statement of Applicability, who may own a record) lives in one place: Control.record_errors /
Document.clean_record, which ask accounts.roles for owners. Each write path below is a function that makes a
change to a record as the CISO and returns what it was told, per field. A path that cannot express a change
(the import has no document owners, the bulk form sets no justification) is left out when the cases are built.
When you add a write path, add it here. Check settings have their own bad changes and paths at the end.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import roles
from accounts import services as people_services
from accounts.models import Role
from compliance import services
from compliance.models import (
    APPLICABLE_STATUS,
    EXCLUDED_STATUS,
    NEEDS_JUSTIFICATION,
    AuditEvent,
    Control,
    ControlStatus,
    Document,
)
from compliance.register_io import COLUMNS, register_rows
from scanners import services as scanner_services
from scanners.models import CheckSetting
from tests.api.conftest import token_client
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

RECORD_FIELDS = ["applicable", "justification", "status", "owner", "next_review", "notes"]
DOCUMENT_FIELDS = ["title", "kind", "url", "version", "owner", "approved_at", "next_review"]


@dataclass(frozen=True)
class Change:
    name: str
    record: str  # "control" or "document"
    values: Callable[[dict], dict]  # people -> the fields to set
    refusal: dict[str, str]  # field -> the rule's message


CHANGES = [
    Change(
        "not applicable while applicable",
        "control",
        lambda people: {"status": ControlStatus.NOT_APPLICABLE},
        {"status": APPLICABLE_STATUS},
    ),
    Change(
        "excluded without a justification",
        "control",
        lambda people: {"applicable": False, "status": ControlStatus.NOT_APPLICABLE, "justification": " "},
        {"justification": NEEDS_JUSTIFICATION},
    ),
    Change(
        "an auditor owns a control",
        "control",
        lambda people: {"owner": people["auditor"]},
        {"owner": roles.OWNER_REFUSED},
    ),
    Change(
        "an engineer whose access expired owns a control",
        "control",
        lambda people: {"owner": people["expired"]},
        {"owner": roles.OWNER_REFUSED},
    ),
    Change(
        "an auditor owns a document",
        "document",
        lambda people: {"owner": people["auditor"]},
        {"owner": roles.OWNER_REFUSED},
    ),
]


# --- The write paths: each makes `values` on `record` as `ciso` and returns {field: [messages]} ---------------


def _form_value(value):
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return value.pk
    return value


def _form_data(record, fields: list[str], values: dict) -> dict:
    data = {name: _form_value(values.get(name, getattr(record, name))) for name in fields}
    if data.get("applicable") is False:
        del data["applicable"]  # an unticked checkbox is not sent
    return data


def record_page(client, ciso, control: Control, values: dict, htmx: bool = False) -> dict:
    client.force_login(ciso)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    url = f"{control.get_absolute_url()}edit/"
    response = client.post(url, _form_data(control, RECORD_FIELDS, values), **headers)
    assert response.status_code == 200, "a refused change shows the form again"
    return dict(response.context_data["record_form"].errors)


def record_htmx(client, ciso, control: Control, values: dict) -> dict:
    return record_page(client, ciso, control, values, htmx=True)


def _api_value(value):
    return value.get_username() if hasattr(value, "get_username") else value


def control_api_patch(client, ciso, control: Control, values: dict) -> dict:
    response = token_client(ciso).patch(
        f"/api/controls/{control.pk}/", {k: _api_value(v) for k, v in values.items()}, format="json"
    )
    assert response.status_code == 400
    return response.json()


def _register_file(control: Control, values: dict, tmp_path: Path) -> Path:
    row = next(r for r in register_rows(control.framework.slug) if r["ref"] == control.ref)
    for name, value in values.items():
        if name == "applicable":
            value = "yes" if value else "no"
        row[name] = _api_value(value)
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerow(row)
    return path


def register_import_command(client, ciso, control: Control, values: dict, tmp_path: Path) -> dict:
    path = _register_file(control, values, tmp_path)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_register", str(path), "--actor", ciso.get_username(), stderr=err)
    told: dict[str, list[str]] = {}
    for line in err.getvalue().splitlines():
        where, _, message = line.partition(": ")
        assert where.startswith("row 2, "), line
        told.setdefault(where.removeprefix("row 2, "), []).append(message)
    return told


def register_import_page(client, ciso, control: Control, values: dict, tmp_path: Path) -> dict:
    client.force_login(ciso)
    with _register_file(control, values, tmp_path).open("rb") as upload:
        response = client.post("/controls/import/", {"file": upload})
    assert response.status_code == 200 and "summary" not in response.context_data, "refused: no preview"
    told: dict[str, list[str]] = {}
    for error in response.context_data["errors"]:
        assert error.row == 2, error
        told.setdefault(error.column, []).append(error.message)
    return told


def _admin_post(client, ciso, url: str, data: dict, inlines: list[str]) -> dict:
    client.force_login(ciso)
    for prefix in inlines:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    response = client.post(url, data)
    assert response.status_code == 200, "the admin shows the form again with the refusal"
    return dict(response.context_data["adminform"].form.errors)


def control_admin(client, ciso, control: Control, values: dict) -> dict:
    data = _form_data(control, RECORD_FIELDS, values)
    url = f"/admin/compliance/control/{control.pk}/change/"
    return _admin_post(client, ciso, url, data, ["documentlink_set", "ticketlink_set"])


def _refused(call) -> dict:
    with pytest.raises(ValidationError) as refusal:
        call()
    return refusal.value.message_dict


def control_update_service(client, ciso, control: Control, values: dict) -> dict:
    return _refused(lambda: services.control_update(control=control, actor=ciso, **values))


def controls_bulk_update_service(client, ciso, control: Control, values: dict) -> dict:
    for name, value in values.items():
        setattr(control, name, value)
    return _refused(lambda: services.controls_bulk_update(controls=[control], fields=values, actor=ciso))


def control_bulk_update_service(client, ciso, control: Control, values: dict) -> dict:
    result = services.control_bulk_update(control_ids=[control.pk], actor=ciso, **values)
    assert (result.updated, result.refused) == (0, 1)
    field = next(iter(values))
    return {field: list(result.reasons)}


def bulk_page(client, ciso, control: Control, values: dict) -> dict:
    client.force_login(ciso)
    data = {"control": [control.pk], "set_owner": values["owner"].pk}
    response = client.post("/controls/bulk/", data, HTTP_HX_REQUEST="true")
    errors = response.context_data["bulk_form"].errors
    return {"owner": errors["set_owner"]}


def document_page(client, ciso, document: Document, values: dict) -> dict:
    client.force_login(ciso)
    response = client.post("/documents/new/", _form_data(Document(title="New policy"), DOCUMENT_FIELDS, values))
    assert response.status_code == 200
    return dict(response.context_data["create_form"].errors)


def document_api_post(client, ciso, document: Document, values: dict) -> dict:
    data = {"title": "New policy", **{k: _api_value(v) for k, v in values.items()}}
    response = token_client(ciso).post("/api/documents/", data, format="json")
    assert response.status_code == 400
    return response.json()


def document_api_patch(client, ciso, document: Document, values: dict) -> dict:
    data = {k: _api_value(v) for k, v in values.items()}
    response = token_client(ciso).patch(f"/api/documents/{document.pk}/", data, format="json")
    assert response.status_code == 400
    return response.json()


def document_admin_add(client, ciso, document: Document, values: dict) -> dict:
    data = _form_data(Document(title="New policy", kind="policy"), DOCUMENT_FIELDS, values)
    return _admin_post(client, ciso, "/admin/compliance/document/add/", data, ["links"])


def document_admin_change(client, ciso, document: Document, values: dict) -> dict:
    data = _form_data(document, DOCUMENT_FIELDS, values)
    return _admin_post(client, ciso, f"/admin/compliance/document/{document.pk}/change/", data, ["links"])


def document_create_service(client, ciso, document: Document, values: dict) -> dict:
    return _refused(lambda: services.document_create(actor=ciso, title="New policy", **values))


def document_update_service(client, ciso, document: Document, values: dict) -> dict:
    return _refused(lambda: services.document_update(document=document, actor=ciso, **values))


@dataclass(frozen=True)
class WritePath:
    name: str
    record: str
    fields: set[str]  # what the path can change
    send: Callable

    def expresses(self, change: Change) -> bool:
        return self.record == change.record and set(change.values(PEOPLE_KEYS)) <= self.fields


CONTROL_RECORD = {"applicable", "justification", "status", "owner"}
WRITE_PATHS = [
    WritePath("page form POST", "control", CONTROL_RECORD, record_page),
    WritePath("htmx POST", "control", CONTROL_RECORD, record_htmx),
    WritePath("API PATCH", "control", CONTROL_RECORD, control_api_patch),
    WritePath("import_register command", "control", CONTROL_RECORD, register_import_command),
    WritePath("import page upload", "control", CONTROL_RECORD, register_import_page),
    WritePath("admin change form", "control", CONTROL_RECORD, control_admin),
    WritePath("service control_update", "control", CONTROL_RECORD, control_update_service),
    WritePath("service controls_bulk_update", "control", CONTROL_RECORD, controls_bulk_update_service),
    WritePath("service control_bulk_update", "control", {"owner", "status"}, control_bulk_update_service),
    WritePath("bulk page POST", "control", {"owner"}, bulk_page),
    WritePath("document page POST", "document", {"owner"}, document_page),
    WritePath("API POST", "document", {"owner"}, document_api_post),
    WritePath("API PATCH", "document", {"owner"}, document_api_patch),
    WritePath("admin add form", "document", {"owner"}, document_admin_add),
    WritePath("admin change form", "document", {"owner"}, document_admin_change),
    WritePath("service document_create", "document", {"owner"}, document_create_service),
    WritePath("service document_update", "document", {"owner"}, document_update_service),
]
PEOPLE_KEYS = {"auditor": None, "expired": None}  # enough to read which fields a change sets
CASES = [
    pytest.param(change, path, id=f"{change.name} | {path.name}")
    for change in CHANGES
    for path in WRITE_PATHS
    if path.expresses(change)
]


@pytest.fixture
def people(ciso, auditor, django_user_model) -> dict:
    expired = make_member(django_user_model, "left", Role.ENGINEER, expires_at=timezone.now() - timedelta(days=1))
    return {"ciso": ciso, "auditor": auditor, "expired": expired}


def stored(record) -> dict:
    fields = RECORD_FIELDS if isinstance(record, Control) else DOCUMENT_FIELDS
    record = type(record).objects.get(pk=record.pk)
    return {name: getattr(record, name) for name in fields}


@pytest.mark.parametrize(("change", "path"), CASES)
def test_the_same_bad_change_is_refused_the_same_way_on_every_path(change, path, people, control, client, tmp_path):
    ciso = people["ciso"]
    record = control if change.record == "control" else services.document_create(actor=ciso, title="Policy")
    before, documents = stored(record), Document.objects.count()
    send = path.send
    args = (client, ciso, record, change.values(people))
    told = send(*args, tmp_path) if send in (register_import_command, register_import_page) else send(*args)
    assert told == {field: [message] for field, message in change.refusal.items()}
    assert stored(record) == before and Document.objects.count() == documents


def test_every_path_is_exercised_by_some_change():
    exercised = {(path.record, path.name) for _, path in (case.values for case in CASES)}
    assert exercised == {(path.record, path.name) for path in WRITE_PATHS}


def test_reverting_to_a_version_whose_owner_has_left_is_refused_in_the_admin(client, people, control):
    """A history revert's form starts from the old version: the rule judges it against the record as stored."""
    ciso, left = people["ciso"], people["expired"]
    Control.objects.filter(pk=control.pk).update(owner=left)  # when `left` still had access
    control.refresh_from_db()
    control._history_user = ciso
    control.save()
    version = control.history.latest()
    services.control_update(control=control, actor=ciso, owner=None)
    client.force_login(ciso)
    data = _form_data(version.instance, RECORD_FIELDS, {})
    response = client.post(f"/admin/compliance/control/{control.pk}/history/{version.history_id}/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"owner": [roles.OWNER_REFUSED]}
    assert Control.objects.get(pk=control.pk).owner is None


def test_an_owner_name_with_a_nul_byte_is_an_unknown_person_not_a_server_error(people):
    response = token_client(people["ciso"]).post("/api/documents/", {"title": "Policy", "owner": "ci\x00so"})
    assert response.status_code == 400 and "owner" in response.json()


def test_the_bulk_page_says_which_rule_kept_a_control_as_it_was(client, ciso, control):
    excluded = Control.objects.get(framework=control.framework, ref="A.5.1")
    services.control_update(
        control=excluded, actor=ciso, applicable=False, justification="Group policy", status="not_applicable"
    )
    client.force_login(ciso)
    data = {"control": [excluded.pk, control.pk], "set_status": "implemented"}
    response = client.post("/controls/bulk/", data, HTTP_HX_REQUEST="true")
    assert response.context_data["message"] == f"Updated 1 control. 1 skipped. {EXCLUDED_STATUS}"
    assert Control.objects.get(pk=excluded.pk).status == ControlStatus.NOT_APPLICABLE


# --- Check settings: a bad setting is refused with the check's own words on every path --------------------------

INSPECTOR_AGE = {"check_id": "inspector2_no_old_critical_findings", "key": "max_age_days"}
SETTING_CHANGES = [
    pytest.param(
        {**INSPECTOR_AGE, "value": -1},
        {"value": "inspector2_no_old_critical_findings: max_age_days must be a whole number (0 or more), not -1"},
        id="a negative number of days",
    ),
    pytest.param(
        {**INSPECTOR_AGE, "value": "a week"},
        {"value": "inspector2_no_old_critical_findings: max_age_days must be a whole number (0 or more), not 'a week'"},
        id="words for a number",
    ),
    pytest.param(
        {**INSPECTOR_AGE, "key": "max_age", "value": 7},
        {"key": "inspector2_no_old_critical_findings has no setting 'max_age' (it has: max_age_days)."},
        id="a setting the check does not declare",
    ),
    pytest.param(
        {**INSPECTOR_AGE, "check_id": "inspector2_old_findings", "value": 7},
        {"check_id": "No check is named 'inspector2_old_findings'."},
        id="a check that does not exist",
    ),
]


def _typed(change: dict) -> dict:
    """The change as a person types it in a form."""
    return {**change, "value": str(change["value"])}


def setting_page(client, ciso, account, change: dict, htmx: bool = False) -> dict:
    client.force_login(ciso)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"/scans/accounts/{account.pk}/settings/change/", _typed(change), **headers)
    assert response.status_code == 200, "a refused change shows the settings again"
    return dict(response.context_data["setting_form"].errors)


def setting_htmx(client, ciso, account, change: dict) -> dict:
    return setting_page(client, ciso, account, change, htmx=True)


def setting_api_post(client, ciso, account, change: dict) -> dict:
    response = token_client(ciso).post(f"/api/cloud-accounts/{account.pk}/check-settings/", change, format="json")
    assert response.status_code == 400
    return response.json()


def setting_admin_add(client, ciso, account, change: dict) -> dict:
    data = {"account": account.pk, **_typed(change)}
    return _admin_post(client, ciso, "/admin/scanners/checksetting/add/", data, [])


def setting_admin_change(client, ciso, account, change: dict) -> dict:
    row = CheckSetting.objects.get(account=account, **INSPECTOR_AGE)
    url = f"/admin/scanners/checksetting/{row.pk}/change/"
    return _admin_post(client, ciso, url, {"value": _typed(change)["value"]}, [])


def setting_service(client, ciso, account, change: dict) -> dict:
    return _refused(lambda: scanner_services.check_setting_change(account=account, actor=ciso, **change))


ANY_SETTING = {"check_id", "key", "value"}
SETTING_PATHS = [  # (path, what it can change, how it sends the change)
    ("settings page POST", ANY_SETTING, setting_page),
    ("settings htmx POST", ANY_SETTING, setting_htmx),
    ("API POST", ANY_SETTING, setting_api_post),
    ("admin add form", ANY_SETTING, setting_admin_add),
    ("admin change form", {"value"}, setting_admin_change),  # the value of a setting already stored
    ("service check_setting_change", ANY_SETTING, setting_service),
]
SETTING_CASES = [
    pytest.param(change.values[0], change.values[1], send, id=f"{change.id} | {name}")
    for change in SETTING_CHANGES
    for name, fields, send in SETTING_PATHS
    if set(change.values[1]) <= fields
]


@pytest.mark.parametrize(("change", "refusal", "send"), SETTING_CASES)
def test_the_same_bad_check_setting_is_refused_the_same_way_on_every_path(change, refusal, send, client, ciso):
    account = scanner_services.cloud_account_create(name="prod", regions="eu-west-1")
    if send is setting_admin_change:
        scanner_services.check_setting_change(account=account, actor=ciso, **INSPECTOR_AGE, value=30)
    before = list(CheckSetting.objects.values_list("check_id", "key", "value"))
    events = AuditEvent.objects.count()

    told = send(client, ciso, account, change)

    assert told == {field: [message] for field, message in refusal.items()}
    assert list(CheckSetting.objects.values_list("check_id", "key", "value")) == before
    assert AuditEvent.objects.count() == events


def test_every_check_setting_path_is_exercised_by_some_change():
    assert {case.id.split(" | ")[1] for case in SETTING_CASES} == {name for name, _, _ in SETTING_PATHS}


# --- People: ControlTrace keeps an active CISO, whichever path would take the last one away ------------------

LAST_CISO = "ControlTrace must keep at least one active CISO: make someone else CISO first."


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def ciso_page_role(client, ciso) -> list[str]:
    client.force_login(ciso)
    return _messages(client.post(f"/people/{ciso.pk}/access/", {"role": "engineer"}, follow=True))


def ciso_page_deactivate(client, ciso) -> list[str]:
    client.force_login(ciso)
    return _messages(client.post(f"/people/{ciso.pk}/deactivate/", follow=True))


def ciso_admin_change(client, ciso) -> list[str]:
    url = f"/admin/accounts/membership/{ciso.membership.pk}/change/"
    return _admin_post(client, ciso, url, {"user": ciso.pk, "role": "auditor"}, [])["role"]


def ciso_admin_delete(client, ciso) -> list[str]:
    client.force_login(ciso)
    url = f"/admin/accounts/membership/{ciso.membership.pk}/delete/"
    return _messages(client.post(url, {"post": "yes"}, follow=True))


def ciso_admin_delete_action(client, ciso) -> list[str]:
    client.force_login(ciso)
    data = {"action": "delete_selected", "_selected_action": [ciso.membership.pk], "post": "yes"}
    return _messages(client.post("/admin/accounts/membership/", data, follow=True))


def ciso_user_admin_deactivate(client, ciso) -> list[str]:
    operator = type(ciso).objects.create_superuser("operator", password="pw-operator")
    client.force_login(operator)
    data = {"action": "deactivate", "_selected_action": [ciso.pk]}
    return _messages(client.post("/admin/auth/user/", data, follow=True))


def ciso_service(call) -> Callable:
    def send(client, ciso) -> list[str]:
        return _refused(lambda: call(ciso))["role"]

    return send


CISO_PATHS = [
    ("People page: role", ciso_page_role),
    ("People page: deactivate", ciso_page_deactivate),
    ("admin change form", ciso_admin_change),
    ("admin delete", ciso_admin_delete),
    ("admin delete action", ciso_admin_delete_action),
    ("user admin deactivate action", ciso_user_admin_deactivate),
    (
        "service membership_change_role",
        ciso_service(
            lambda ciso: people_services.membership_change_role(
                membership=ciso.membership, role="engineer", expires_at=None, actor=ciso
            )
        ),
    ),
    (
        "service membership_remove",
        ciso_service(lambda ciso: people_services.membership_remove(membership=ciso.membership, actor=ciso)),
    ),
    (
        "service membership_deactivate",
        ciso_service(lambda ciso: people_services.membership_deactivate(user=ciso, actor=ciso)),
    ),
    (
        "single sign-on: groups no longer give CISO",
        ciso_service(lambda ciso: people_services.membership_sync_from_sso(user=ciso, role="auditor")),
    ),
]


@pytest.mark.parametrize("send", [pytest.param(send, id=name) for name, send in CISO_PATHS])
def test_the_last_active_ciso_keeps_the_role_on_every_path(send, client, ciso, engineer):
    events = AuditEvent.objects.count()
    told = send(client, ciso)
    assert any(LAST_CISO in message for message in told), told
    ciso.refresh_from_db()
    assert ciso.is_active and ciso.membership.role == Role.CISO
    assert AuditEvent.objects.count() == events
# --- Evidence requests: answering someone else's request, or one already closed, is refused on every path ----
# Each path answers as `person` with a link and returns (how it refused, what it said).

ANSWER_LINK = {"kind": "link", "url": "https://wiki.example/fw-review", "title": "Firewall review"}


def answer_page(client, person, asked) -> tuple[str, str]:
    client.force_login(person)
    response = client.post(f"/evidence-requests/{asked.pk}/", ANSWER_LINK)
    if response.status_code == 403:
        return "forbidden", response.context["reason"]
    assert response.status_code == 200, "a refused answer shows the form again"
    return "invalid", " ".join(response.context["form"].non_field_errors())


def answer_api(client, person, asked) -> tuple[str, str]:
    data = {"title": ANSWER_LINK["title"], "url": ANSWER_LINK["url"]}
    response = token_client(person).post(f"/api/evidence-requests/{asked.pk}/answer/", data, format="json")
    body = response.json()
    if response.status_code == 403:
        return "forbidden", body["detail"]
    assert response.status_code == 400
    return "invalid", " ".join(body["non_field_errors"])


def answer_service(client, person, asked) -> tuple[str, str]:
    from django.core.exceptions import PermissionDenied

    from evidence.requests import evidence_request_answer

    arguments = {"title": ANSWER_LINK["title"], "url": ANSWER_LINK["url"]}
    try:
        evidence_request_answer(request=asked, actor=person, **arguments)
    except PermissionDenied as refusal:
        return "forbidden", str(refusal)
    except ValidationError as refusal:
        return "invalid", " ".join(refusal.messages)
    raise AssertionError("the service took the answer")


ANSWER_PATHS = [answer_page, answer_api, answer_service]


@pytest.fixture
def open_request(ciso, engineer, auditor, control):
    from evidence.requests import evidence_request_open

    services.control_update(control=control, actor=ciso, owner=engineer)
    return evidence_request_open(control=control, actor=auditor, what="Firewall review", due=timezone.localdate())


def _answer_refused(send, client, person, asked) -> tuple[str, str]:
    from evidence.models import Evidence, EvidenceRequest

    before = (EvidenceRequest.objects.values_list("state", "answered_at").get(pk=asked.pk), Evidence.objects.count())
    events = AuditEvent.objects.count()
    told = send(client, person, asked)
    after = (EvidenceRequest.objects.values_list("state", "answered_at").get(pk=asked.pk), Evidence.objects.count())
    assert after == before and AuditEvent.objects.count() == events
    return told


@pytest.mark.parametrize("send", ANSWER_PATHS, ids=lambda send: send.__name__)
def test_answering_someone_elses_request_is_refused_the_same_way_on_every_path(
    send, client, other_engineer, open_request
):
    from evidence.requests import NOT_YOURS

    assert _answer_refused(send, client, other_engineer, open_request) == ("forbidden", NOT_YOURS)


@pytest.mark.parametrize("send", ANSWER_PATHS, ids=lambda send: send.__name__)
def test_answering_a_request_already_closed_is_refused_the_same_way_on_every_path(
    send, client, engineer, auditor, open_request
):
    from evidence.requests import evidence_request_withdraw

    evidence_request_withdraw(request=open_request, actor=auditor)
    told = _answer_refused(send, client, engineer, open_request)
    assert told == ("invalid", "This request is withdrawn; only open requests are answered or withdrawn.")


# --- Comments: an empty comment, or a reply into another control's thread, is refused on every path ----------


def comment_page(client, person, control, data: dict, htmx: bool = False) -> dict:
    client.force_login(person)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"{control.get_absolute_url()}comments/", data, **headers)
    assert response.status_code == 200, "a refused comment shows the form again"
    return {"body": response.context_data["comment_form"].errors["body"]}


def comment_htmx(client, person, control, data: dict) -> dict:
    return comment_page(client, person, control, data, htmx=True)


def comment_api(client, person, control, data: dict) -> dict:
    payload = {"control": f"{control.framework.slug}:{control.ref}", **data}
    response = token_client(person).post("/api/comments/", payload, format="json")
    assert response.status_code == 400
    return {"body" if field == "parent" else field: messages for field, messages in response.json().items()}


def comment_service(client, person, control, data: dict) -> dict:
    from compliance.models import ControlComment

    parent = ControlComment.objects.filter(pk=data.get("parent") or 0).first()
    refusal = _refused(
        lambda: services.control_comment_add(control=control, actor=person, body=data["body"], parent=parent)
    )
    return {"body" if field == "parent" else field: messages for field, messages in refusal.items()}


@pytest.mark.parametrize("send", [comment_page, comment_htmx, comment_api, comment_service], ids=lambda s: s.__name__)
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (lambda elsewhere: {"body": "   "}, "Write the comment."),
        (
            lambda elsewhere: {"body": "Agreed", "parent": elsewhere.pk},
            "A reply belongs to a thread on the same control.",
        ),
    ],
    ids=["an empty comment", "a reply into another control's thread"],
)
def test_the_same_bad_comment_is_refused_the_same_way_on_every_path(send, bad, message, client, auditor, control):
    from compliance.models import ControlComment

    other = Control.objects.get(framework=control.framework, ref="A.8.21")
    elsewhere = services.control_comment_add(control=other, actor=auditor, body="A question elsewhere")
    told = send(client, auditor, control, bad(elsewhere))
    assert told == {"body": [message]}
    assert ControlComment.objects.count() == 1
