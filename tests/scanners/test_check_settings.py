"""Check settings, as the CISO, an engineer and an auditor meet them: Inspector's patch window for one account.

The CISO shortens how long a critical Inspector finding may stay open in one account; that account's next scan
judges with the new value, the other account keeps the default, the evidence reports say which value each check
was judged with, and the history says who changed what. Nobody else changes a setting, on any path.
"""

from __future__ import annotations

import json
import re
from html import unescape as html_unescape
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import AuditEvent, AuditVerb, Control
from scanners import engine
from scanners.checks.base import Status, all_checks
from scanners.collectors import base as collectors_base
from scanners.models import CheckSetting, CheckStatus, Finding, ScanRun
from scanners.services import check_setting_change, cloud_account_create, scan_request
from tests.api.conftest import token_client
from tests.scanners.test_collectors_inspector2 import critical_finding, queue_findings

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"
OLD_FINDINGS = "inspector2_no_old_critical_findings"
INSPECTOR = "Amazon Inspector in eu-west-1"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def settings_url(account) -> str:
    return reverse("check-settings", args=[account.pk])


def change_url(account) -> str:
    return reverse("check-setting-change", args=[account.pk])


def scan(account) -> ScanRun:
    return engine.scan_run_sync(run_id=scan_request(account=account, enqueue=False).pk)


def verdict(run: ScanRun) -> Finding:
    return Finding.objects.get(run=run, check_id=OLD_FINDINGS, resource__name=INSPECTOR)


def report_of(run: ScanRun, control_key: str = "iso27001-2022:A.8.8") -> dict:
    framework, ref = control_key.split(":")
    control = Control.objects.get(framework__slug=framework, ref=ref)
    item = control.evidence.get(produced_by=f"scan {run.pk} of {run.account.name}")
    return json.loads(item.file.read())


def judged_with(run: ScanRun) -> dict:
    [check] = [item for item in report_of(run)["checks"] if item["check"] == OLD_FINDINGS]
    return check["settings"]


@pytest.fixture
def accounts(db):
    return (
        cloud_account_create(name="prod", regions="eu-west-1"),
        cloud_account_create(name="staging", regions="eu-west-1"),
    )


@pytest.fixture
def inspector_with_a_ten_day_old_critical_finding(aws, monkeypatch, catalogs):
    """Inspector on in Ireland with one critical finding first seen ten days ago; only Inspector is scanned."""
    boto3.client("inspector2", region_name="eu-west-1").enable(accountIds=[ACCOUNT], resourceTypes=["EC2", "ECR"])
    queue_findings(aws, "eu-west-1", [critical_finding("CVE-2026-0042", 10)])
    engine.registries_load()
    only_inspector = {"inspector2": collectors_base.SERVICE_GROUPS["inspector2"]}
    monkeypatch.setattr(collectors_base, "SERVICE_GROUPS", only_inspector)
    return aws


# The story ------------------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_the_ciso_shortens_the_patch_window_of_one_account_and_its_next_scan_judges_with_it(
    client, ciso, accounts, inspector_with_a_ten_day_old_critical_finding
):
    prod, staging = accounts
    client.force_login(ciso)
    page = client.get(settings_url(prod)).content.decode()
    assert "max_age_days" in page and "Days an active critical finding may stay open" in page

    response = client.post(change_url(prod), {"check_id": OLD_FINDINGS, "key": "max_age_days", "value": "7"})
    assert response.status_code == 302

    prod_run, staging_run = scan(prod), scan(staging)
    assert prod_run.check_settings == {OLD_FINDINGS: {"max_age_days": 7}} and staging_run.check_settings == {}
    failed = verdict(prod_run)
    assert failed.status == Status.FAIL and "CVE-2026-0042 on i-0123456789abcdef0 (10 days)" in failed.reason
    assert verdict(staging_run).status == Status.PASS
    assert judged_with(prod_run) == {"max_age_days": {"value": 7, "default": 30, "overridden": True}}
    assert judged_with(staging_run) == {"max_age_days": {"value": 30, "default": 30, "overridden": False}}
    assert "settings it was judged with" in report_of(prod_run)["settings_rule"]
    assert "max_age_days = 7" in client.get(prod_run.get_absolute_url()).content.decode()
    assert "every check's default settings" in client.get(staging_run.get_absolute_url()).content.decode()

    history = client.get(settings_url(prod)).content.decode()
    assert re.search(r"<td>ciso</td>\s*<td><code>inspector2_no_old_critical_findings</code></td>", history)
    assert "set to 7" in history
    [event] = AuditEvent.objects.filter(verb=AuditVerb.CHECK_SETTING_CHANGED)
    assert (event.actor, event.subject_label) == (ciso, "prod")
    assert event.details == {
        "check": OLD_FINDINGS,
        "key": "max_age_days",
        "value": 7,
        "before": None,
        "was_default": True,
    }


