"""Who changed what, everywhere: roles, API tokens and cloud accounts keep their history, and each workflow
step is an audit event written with the change, which an auditor reads on /audit/events/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.tokens import ApiToken
from compliance import services
from compliance.events import audit_event_record
from compliance.models import AuditEvent, AuditEventIsPermanent, AuditVerb
from evidence.package import audit_package_request
from evidence.services import evidence_add
from evidence.tasks import build_audit_package
from scanners.models import CloudAccount
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def events(verb: str) -> list[tuple[str | None, str, dict]]:
    """Events of one kind, leaving out the fixtures' own role grants (made by nobody, in set-up)."""
    rows = AuditEvent.objects.filter(verb=verb, actor__isnull=False).order_by("pk").select_related("actor")
    return [(e.actor.username if e.actor else None, e.subject_label, e.details) for e in rows]


def test_a_role_granted_changed_and_removed_in_the_admin_keeps_history_and_events(client, ciso):
    alice = get_user_model().objects.create_user("alice", password="pw")
    client.force_login(ciso)
    add = client.post(reverse("admin:accounts_membership_add"), {"user": alice.pk, "role": "auditor"})
    assert add.status_code == 302
    membership = Membership.objects.get(user=alice)
    change = reverse("admin:accounts_membership_change", args=[membership.pk])
    data = {"user": alice.pk, "role": "engineer", "expires_at_0": "2027-03-31", "expires_at_1": "00:00:00"}
    assert client.post(change, data).status_code == 302
    assert (
        client.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"}).status_code
        == 302
    )

    history = Membership.history.filter(user_id=alice.pk).order_by("history_id")
    assert [(h.history_type, h.role, h.history_user) for h in history] == [
        ("+", "auditor", ciso),
        ("~", "engineer", ciso),
        ("-", "engineer", ciso),
    ]
    assert events(AuditVerb.ROLE_GRANTED) == [("ciso", "alice", {"role": "auditor", "expires_at": None})]
    [(who, subject, details)] = events(AuditVerb.ROLE_CHANGED)
    assert (who, subject, details["role"], details["before"]) == (
        "ciso",
        "alice",
        "engineer",
        {"role": "auditor", "expires_at": None},
    )
    assert details["expires_at"].startswith("2027-03-31")
    assert [e[:2] for e in events(AuditVerb.ROLE_REMOVED)] == [("ciso", "alice")]


def test_an_engineer_cannot_grant_roles_in_the_admin(client, engineer):
    bob = get_user_model().objects.create_user("bob", password="pw")
    client.force_login(engineer)
    assert client.post(reverse("admin:accounts_membership_add"), {"user": bob.pk, "role": "ciso"}).status_code == 403
    assert not Membership.objects.filter(user=bob).exists() and not events(AuditVerb.ROLE_GRANTED)


def test_api_tokens_keep_who_created_and_revoked_them_but_never_the_secret(client, engineer, ciso, catalogs):
    client.force_login(engineer)
    client.post(reverse("api-tokens"), {"name": "CI evidence upload", "lifetime": "90"})
    token = ApiToken.objects.get(user=engineer)
    client.force_login(ciso)
    client.post(reverse("api-token-revoke", args=[token.pk]))
    client.post(reverse("api-token-revoke", args=[token.pk]))  # twice: still one revocation

    history = list(token.history.order_by("history_id"))
    assert [(h.history_type, h.history_user, h.revoked_by) for h in history] == [
        ("+", engineer, None),
        ("~", ciso, ciso),
    ]
    recorded = {f.attname for f in ApiToken.history.model._meta.fields}
    assert "digest" not in recorded and "last_used_at" not in recorded
    for row in ApiToken.history.values():
        assert token.digest not in row.values()


