"""A GitHub organisation collected from a local server answering GitHub's REST shapes, then judged by the checks;
and scanned end to end by the engine in this process, with its credential kept out of the database and logs."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

import scanners.collectors.github  # noqa: F401  (registers the service groups)
from scanners import engine
from scanners.checks.base import Status
from scanners.github import GitHubClient
from scanners.models import CloudAccount, Provider, RunState, ScanRun
from scanners.services import github_org_add, scan_request
from tests.scanners.documents import scan
from tests.scanners.local_github import LocalGitHub, local_github, protection

pytestmark = pytest.mark.integration

TWO_FACTOR = "github_org_requires_two_factor"
OWNERS = "github_org_few_owners"
PROTECTED = "github_repo_default_branch_protected"
SECRET_SCANNING = "github_repo_secret_scanning_enabled"
ALERTS_ON = "github_repo_dependabot_alerts_enabled"
OLD_ALERTS = "github_repo_no_old_critical_dependabot_alerts"
REPO_CHECKS = (PROTECTED, SECRET_SCANNING, ALERTS_ON, OLD_ALERTS)


def seed(github: LocalGitHub) -> LocalGitHub:
    """`api` does everything right, `web` nothing, `legacy` leaves a critical alert open, `old` is archived."""
    github.add_repo("api", protected=protection())
    github.add_repo("web", secret_scanning="disabled", alerts_enabled=False)
    github.add_repo("legacy", protected=protection(reviews=2))
    github.add_repo("old", archived=True)
    github.add_alert("api", age_days=5)
    github.add_alert("legacy", age_days=45)
    github.add_alert("legacy", age_days=90, severity="high")  # not critical: not read
    return github


@pytest.fixture
def github():
    with local_github(max_per_page=1) as server:  # one item a page: every listing is paged
        yield seed(server)


def client_of(github: LocalGitHub, **settings) -> GitHubClient:
    return GitHubClient(github.org, api_url=github.url, token=github.token, **settings)


def scan_github(github: LocalGitHub, **settings):
    client = client_of(github, **settings)
    return scan("github_org", ("global",), client), scan("github_repos", ("global",), client)


def test_an_organisation_that_requires_two_factor_and_has_two_owners_passes(github):
    org, _ = scan_github(github)

    assert org.status(TWO_FACTOR, "acme") == Status.PASS
    assert org.result(OWNERS, "acme").reason == "2 owners: alice, bob"
    assert org.named("acme").uid == "github:acme" and org.named("acme").region == "global"


def test_an_organisation_without_two_factor_and_with_many_owners_fails(github):
    github.two_factor_requirement_enabled = False
    github.owners = ["alice", "bob", "carol", "dave"]

    org, _ = scan_github(github)

    assert org.status(TWO_FACTOR, "acme") == Status.FAIL
    assert org.result(OWNERS, "acme").reason == "4 owners, more than 3: alice, bob, carol, dave"


def test_each_repository_is_judged_on_protection_secret_scanning_and_dependabot(github):
    _, repos = scan_github(github)

    assert {check: repos.status(check, "acme/api") for check in REPO_CHECKS} == dict.fromkeys(REPO_CHECKS, Status.PASS)
    assert repos.result(OLD_ALERTS, "acme/api").reason == "1 critical Dependabot alerts, all younger than 30 days"
    assert repos.result(PROTECTED, "acme/web").reason == "the default branch main is not protected"
    assert repos.status(SECRET_SCANNING, "acme/web") == Status.FAIL
    assert repos.status(ALERTS_ON, "acme/web") == Status.FAIL
    assert repos.status(OLD_ALERTS, "acme/web") == Status.NOT_APPLICABLE
    assert "CVE-2026-0002 in parserlib (45 days)" in repos.result(OLD_ALERTS, "acme/legacy").reason
    assert {check: repos.status(check, "acme/old") for check in REPO_CHECKS} == dict.fromkeys(
        REPO_CHECKS, Status.NOT_APPLICABLE
    )
    assert not github.calls("/repos/acme/old/")  # archived: listed, not read further
    assert len(github.calls("/orgs/acme/repos")) == 4 and len(github.calls("/orgs/acme/dependabot/alerts")) == 2


def test_repositories_are_yielded_one_by_one_so_a_large_organisation_s_unit_keeps_its_lease(github):
    from scanners.collectors.github.repos import collect

    documents = collect(client_of(github), "global")
    first = next(documents)

    assert first.name == "acme/api"
    assert github.calls("/repos/acme/api/") and not github.calls("/repos/acme/legacy/")  # not read yet
    assert [doc.name for doc in documents] == ["acme/web", "acme/legacy", "acme/old"]


def test_a_two_factor_setting_hidden_from_a_non_owner_is_an_error_not_a_pass(github):
    github.two_factor_requirement_enabled = None  # GitHub leaves the field out for non-owners

    org, _ = scan_github(github)

    result = org.result(TWO_FACTOR, "acme")
    assert result.status == Status.ERROR and "only to organisation owners" in result.reason
    assert org.status(OWNERS, "acme") == Status.PASS


def test_a_refused_member_listing_makes_only_the_owner_check_an_error(github):
    github.fail("/orgs/acme/members", 403, "Resource not accessible by integration")

    org, _ = scan_github(github)

    assert "HTTP 403 Resource not accessible by integration" in org.result(OWNERS, "acme").reason
    assert org.status(OWNERS, "acme") == Status.ERROR
    assert org.status(TWO_FACTOR, "acme") == Status.PASS


def test_a_refused_organisation_read_makes_every_organisation_check_an_error(github):
    github.fail("/orgs/acme", 404, "Not Found")  # also what GitHub answers for an organisation one cannot see

    org, repos = scan_github(github)

    assert org.documents == [] and repos.documents == []
    results = org.all_results() + repos.all_results()
    assert {status for _, _, result in results for status in [result.status]} == {Status.ERROR}
    assert {check for check, _, _ in results} == {TWO_FACTOR, OWNERS, *REPO_CHECKS}


def test_a_refused_protection_read_makes_only_that_repository_s_protection_check_an_error(github):
    github.fail("/repos/acme/api/branches", 403, "Resource not accessible by personal access token")

    _, repos = scan_github(github)

    assert repos.status(PROTECTED, "acme/api") == Status.ERROR
    assert repos.status(SECRET_SCANNING, "acme/api") == Status.PASS
    assert repos.status(PROTECTED, "acme/legacy") == Status.PASS


def test_a_refused_dependabot_alert_listing_makes_every_repository_s_alert_age_an_error(github):
    github.fail("/orgs/acme/dependabot/alerts", 403, "Resource not accessible by integration")

    _, repos = scan_github(github)

    for name in ("acme/api", "acme/legacy"):
        result = repos.result(OLD_ALERTS, name)
        assert result.status == Status.ERROR and "critical dependabot alerts could not be read" in result.reason
        assert repos.status(ALERTS_ON, name) == Status.PASS


def test_security_settings_hidden_from_a_non_admin_make_secret_scanning_an_error(github):
    github.add_repo("shared", protected=protection(), secret_scanning=None)

    _, repos = scan_github(github)

    result = repos.result(SECRET_SCANNING, "acme/shared")
    assert result.status == Status.ERROR and "only to repository admins" in result.reason


def test_a_spent_rate_limit_mid_scan_is_waited_out_and_the_scan_completes(github):
    github.spend_budget_after(3, reset_in=1)

    _, repos = scan_github(github)

    assert repos.errors == [] and repos.status(PROTECTED, "acme/api") == Status.PASS
    assert github.refused_for_rate_limit == []


def test_a_rate_limit_that_resets_too_late_turns_the_reads_into_errors_never_passes(github):
    github.spend_budget_after(2, reset_in=3600)

    _, repos = scan_github(github, max_wait_seconds=2)

    statuses = {result.status for _, _, result in repos.all_results()}
    assert Status.PASS not in statuses and Status.ERROR in statuses
    assert "GITHUB_RATE_LIMIT_MAX_WAIT" in repos.errors[0].reason


# Through the engine, with the database ------------------------------------------------------------


@pytest.fixture
def github_env(github, monkeypatch):
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    return github


def everything_stored() -> str:
    out = StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def test_a_github_organisation_is_scanned_by_the_engine_as_one_unit_per_group(github_env, db, caplog):
    caplog.set_level(logging.DEBUG)
    account = github_org_add(org="acme")

    run = engine.scan_run_sync(run_id=scan_request(account=account, enqueue=False).pk)

    assert run.state == RunState.SUCCEEDED, run.errors
    assert sorted(run.units.values_list("service", "region")) == [("github_org", "global"), ("github_repos", "global")]
    assert run.findings.get(check_id=TWO_FACTOR).status == "pass"
    assert run.findings.get(check_id=PROTECTED, resource__name="acme/web").status == "fail"
    assert run.findings.get(check_id=OLD_ALERTS, resource__name="acme/legacy").status == "fail"
    assert github_env.token not in everything_stored()
    assert github_env.token not in caplog.text


def test_a_refused_credential_fails_the_run_and_every_github_check_is_an_error(github_env, db, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("GITHUB_TOKEN", "github_pat_revoked_secret_value")
    account = github_org_add(org="acme")

    run = engine.scan_run_sync(run_id=scan_request(account=account, enqueue=False).pk)

    assert run.state == RunState.FAILED
    assert "HTTP 401 Bad credentials" in run.errors[0]["reason"]
    assert set(run.findings.values_list("status", flat=True)) == {"error"}
    assert set(run.findings.values_list("check_id", flat=True)) == {TWO_FACTOR, OWNERS, *REPO_CHECKS}
    assert "github_pat_revoked_secret_value" not in everything_stored()
    assert "github_pat_revoked_secret_value" not in caplog.text


def test_an_aws_account_is_never_planned_with_github_groups_nor_the_reverse():
    def services(provider: str) -> set[str]:
        run = ScanRun(account=CloudAccount(provider=provider))
        return {unit.service for unit in engine._units_for(run, ["global"])}

    assert services(Provider.GITHUB) == {"github_org", "github_repos"}
    assert services(Provider.AWS) and not services(Provider.AWS) & {"github_org", "github_repos"}


# manage.py add_github_org ---------------------------------------------------------------------------


def test_add_github_org_creates_the_account_and_says_where_credentials_come_from(db, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "github_pat_never_stored")
    out = StringIO()

    call_command("add_github_org", "Acme-Labs", "--schedule=6h", stdout=out)

    account = CloudAccount.objects.get(name="github-acme-labs")
    assert (account.provider, account.account_id, account.regions) == ("github", "Acme-Labs", ["global"])
    assert "GitHub organisation Acme-Labs; schedule 6h" in out.getvalue()
    assert "a token in GITHUB_TOKEN" in out.getvalue() and "never stored" in out.getvalue()
    assert "github_pat_never_stored" not in everything_stored() + out.getvalue()


def test_add_github_org_refuses_a_bad_login_or_a_duplicate(db):
    with pytest.raises(CommandError, match="Not a GitHub organisation login"):
        call_command("add_github_org", "acme/web", stdout=StringIO())
    call_command("add_github_org", "acme", "--name=code", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("add_github_org", "other", "--name=code", stdout=StringIO())


def test_the_ciso_edits_a_github_organisation_in_the_admin_without_regions_to_give(client, ciso):
    from django.urls import reverse

    account = github_org_add(org="acme")
    client.force_login(ciso)
    change = reverse("admin:scanners_cloudaccount_change", args=[account.pk])
    form = {"name": "github-acme", "provider": "github", "account_id": "acme", "role_arn": "", "external_id": ""}

    response = client.post(change, {**form, "enabled": "on", "regions_text": "global", "schedule_text": "6h"})

    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.regions == ["global"] and account.schedule.interval.every == 6


def test_a_github_scan_evidences_only_the_controls_its_checks_speak_for(github_env, catalogs):
    from evidence.models import Evidence

    account = github_org_add(org="acme")

    run = engine.scan_run_sync(run_id=scan_request(account=account, enqueue=False).pk)

    evidenced = {
        (control.framework.slug, control.ref)
        for item in Evidence.objects.filter(produced_by=f"scan {run.pk} of github-acme")
        for control in item.controls.all()
    }
    assert ("iso27001-2022", "A.8.4") in evidenced and ("iso27001-2013", "A.9.4.5") in evidenced
    assert ("iso27001-2022", "A.8.20") not in evidenced  # an AWS network control: nothing of it was scanned
    authentication = Evidence.objects.get(
        produced_by=f"scan {run.pk} of github-acme", controls__framework__slug="iso27001-2022", controls__ref="A.8.5"
    )
    with authentication.file.open("rb") as report:
        assert [item["check"] for item in json.load(report)["checks"]] == [TWO_FACTOR]  # not IAM's MFA checks


def test_a_github_organisation_has_no_regions_to_change(db):
    from django.core.exceptions import ValidationError

    from scanners.services import cloud_account_update

    account = github_org_add(org="acme")

    with pytest.raises(ValidationError, match="no regions to change"):
        cloud_account_update(account=account, regions="eu-west-1")
    account.refresh_from_db()
    assert account.regions == ["global"]