@pytest.mark.integration
def test_a_change_made_while_a_scan_runs_waits_for_the_next_scan(
    ciso, accounts, inspector_with_a_ten_day_old_critical_finding
):
    prod, _ = accounts
    run = scan_request(account=prod, enqueue=False)
    units = engine.scan_plan(run_id=run.pk)
    check_setting_change(account=prod, check_id=OLD_FINDINGS, key="max_age_days", value=7, actor=ciso)
    for unit_id in units:
        engine.scan_unit_execute(unit_id=unit_id)
    run.refresh_from_db()

    assert verdict(run).status == Status.PASS  # planned with the default 30 days
    assert judged_with(run)["max_age_days"] == {"value": 30, "default": 30, "overridden": False}
    assert verdict(scan(prod)).status == Status.FAIL


@pytest.mark.integration
def test_a_stored_value_the_check_no_longer_accepts_is_an_error_never_the_default(
    client, auditor, accounts, inspector_with_a_ten_day_old_critical_finding
):
    prod, _ = accounts
    # As if the check had changed since the CISO set these: the key is renamed, the kind changed.
    CheckSetting.objects.create(account=prod, check_id=OLD_FINDINGS, key="max_age_days", value="7 days")
    run = scan(prod)

    errored = verdict(run)
    assert errored.status == Status.ERROR and "max_age_days must be a whole number" in errored.reason
    stated = judged_with(run)["max_age_days"]
    assert stated["value"] == "7 days" and stated["overridden"] and "must be a whole number" in stated["error"]
    client.force_login(auditor)
    assert (
        "max_age_days must be a whole number (0 or more), not &#x27;7 days&#x27;"
        in client.get(settings_url(prod)).content.decode()
    )

    CheckSetting.objects.filter(account=prod).update(key="max_age")
    renamed = verdict(scan(prod))
    assert renamed.status == Status.ERROR and "has no setting 'max_age'" in renamed.reason


# Who may change, and how a change is told -------------------------------------------------------------------------


def test_everyone_reads_the_settings_and_only_the_ciso_changes_them(client, ciso, engineer, auditor, accounts):
    prod, _ = accounts
    body = {"check_id": OLD_FINDINGS, "key": "max_age_days", "value": "7"}
    for person in (engineer, auditor):
        client.force_login(person)
        page = client.get(settings_url(prod)).content.decode()
        assert "max_age_days" in page and "Reset to default" not in page and 'name="value"' not in page
        assert client.post(change_url(prod), body).status_code == 403
        assert client.post(reverse("check-setting-reset", args=[prod.pk]), body).status_code == 403
        api = token_client(person)
        assert api.get(f"/api/cloud-accounts/{prod.pk}/check-settings/").status_code == 200
        assert api.post(f"/api/cloud-accounts/{prod.pk}/check-settings/", body, format="json").status_code == 403
        assert client.post(reverse("admin:scanners_checksetting_add"), {**body, "account": prod.pk}).status_code == 403
        with pytest.raises(PermissionDenied):
            check_setting_change(account=prod, check_id=OLD_FINDINGS, key="max_age_days", value=7, actor=person)
    assert not CheckSetting.objects.exists() and not AuditEvent.objects.filter(verb__startswith="check_setting")


def test_the_ciso_resets_a_setting_to_its_default_on_the_page_with_htmx(client, ciso, accounts):
    prod, staging = accounts
    check_setting_change(account=staging, check_id=OLD_FINDINGS, key="max_age_days", value=14, actor=ciso)
    client.force_login(ciso)
    htmx = {"HTTP_HX_REQUEST": "true"}
    changed = client.post(change_url(prod), {"check_id": OLD_FINDINGS, "key": "max_age_days", "value": "7"}, **htmx)
    fragment = changed.content.decode()
    assert fragment.lstrip().startswith('<div id="check-settings">') and "set for prod" in fragment
    assert "Reset to default" in fragment

    body = {"check_id": OLD_FINDINGS, "key": "max_age_days"}
    reset = client.post(reverse("check-setting-reset", args=[prod.pk]), body, **htmx).content.decode()
    assert "set for prod" not in reset and "reset to the default (was 7)" in reset
    assert CheckSetting.objects.filter(account=prod).count() == 0
    assert CheckSetting.objects.get(account=staging).value == 14  # the other account keeps its own
    [event] = AuditEvent.objects.filter(verb=AuditVerb.CHECK_SETTING_RESET)
    assert (event.actor, event.details) == (ciso, {"check": OLD_FINDINGS, "key": "max_age_days", "before": 7})