def test_a_cloud_accounts_changes_keep_who_and_the_schedule(ciso):
    as_ciso = token_client(ciso)
    created = as_ciso.post(
        "/api/cloud-accounts/", {"name": "prod", "regions": ["eu-west-1"], "schedule": "6h"}, format="json"
    )
    url = f"/api/cloud-accounts/{created.json()['id']}/"
    assert as_ciso.patch(url, {"schedule": "0 3 * * *"}, format="json").status_code == 200
    assert as_ciso.patch(url, {"enabled": False, "regions": ["all"]}, format="json").status_code == 200

    account = CloudAccount.objects.get(name="prod")
    rows = list(account.history.order_by("history_id").select_related("history_user"))
    assert {row.history_user.username for row in rows} == {"ciso"}
    assert [row.schedule_text for row in rows][:2] == ["", "6h"]
    assert rows[-1].schedule_text == "0 3 * * *"
    assert (rows[-1].enabled, rows[-1].regions) == (False, ["all"])
    assert rows[0].enabled and rows[0].regions == ["eu-west-1"]


def test_an_event_is_written_with_its_change_or_not_at_all(engineer, control):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.exemption_propose(
            controls=[control],
            title="Legacy",
            reason="r",
            expires_at=timezone.now() + timedelta(days=9),
            actor=engineer,
        )
        assert events(AuditVerb.EXEMPTION_PROPOSED)[0][:2] == ("engineer", "Legacy")
        raise RuntimeError("the request fails after the service")
    assert not events(AuditVerb.EXEMPTION_PROPOSED) and not control.exemptions.exists()


def test_events_are_never_changed_or_deleted(engineer, control):
    event = audit_event_record(verb=AuditVerb.EXEMPTION_PROPOSED, actor=engineer, subject=control)
    event.subject_label = "something else"
    for attempt in (
        event.save,
        event.delete,
        AuditEvent.objects.all().delete,
        lambda: AuditEvent.objects.update(verb="x"),
    ):
        with pytest.raises(AuditEventIsPermanent):
            attempt()
    assert AuditEvent.objects.get(pk=event.pk).subject_label == str(control)


def test_superseded_evidence_and_built_packages_are_events(settings, tmp_path, engineer, auditor, control):
    settings.MEDIA_ROOT = tmp_path
    old = evidence_add(controls=[control], title="Old export", actor=engineer, url="https://wiki/v1")
    new = evidence_add(controls=[control], title="New export", actor=engineer, url="https://wiki/v2", supersedes=old)
    assert events(AuditVerb.EVIDENCE_SUPERSEDED) == [("engineer", "Old export", {"by": new.pk})]

    package = audit_package_request(actor=auditor, framework=None, start=None, end=None)
    assert build_audit_package(package.pk) == "succeeded"
    package.refresh_from_db()
    [(who, subject, details)] = events(AuditVerb.AUDIT_PACKAGE_BUILT)
    assert (who, subject, details) == ("auditor", str(package), {"sha256": package.sha256})


def test_auditors_and_the_ciso_read_every_event_an_engineer_their_own(client, auditor, ciso, engineer, control):
    services.exemption_propose(
        controls=[control],
        title="Legacy VPN",
        reason="r",
        expires_at=timezone.now() + timedelta(days=9),
        actor=engineer,
    )
    services.exemption_revoke(exemption=control.exemptions.get(), actor=ciso)
    everything = AuditEvent.objects.count()  # the fixtures' role grants, the proposal and the revocation
    for user, seen in ((auditor, everything), (ciso, everything), (engineer, 1)):
        client.force_login(user)
        page = client.get("/audit/events/")
        assert page.status_code == 200 and len(page.context["page"]) == seen
        assert "Exemption proposed" in page.text
    client.force_login(auditor)
    only = client.get("/audit/events/", {"verb": AuditVerb.EXEMPTION_REVOKED})
    assert [e.verb for e in only.context["page"]] == [AuditVerb.EXEMPTION_REVOKED]
    assert "Exemption revoked: Legacy VPN" in client.get("/audit/").text
    changes = client.get(f"/audit/controls/{control.framework.slug}/{control.ref}/changes/").text
    assert "Exemption proposed: Legacy VPN" in changes and "Exemption revoked: Legacy VPN" in changes


def test_the_events_page_costs_the_same_queries_however_many_events(
    client, auditor, engineer, control, django_assert_num_queries
):
    client.force_login(auditor)
    for index in range(120):
        audit_event_record(verb=AuditVerb.ROLE_CHANGED, actor=engineer, subject=control, index=index)
    with django_assert_num_queries(6):  # the page's 5, and the navigation's "Inbox (N)" (compliance/inbox.py)
        assert len(client.get("/audit/events/").context["page"]) == 50
