"""Personal API tokens: what a customer's automation relies on."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tokens import ApiToken, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def bearer(secret: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


def test_the_command_prints_the_secret_once_and_keeps_only_its_hash(engineer, catalogs):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "engineer", "CI evidence upload", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(user=engineer)
    assert secret.startswith("ct_") and len(secret) > 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.digest, token.prefix, token.name} and secret.startswith(token.prefix)
    assert "shown once" in err.getvalue()
    assert bearer(secret).get("/api/controls/").status_code == 200


def test_the_command_refuses_people_without_access(expired_auditor):
    with pytest.raises(CommandError, match="no current role"):
        call_command("create_api_token", "former-auditor", "export", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody", "export", stdout=io.StringIO())


def test_a_person_has_several_tokens_and_both_header_forms_work(engineer, catalogs):
    first = api_token_create(user=engineer, name="CI")
    second = api_token_create(user=engineer, name="laptop script")
    assert bearer(first.secret).get("/api/frameworks/").status_code == 200
    assert bearer(second.secret, keyword="Token").get("/api/frameworks/").status_code == 200
    assert engineer.api_tokens.count() == 2


def test_a_revoked_token_is_refused_from_that_moment(engineer, catalogs):
    issued = api_token_create(user=engineer, name="CI")
    client = bearer(issued.secret)
    assert client.get("/api/frameworks/").status_code == 200
    api_token_revoke(token=issued.token, actor=engineer)
    response = client.get("/api/frameworks/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_or_unknown_token_is_refused(engineer, catalogs):
    issued = api_token_create(user=engineer, name="CI", expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(issued.secret).get("/api/frameworks/").status_code == 401
    assert bearer("ct_" + "x" * 43).get("/api/frameworks/").status_code == 401
    assert bearer("not-even-ours").get("/api/frameworks/").status_code == 401


def test_a_token_of_a_deactivated_person_is_refused(engineer, catalogs):
    issued = api_token_create(user=engineer, name="CI")
    engineer.is_active = False
    engineer.save()
    assert bearer(issued.secret).get("/api/frameworks/").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(engineer, catalogs):
    issued = api_token_create(user=engineer, name="CI")
    client = bearer(issued.secret)
    client.get("/api/frameworks/")
    first_use = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first_use is not None
    client.get("/api/frameworks/")
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first_use


def test_an_auditors_token_reads_and_never_writes(auditor, register):
    client = bearer(api_token_create(user=auditor, name="audit export").secret)
    assert client.get("/api/evidence/").status_code == 200
    response = client.post("/api/tickets/", {"system": "jira", "key": "SEC-1"}, format="json")
    assert response.status_code == 403
    assert client.patch(f"/api/controls/{register['control'].pk}/", {"status": "implemented"}).status_code == 403


def test_a_token_stops_working_when_the_auditors_access_expires(auditor, catalogs):
    client = bearer(api_token_create(user=auditor, name="audit export").secret)
    assert client.get("/api/controls/").status_code == 200
    auditor.membership.expires_at = timezone.now() - timedelta(minutes=1)
    auditor.membership.save()
    assert client.get("/api/controls/").status_code == 403


def test_the_tokens_page_shows_a_new_secret_once_and_revokes(client, engineer, catalogs):
    client.force_login(engineer)
    response = client.post(reverse("api-tokens"), {"name": "CI evidence upload", "lifetime": "90"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=engineer)
    secret = response.context["secret"]
    assert secret in response.text and token.prefix in response.text
    assert token.expires_at > timezone.now() + timedelta(days=89)
    listing = client.get(reverse("api-tokens"))
    assert secret not in listing.text and "CI evidence upload" in listing.text
    client.post(reverse("api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.state == "revoked" and token.revoked_by == engineer
    assert bearer(secret).get("/api/frameworks/").status_code == 401


def test_only_the_ciso_revokes_someone_elses_token(client, engineer, other_engineer, ciso, catalogs):
    theirs = api_token_create(user=other_engineer, name="their CI").token
    client.force_login(engineer)
    assert client.post(reverse("api-token-revoke", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("api-tokens")).context["others"] is None
    client.force_login(ciso)
    assert "their CI" in client.get(reverse("api-tokens")).text
    client.post(reverse("api-token-revoke", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.revoked_by == ciso


def test_the_tokens_page_needs_a_current_role(client, expired_auditor):
    assert client.get(reverse("api-tokens")).status_code == 302
    client.force_login(expired_auditor)
    assert client.get(reverse("api-tokens")).status_code == 403