def test_the_api_reads_changes_and_resets_a_setting(ciso, auditor, accounts):
    prod, _ = accounts
    url = f"/api/cloud-accounts/{prod.pk}/check-settings/"
    changed = token_client(ciso).post(url, {"check_id": OLD_FINDINGS, "key": "max_age_days", "value": 7}, format="json")
    assert changed.status_code == 200
    assert changed.json() | {"changed_at": None} == {
        "check_id": OLD_FINDINGS,
        "check_title": "No critical Amazon Inspector finding stays open beyond the patch window",
        "key": "max_age_days",
        "help": "Days an active critical finding may stay open before it is a failure",
        "value": 7,
        "default": 30,
        "overridden": True,
        "changed_by": "ciso",
        "changed_at": None,
        "problem": "",
    }
    listed = {(row["check_id"], row["key"]): row for row in token_client(auditor).get(url).json()}
    assert listed[(OLD_FINDINGS, "max_age_days")]["value"] == 7
    aws_settings = {(check.id, key) for check in all_checks() if check.provider == "aws" for key in check.settings}
    assert set(listed) == aws_settings  # an AWS account lists every AWS check's settings, no GitHub one

    reset = token_client(ciso).post(f"{url}reset/", {"check_id": OLD_FINDINGS, "key": "max_age_days"}, format="json")
    assert reset.status_code == 204
    listed = {(row["check_id"], row["key"]): row for row in token_client(auditor).get(url).json()}
    assert listed[(OLD_FINDINGS, "max_age_days")] == {
        **changed.json(),
        "value": 30,
        "overridden": False,
        "changed_by": None,
        "changed_at": None,
    }
    typo = token_client(ciso).post(f"{url}reset/", {"check_id": OLD_FINDINGS, "key": "max_age"}, format="json")
    assert typo.status_code == 400 and "has no setting 'max_age'" in typo.json()["key"][0]


