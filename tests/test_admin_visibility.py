"""The admin shows each person no more than the pages and the API show them.

Generated over every model registered in the admin: for an engineer and for an auditor, the rows of
the admin's changelist are a subset of what that person reads through the API or the pages, and the
change page of any other row is not shown. A newly registered model fails here until it is given
the page or endpoint that shows it (ORACLES), or an empty set when no page shows it to them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, IntervalSchedule, SolarSchedule

from compliance import services
from compliance.models import Control, Document, Ticket
from evidence.models import AuditPackage
from evidence.services import evidence_add
from scanners import engine
from scanners.models import CheckSetting, ScanRun, ScanUnit
from scanners.services import cloud_account_create, scan_request
from tests.scanners import fakes

pytestmark = pytest.mark.django_db


def api_ids(url: str, key: str = "id") -> Callable:
    def shown(client, user) -> set:
        ids, page = set(), url
        while page:
            response = client.get(page)
            assert response.status_code == 200, (url, response.status_code)
            body = response.json()
            ids |= {row[key] for row in body["results"]}
            page = body["next"]
        return ids

    return shown


def framework_pks(client, user) -> set[int]:
    from compliance.models import Framework

    slugs = api_ids("/api/frameworks/", key="slug")(client, user)
    return set(Framework.objects.filter(slug__in=slugs).values_list("pk", flat=True))


def packages_on_their_pages(client, user) -> set[int]:
    pks = AuditPackage.objects.values_list("pk", flat=True)
    return {pk for pk in pks if client.get(reverse("audit-package", args=[pk])).status_code == 200}


def units_on_run_pages(client, user) -> set[int]:
    runs = [pk for pk in ScanRun.objects.values_list("pk", flat=True) if client.get(f"/scans/{pk}/").status_code == 200]
    return set(ScanUnit.objects.filter(run__in=runs).values_list("pk", flat=True))


def settings_in_the_api(client, user) -> set[int]:
    """The values set per account, as each account's check settings endpoint lists them."""
    shown = set()
    for account_id in api_ids("/api/cloud-accounts/")(client, user):
        rows = client.get(f"/api/cloud-accounts/{account_id}/check-settings/").json()
        shown |= {(account_id, row["check_id"], row["key"]) for row in rows if row["overridden"]}
    pks = CheckSetting.objects.values_list("pk", "account_id", "check_id", "key")
    return {pk for pk, *natural_key in pks if tuple(natural_key) in shown}


def own_role_in_the_page_header(client, user) -> set[int]:
    page = client.get("/").content.decode()
    return {user.membership.pk} if user.membership.get_role_display() in page else set()


def shown_on_no_page(client, user) -> set:
    return set()


