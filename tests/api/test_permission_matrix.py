"""Who may do what, for every endpoint under /api/ and /webhooks/, derived from the URL configuration.

A new endpoint cannot be forgotten: the URLs are walked, and an endpoint missing from ENDPOINTS fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import Control, ControlComment, ControlMapping
from evidence.models import EvidenceRequest
from evidence.services import evidence_part_store
from scanners.models import Resource, ScanRun
from scanners.services import cloud_account_create
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

METHODS = ["GET", "PUT", "PATCH", "POST", "DELETE"]  # DELETE last: it may remove the object the others use
ROLES = ["anonymous", "expired_auditor", "auditor", "engineer", "ciso"]
ANY_CONTRIBUTOR, OWNER, CISO_ONLY = "contributor", "owner of the control", "ciso"
# The one kind of write auditors get (accounts.roles): asking owners for evidence, and questions on controls.
ASKER, ANYONE = "ciso or auditor", "anyone with access"
ADDRESSEE = "the person the request is addressed to"  # in the matrix, the engineer (who owns A.8.22)


@dataclass(frozen=True)
class Endpoint:
    writes: dict[str, str] = field(default_factory=dict)  # method -> who may
    lookup: str | None = None  # what the URL's parameter names
    reads: bool = True  # False for endpoints that only take writes (actions)
    webhook: bool = False


READ_ONLY = Endpoint()
ENDPOINTS: dict[str, Endpoint] = {
    "api:api-root": READ_ONLY,
    "schema": READ_ONLY,
    "swagger-ui": READ_ONLY,
    "api:framework-list": READ_ONLY,
    "api:framework-detail": Endpoint(lookup="framework"),
    "api:control-list": READ_ONLY,
    "api:control-detail": Endpoint({"PATCH": OWNER}, lookup="control"),
    "api:mapping-list": READ_ONLY,
    "api:mapping-detail": Endpoint(lookup="mapping"),
    "api:document-list": Endpoint({"POST": ANY_CONTRIBUTOR}),
    "api:document-detail": Endpoint({"PATCH": ANY_CONTRIBUTOR}, lookup="document"),
    "api:ticket-list": Endpoint({"POST": ANY_CONTRIBUTOR}),
    "api:ticket-detail": Endpoint({"PATCH": ANY_CONTRIBUTOR}, lookup="ticket"),
    "api:document-link-list": Endpoint({"POST": ANY_CONTRIBUTOR}),
    "api:document-link-detail": Endpoint({"DELETE": ANY_CONTRIBUTOR}, lookup="document_link"),
    "api:ticket-link-list": Endpoint({"POST": ANY_CONTRIBUTOR}),
    "api:ticket-link-detail": Endpoint({"DELETE": ANY_CONTRIBUTOR}, lookup="ticket_link"),
    "api:evidence-list": Endpoint({"POST": ANY_CONTRIBUTOR}),
    "api:evidence-detail": Endpoint(lookup="evidence"),
    "api:evidence-download": Endpoint(lookup="evidence"),
    "api:evidence-part-detail": Endpoint(lookup="evidence_part"),
    "api:evidence-part-download": Endpoint(lookup="evidence_part"),
    "api:exemption-list": Endpoint({"POST": ANY_CONTRIBUTOR}),
    "api:exemption-detail": Endpoint(lookup="exemption"),
    "api:exemption-approve": Endpoint({"POST": CISO_ONLY}, lookup="exemption", reads=False),
    "api:exemption-revoke": Endpoint({"POST": CISO_ONLY}, lookup="exemption", reads=False),
    "api:cloud-account-list": Endpoint({"POST": CISO_ONLY}),
    "api:cloud-account-detail": Endpoint({"PATCH": CISO_ONLY}, lookup="cloud_account"),
    "api:cloud-account-scan": Endpoint({"POST": CISO_ONLY}, lookup="cloud_account", reads=False),
    "api:cloud-account-check-settings": Endpoint({"POST": CISO_ONLY}, lookup="cloud_account"),
    "api:cloud-account-check-settings-reset": Endpoint({"POST": CISO_ONLY}, lookup="cloud_account", reads=False),
    "api:scan-run-list": READ_ONLY,
    "api:scan-run-detail": Endpoint(lookup="scan_run"),
    "api:finding-list": READ_ONLY,
    "api:run-finding-list": READ_ONLY,
    "api:resource-list": READ_ONLY,
    "api:resource-detail": Endpoint(lookup="resource"),
    "api:comment-list": Endpoint({"POST": ANYONE}),
    "api:comment-detail": Endpoint(lookup="comment"),
    "api:evidence-request-list": Endpoint({"POST": ASKER}),
    "api:evidence-request-detail": Endpoint(lookup="evidence_request"),
    "api:evidence-request-answer": Endpoint({"POST": ADDRESSEE}, lookup="evidence_request", reads=False),
    # The person who asked may withdraw too; in the matrix the CISO asked.
    "api:evidence-request-withdraw": Endpoint({"POST": CISO_ONLY}, lookup="evidence_request", reads=False),
    "api:plan-check-list": Endpoint({"POST": ANY_CONTRIBUTOR}, reads=False),
    "api:oscal-detail": Endpoint(lookup="oscal_model"),
    "webhook-github": Endpoint(webhook=True),
    "webhook-jira": Endpoint(webhook=True),
}


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join(filter(None, [namespace, pattern.name])) if pattern.name else None
            yield prefix + str(pattern.pattern), name, list(pattern.pattern.regex.groupindex)


def guarded_urls() -> list[tuple[str, str, list[str]]]:
    return [entry for entry in _walk(get_resolver().url_patterns) if entry[0].startswith(("api/", "webhooks/"))]


def test_every_endpoint_is_classified():
    found = guarded_urls()
    unnamed = [route for route, name, _ in found if name is None]
    assert not unnamed, f"Name these routes so the matrix can classify them: {unnamed}"
    unclassified = sorted({name for _, name, _ in found} - set(ENDPOINTS))
    assert not unclassified, f"Add these endpoints to ENDPOINTS with who may write to them: {unclassified}"
    gone = sorted(set(ENDPOINTS) - {name for _, name, _ in found})
    assert not gone, f"These classified endpoints no longer exist: {gone}"


def _lookups(register) -> dict:
    # A scanned resource without running a scan: the matrix is about who may, not about what a scan finds.
    account = cloud_account_create(name="matrix", regions="eu-west-1")
    now = timezone.now()
    resource = Resource.objects.create(
        account=account, uid="sg-1", type="ec2.security_group", region="eu-west-1", first_seen=now, last_seen=now
    )
    people = get_user_model().objects.in_bulk(["ciso", "engineer"], field_name="username")
    # Another control than the register's: the engineer owns this one, not the one they may not PATCH.
    network = Control.objects.get(framework=register["control"].framework, ref="A.8.22")
    Control.objects.filter(pk=network.pk).update(owner=people["engineer"])
    asked = EvidenceRequest.objects.create(
        control=network, asked_by=people["ciso"], addressed_to=people["engineer"], what="w", due=now.date()
    )
    comment = ControlComment.objects.create(control=network, author=people["ciso"], body="Why?")
    return {
        "evidence_request": asked.pk,
        "oscal_model": "profile",
        "comment": comment.pk,
        "framework": "iso27001-2022",
        "mapping": ControlMapping.objects.order_by("pk").first().pk,
        "cloud_account": account.pk,
        "scan_run": ScanRun.objects.create(account=account).pk,
        "resource": resource.pk,
        "evidence_part": evidence_part_store(name="results.json", content=b"[]").pk,
        **{key: obj.pk for key, obj in register.items()},
    }


def _client(role: str, request) -> APIClient:
    if role == "anonymous":
        return APIClient()
    return token_client(request.getfixturevalue(role))


def _expected(role: str, method: str, endpoint: Endpoint) -> str:
    """'ok' (2xx), 'allowed' (past the permission check: 2xx or 400), or 'refused' (never 2xx)."""
    if role in ("anonymous", "expired_auditor") or endpoint.webhook:
        return "refused"  # webhooks are unsigned here: no role makes an unsigned delivery acceptable
    if method == "GET":
        return "ok" if endpoint.reads else "refused"
    who = endpoint.writes.get(method)
    if who == ANYONE or (who == ASKER and role in ("ciso", "auditor")) or (who == ADDRESSEE and role == "engineer"):
        return "allowed"
    if who in (ASKER, ADDRESSEE):
        return "refused"
    if who is None or role == "auditor":
        return "refused"
    if role == "ciso" or who == ANY_CONTRIBUTOR:
        return "allowed"
    return "refused"  # the engineer owns no control and is no CISO


def _problem(expected: str, status: int, role: str, writable_by: str | None) -> str | None:
    if status >= 500:
        return "a server error"
    if expected == "refused" and 200 <= status < 300:
        return "expected a refusal"
    if expected == "ok" and not 200 <= status < 300:
        return "expected 2xx"
    if expected == "allowed" and status in (401, 403, 404, 405):
        return "expected to pass the permission check"
    if expected == "refused" and writable_by and role in ("auditor", "engineer") and status != 403:
        return "expected 403: the endpoint takes this write, but not from this role"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, request, register, settings):
    settings.GITHUB_WEBHOOK_SECRET = "matrix-secret"
    settings.JIRA_WEBHOOK_SECRET = "matrix-secret"
    lookups = _lookups(register)
    client = _client(role, request)
    if role in ("ciso", "engineer", "auditor", "expired_auditor"):
        client.force_login(request.getfixturevalue(role))  # the docs page is for logged-in people
    failures = []
    for _route, name, params in guarded_urls():
        endpoint = ENDPOINTS[name]
        url = reverse(name, kwargs={param: lookups[endpoint.lookup] for param in params})
        for method in METHODS:
            status = client.generic(method, url).status_code
            problem = _problem(_expected(role, method, endpoint), status, role, endpoint.writes.get(method))
            if problem:
                failures.append(f"{role} {method} {url}: {status}, {problem}")
    assert not failures, "\n".join(failures)


def test_the_matrix_refuses_an_unsigned_webhook_even_from_the_ciso(ciso, settings):
    settings.GITHUB_WEBHOOK_SECRET = "matrix-secret"
    client = token_client(ciso)
    assert client.post(reverse("webhook-github"), {}, format="json").status_code == 401