def test_the_ciso_changes_a_setting_in_the_admin_through_the_same_service(client, ciso, accounts):
    prod, _ = accounts
    client.force_login(ciso)
    add = client.post(
        reverse("admin:scanners_checksetting_add"),
        {"account": prod.pk, "check_id": OLD_FINDINGS, "key": "max_age_days", "value": "21"},
    )
    assert add.status_code == 302
    row = CheckSetting.objects.get(account=prod)
    assert (row.value, row.changed_by) == (21, ciso)
    change = client.post(reverse("admin:scanners_checksetting_change", args=[row.pk]), {"value": "14"})
    assert change.status_code == 302 and CheckSetting.objects.get(pk=row.pk).value == 14
    delete = client.post(reverse("admin:scanners_checksetting_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 302 and not CheckSetting.objects.exists()
    verbs = list(AuditEvent.objects.filter(verb__startswith="check_setting").order_by("pk").values_list("verb"))
    assert verbs == [("check_setting_changed",), ("check_setting_changed",), ("check_setting_reset",)]
    assert [h.history_type for h in CheckSetting.history.order_by("history_id")] == ["+", "~", "-"]
    assert {h.history_user for h in CheckSetting.history.all()} == {ciso}


def test_the_settings_page_runs_a_constant_number_of_queries(client, ciso, accounts, django_assert_num_queries):
    prod, staging = accounts
    client.force_login(ciso)
    client.get(settings_url(prod))  # warm the session and the role cache
    with CaptureQueriesContext(connection) as small:
        assert client.get(settings_url(prod)).status_code == 200
    for days in range(1, 12):
        check_setting_change(account=prod, check_id=OLD_FINDINGS, key="max_age_days", value=days, actor=ciso)
        check_setting_change(account=staging, check_id=OLD_FINDINGS, key="max_age_days", value=days, actor=ciso)
    CheckSetting.objects.create(account=prod, check_id="a_check_that_was_removed", key="limit", value=3)
    with django_assert_num_queries(len(small)):
        page = client.get(settings_url(prod)).content.decode()
    assert "no check named a_check_that_was_removed declares it any more" in page


def test_scan_runs_state_the_settings_they_were_planned_with_in_the_api(ciso, auditor, accounts):
    prod, _ = accounts
    check_setting_change(account=prod, check_id=OLD_FINDINGS, key="max_age_days", value=7, actor=ciso)
    run = ScanRun.objects.create(account=prod)
    engine._check_settings_snapshot(run)
    shown = token_client(auditor).get(f"/api/scan-runs/{run.pk}/").json()
    assert shown["check_settings"] == {OLD_FINDINGS: {"max_age_days": 7}}
    assert not CheckStatus.objects.exists()


# The documentation ----------------------------------------------------------------------------------------------


def settings_section() -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.find("\n## Check settings")
    assert start >= 0, "docs/checks.md needs a '## Check settings' section"
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def docs_row(check, key, setting) -> str:
    default = json.dumps(setting.default)
    return f"| `{check.id}` | `{key}` | `{default}` | {setting.help} |"


def test_every_declared_setting_is_listed_in_the_docs_with_its_default():
    section = settings_section()
    listed = {tuple(cell.strip().strip("`") for cell in line.split("|")[1:4]) for line in section.splitlines()}
    missing = [
        docs_row(check, key, setting)
        for check in all_checks()
        for key, setting in check.settings.items()
        if (check.id, key, json.dumps(setting.default)) not in listed
    ]
    assert not missing, "add these rows to the Check settings table of docs/checks.md:\n" + "\n".join(missing)


# Values as people type them -------------------------------------------------------------------------------------


@pytest.fixture
def a_check_with_every_kind_of_setting(monkeypatch):
    """Inspector's check beside one that declares a list, a flag and a text setting."""
    from scanners.checks import base as checks_base

    def evaluate(document, settings):
        return checks_base.Result.passed(str(settings))

    example = checks_base.Check(
        id="example_public_ports",
        title="Only the allowed ports are open to the internet",
        service="example",
        resource_type="aws.example.group",
        severity="high",
        controls=(),
        remediation="Close the port.",
        evaluate=evaluate,
        settings={
            "allowed_ports": checks_base.Setting([80, 443], "Ports that may be open to the internet"),
            "strict": checks_base.Setting(False, "Also fail on IPv6 ranges"),
            "tag": checks_base.Setting("public", "Tag that marks a public group"),
        },
    )
    monkeypatch.setitem(checks_base.REGISTRY, example.id, example)
    return example


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("allowed_ports", "443, 8443"), [443, 8443]),
        (("allowed_ports", ""), []),
        (("strict", "yes"), True),
        (("strict", "false"), False),
        (("tag", " internet-facing "), "internet-facing"),
    ],
)
def test_a_value_typed_on_the_page_is_stored_as_the_settings_kind(
    client, ciso, accounts, a_check_with_every_kind_of_setting, typed, stored
):
    prod, _ = accounts
    key, text = typed
    client.force_login(ciso)
    response = client.post(change_url(prod), {"check_id": "example_public_ports", "key": key, "value": text})
    assert response.status_code == 302
    assert CheckSetting.objects.get(account=prod, key=key).value == stored


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("allowed_ports", "443, https", "allowed_ports must be a list of whole numbers, not [443, 'https']"),
        ("strict", "maybe", "strict must be true or false, not 'maybe'"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_beside_its_setting(
    client, ciso, accounts, a_check_with_every_kind_of_setting, key, text, message
):
    prod, _ = accounts
    client.force_login(ciso)
    body = {"check_id": "example_public_ports", "key": key, "value": text}
    page = client.post(change_url(prod), body, HTTP_HX_REQUEST="true").content.decode()
    row = page[page.index(f'id="setting-example_public_ports-{key}"') :]
    row = row[: row.index("</tr>")]
    assert html_unescape(message) in html_unescape(row) and f'value="{text}"' in row
    assert not CheckSetting.objects.exists()
    listed = token_client(ciso).post(
        f"/api/cloud-accounts/{prod.pk}/check-settings/",
        {"check_id": "example_public_ports", "key": "allowed_ports", "value": ["443"]},
        format="json",
    )
    assert listed.status_code == 400 and "must be a list of whole numbers" in listed.json()["value"][0]


def test_text_with_a_nul_character_is_refused_not_a_database_error(ciso, accounts, a_check_with_every_kind_of_setting):
    prod, _ = accounts
    body = {"check_id": "example_public_ports", "key": "tag", "value": "pub\x00lic"}
    response = token_client(ciso).post(f"/api/cloud-accounts/{prod.pk}/check-settings/", body, format="json")
    assert response.status_code == 400 and response.json() == {"value": ["A setting cannot contain a NUL character."]}


# Each source its own settings ------------------------------------------------------------------------------------


def test_a_github_organisation_shows_and_takes_only_the_settings_of_github_checks(client, ciso, db):
    from django.core.exceptions import ValidationError

    from scanners.services import github_org_add

    org = github_org_add(org="acme")
    client.force_login(ciso)
    page = client.get(settings_url(org)).text
    assert "github_org_few_owners" in page and "inspector2_no_old_critical_findings" not in page

    with pytest.raises(ValidationError, match="inspector2_no_old_critical_findings applies to Amazon Web Services"):
        check_setting_change(
            account=org, check_id="inspector2_no_old_critical_findings", key="max_age_days", value=7, actor=ciso
        )
    refused = token_client(ciso).post(
        f"/api/cloud-accounts/{org.pk}/check-settings/",
        {"check_id": "inspector2_no_old_critical_findings", "key": "max_age_days", "value": 7},
        format="json",
    )
    assert refused.status_code == 400 and "applies to Amazon Web Services" in refused.text
    assert not CheckSetting.objects.exists()
    check_setting_change(account=org, check_id="github_org_few_owners", key="max_owners", value=5, actor=ciso)
    assert CheckSetting.objects.get().value == 5