ORACLES: dict[str, Callable] = {
    "accounts.Membership": own_role_in_the_page_header,
    "compliance.Framework": framework_pks,
    "compliance.Control": api_ids("/api/controls/"),
    "compliance.ControlMapping": api_ids("/api/mappings/"),
    "compliance.Document": api_ids("/api/documents/"),
    "compliance.Ticket": api_ids("/api/tickets/"),
    "compliance.Exemption": api_ids("/api/exemptions/"),
    "evidence.Evidence": api_ids("/api/evidence/"),
    "evidence.AuditPackage": packages_on_their_pages,
    "scanners.CloudAccount": api_ids("/api/cloud-accounts/"),
    "scanners.ScanRun": api_ids("/api/scan-runs/"),
    "scanners.ScanUnit": units_on_run_pages,
    "scanners.Resource": api_ids("/api/resources/"),
    "scanners.Finding": api_ids("/api/run-findings/"),
    "scanners.CheckStatus": api_ids("/api/findings/"),
    "scanners.CheckSetting": settings_in_the_api,
    # Django's own and django-celery-beat's admins: people, groups and beat's schedules, on no page.
    "auth.User": shown_on_no_page,
    # Sign-in lockouts (django-axes): the CISO's record only.
    **{f"axes.{name}": shown_on_no_page for name in ("AccessAttempt", "AccessFailureLog", "AccessLog")},
    "auth.Group": shown_on_no_page,
    **{
        f"django_celery_beat.{name}": shown_on_no_page
        for name in ("PeriodicTask", "IntervalSchedule", "CrontabSchedule", "SolarSchedule", "ClockedSchedule")
    },
}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def every_kind_of_record(catalogs, ciso, engineer, other_engineer, auditor, monkeypatch):
    """At least one row of every registered model, and rows that belong to someone else."""
    network = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    policy = Document.objects.create(title="Network security policy", kind="policy", url="https://wiki.example/net")
    ticket = Ticket.objects.create(system="github", key="acme/infra#7", title="Close SSH", state="open")
    services.document_link(document=policy, control=network, actor=engineer)
    services.ticket_link(ticket=ticket, control=network, actor=engineer)
    evidence_add(controls=[network], title="Firewall review", description="Reviewed.", actor=other_engineer)
    services.exemption_propose(
        controls=[network], title="Legacy VPN", reason="Vendor", expires_at=timezone.now() + timedelta(days=30),
        actor=other_engineer,
    )  # fmt: skip
    for person in (ciso, other_engineer, engineer):
        AuditPackage.objects.create(requested_by=person)
    fakes.install(monkeypatch.setattr)
    fakes.CLOUD.reset()
    fakes.CLOUD.seed_default()
    account = cloud_account_create(name="prod", regions="eu-west-1,us-east-1", schedule="0 3 * * *")
    engine.scan_run_sync(run_id=scan_request(account=account, enqueue=False).pk)
    # Written straight to the table: the fake checks declare no setting, so this one is a stored value none declares.
    CheckSetting.objects.create(account=account, check_id="fake_volume_encrypted", key="min_key_bits", value=2048)
    Group.objects.create(name="security team")
    sign_in = {"username": "engineer", "ip_address": "192.0.2.7", "user_agent": "curl", "path_info": "/login/"}
    AccessAttempt.objects.create(**sign_in, get_data="", post_data="username=engineer", failures_since_start=1)
    AccessFailureLog.objects.create(**sign_in)
    AccessLog.objects.create(**sign_in)
    IntervalSchedule.objects.create(every=6, period=IntervalSchedule.HOURS)
    SolarSchedule.objects.create(event="sunrise", latitude=51.5, longitude=-0.1)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    yield
    fakes.CLOUD.reset()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_the_admin_shows_no_more_than_the_pages_and_the_api(model, client, engineer, auditor, every_kind_of_record):
    label = model._meta.label
    assert label in ORACLES, f"{label} is in the admin: say which page or endpoint shows it (ORACLES)"
    assert model._default_manager.exists(), f"the fixture made no {label} row, so this test proves nothing"
    info = model._meta.app_label, model._meta.model_name
    for person in (engineer, auditor):
        client.force_login(person)
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code in (200, 403), (label, person, response.status_code)
        listed = (
            set(response.context["cl"].queryset.values_list("pk", flat=True)) if response.status_code == 200 else set()
        )
        shown = ORACLES[label](client, person)

        assert listed <= shown, f"{person} sees {label} rows {sorted(listed - shown)} in the admin only"
        for pk in list(model._default_manager.exclude(pk__in=shown).values_list("pk", flat=True))[:5]:
            change = client.get(reverse("admin:{}_{}_change".format(*info), args=[pk]))
            assert change.status_code != 200, f"{person} opens {label} {pk} in the admin only"


def test_an_engineer_sees_only_their_own_audit_packages_in_the_admin(client, engineer, other_engineer, auditor):
    mine = AuditPackage.objects.create(requested_by=engineer)
    theirs = AuditPackage.objects.create(requested_by=other_engineer)
    client.force_login(engineer)

    listed = client.get(reverse("admin:evidence_auditpackage_changelist")).context["cl"].queryset

    assert list(listed) == [mine]
    assert client.get(reverse("admin:evidence_auditpackage_change", args=[theirs.pk])).status_code == 302
    assert client.get(reverse("audit-package", args=[theirs.pk])).status_code == 404  # as the page answers
    client.force_login(auditor)
    assert set(client.get(reverse("admin:evidence_auditpackage_changelist")).context["cl"].queryset) == {mine, theirs}
