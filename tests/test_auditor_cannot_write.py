"""An auditor changes nothing: every URL in the URL conf is POSTed to as an auditor and must answer 403
(refused) or 405 (does not take POST), and no row anywhere may change.

The few exceptions are listed by URL name with the reason; a new URL is covered without anyone having
to remember this test, and a new exception has to be argued here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from compliance.models import Control, Document, Exemption, Ticket
from evidence.models import AuditPackage, Evidence, EvidenceRequest
from scanners.models import CloudAccount, ScanRun

pytestmark = pytest.mark.django_db

SHARED_PK = 424242  # every object a URL may name is created with this primary key

# POST answered with something other than 403/405, for a reason that is not a write to the register.
NOT_REGISTER_WRITES = {
    "login": "signing in",
    "logout": "signing out",
    "admin:login": "signing in",
    "admin:logout": "signing out",
    "admin:password_change": "a person changing their own password",
    "admin:password_change_done": "a confirmation page",
    "api-tokens": "a person managing their own API tokens (an auditor's token can only read)",
    "api-token-revoke": "revoking one's own token; another person's token answers 404",
    "audit-package-request": "an export of what the auditor can read; creates only an AuditPackage row",
    # The one kind of write auditors get (accounts.roles.can_request_evidence, can_comment): asking an owner for
    # evidence and asking questions. Neither changes the register or the evidence; the POST here is invalid.
    "control-evidence-request-open": "asking a control's owner for evidence (an EvidenceRequest row)",
    "control-comment-add": "a question or an answer on a control (a ControlComment row)",
}
# Read-only pages whose views ignore the method; a POST renders the page or redirects to a page.
READ_ONLY_PAGES = {
    "healthz": "liveness probe",
    "admin:index": "the admin's home",
    "admin:app_list": "an admin app's index",
    "admin:jsi18n": "the admin's JavaScript catalog",
    "admin:autocomplete": "the admin's search-as-you-type",
    "admin:view_on_site": "a redirect to the object's page",
}
ADMIN_READ_SUFFIXES = ("_changelist", "_history")  # lists; actions need permissions the auditor lacks
UNNAMED = {
    r"admin/<path:object_id>/$": "the admin's old object URL: a redirect to its change page",
    r"admin/(?P<url>.*)$": "the admin's catch-all: unknown admin URLs, answered 404",
}
NOT_ROWS = {"django_session"}  # logging in again for each request writes a session


def walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str | None, list]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = namespace + pattern.name if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern


def argument_names(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route)


@pytest.fixture
def samples(catalogs, ciso, auditor, control):
    """One of everything a URL can name, with the same primary key, and an audit history to revert."""
    control.justification = "history for the revert form"
    control.save()
    now = timezone.now()
    Document.objects.create(pk=SHARED_PK, title="Policy")
    Ticket.objects.create(pk=SHARED_PK, system="jira", key="SEC-1")
    exemption = Exemption.objects.create(pk=SHARED_PK, title="X", reason="r", expires_at=now + timedelta(days=9))
    exemption.controls.add(control)
    Evidence.objects.create(pk=SHARED_PK, kind="note", title="Note", collected_by=ciso, sha256="0" * 64)
    AuditPackage.objects.create(pk=SHARED_PK, requested_by=ciso)
    due = timezone.localdate() + timedelta(days=7)
    EvidenceRequest.objects.create(pk=SHARED_PK, control=control, asked_by=ciso, addressed_to=ciso, what="w", due=due)
    account = CloudAccount.objects.create(pk=SHARED_PK, name="prod", regions=["eu-west-1"])
    ScanRun.objects.create(pk=SHARED_PK, account=account)
    history_id = control.history.latest().history_id
    return {
        "framework": control.framework.slug,
        "ref": control.ref,
        "pk": SHARED_PK,
        "id": auditor.pk,
        "object_id": str(control.pk),
        "content_type_id": str(ContentType.objects.get_for_model(Control).pk),
        "app_label": "compliance",
        "format": "json",
        "version_id": history_id,
        "section": "state",
        "control_pk": control.pk,
        "account_id": SHARED_PK,
    }


def url_for(route: str, name: str | None, pattern: URLPattern, values: dict) -> str:
    names = argument_names(route)
    missing = [n for n in names if n not in values]
    assert not missing, f"{route}: add a sample value for {missing} to this test"
    if name is None:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    if "simple_history" in name:  # django-simple-history's revert form takes positional arguments
        return reverse(name, args=[values["object_id"], values["version_id"]])
    return reverse(name, kwargs={n: values[n] for n in names})


def rows() -> dict[str, int]:
    counts = {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.db_table not in NOT_ROWS
    }
    counts["control last changed"] = Control.objects.aggregate(at=Max("updated_at"))["at"]
    return counts


def exempt_route(route: str, name: str | None) -> str | None:
    if name in NOT_REGISTER_WRITES:
        return NOT_REGISTER_WRITES[name]
    if name in READ_ONLY_PAGES:
        return READ_ONLY_PAGES[name]
    if name and name.startswith("admin:") and name.endswith(ADMIN_READ_SUFFIXES):
        return "an admin list"
    if name is None:
        return next((why for suffix, why in UNNAMED.items() if re.search(suffix, route)), None)
    return None


def test_every_url_refuses_an_auditors_post_and_nothing_changes(client, auditor, samples):
    checked, refused = 0, []
    for route, name, pattern in walk(get_resolver().url_patterns):
        if name is None and r"(?P<url>.*)" in route:
            continue  # the admin catch-all has no URL of its own to post to
        if route.startswith(("api/", "webhooks/")):
            continue  # every method and role there: tests/api/test_permission_matrix.py
        url = url_for(route, name, pattern, samples)
        client.force_login(auditor)
        before = rows()
        response = client.post(url, {"action": "delete_selected", "_selected_action": [SHARED_PK]})
        after = rows()
        changed = {table for table in before if before[table] != after[table]}
        if name == "audit-package-request":
            assert changed == {AuditPackage._meta.db_table}, changed
        else:
            assert not changed, f"POST {url} ({name}) as an auditor changed {changed}"
        checked += 1
        if response.status_code in (403, 405):
            refused.append(name)
            continue
        reason = exempt_route(route, name)
        assert reason, f"POST {url} ({name}) as an auditor answered {response.status_code}, not 403/405"
        assert response.status_code < 500, f"POST {url} ({name}) failed: {response.status_code}"
    assert checked > 100
    for must_refuse in ("admin:compliance_control_change", "admin:compliance_control_simple_history"):
        assert must_refuse in refused


def test_an_auditor_cannot_revert_a_control_through_its_admin_history(client, auditor, ciso, control):
    """django-simple-history saves a POSTed historical version with only the view permission."""
    control.status = "in_progress"
    control.save()
    version = control.history.latest()
    client.force_login(auditor)

    response = client.post(
        f"/admin/compliance/control/{control.pk}/history/{version.history_id}/",
        {"applicable": "on", "justification": "changed by the auditor", "status": "implemented"},
    )

    assert response.status_code == 403
    control.refresh_from_db()
    assert control.justification == "" and control.status == "in_progress"
