"""Single sign-on in Chromium against a real OpenID provider (npm's oidc-provider) started by the tests.

The provider's accounts carry a `groups` claim; ControlTrace maps ct-ciso, ct-engineers and ct-auditors to roles
on every sign-in.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts import sso as sso_module
from accounts.models import ExternalIdentity, Membership, Role
from compliance.models import AuditEvent, AuditVerb
from tests.conftest import service_missing
from tests.oidc import server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = {
    "casey": {"email": "casey@example.com", "email_verified": True, "name": "Casey Ciso", "groups": ["ct-ciso"]},
    "eli": {"email": "eli@example.com", "email_verified": True, "groups": ["staff", "ct-engineers"]},
    "nobody": {"email": "nobody@example.com", "email_verified": True, "groups": ["staff"]},
}


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    missing = server.why_it_cannot_start()
    if missing:
        service_missing(missing)
    workdir = tmp_path_factory.mktemp("oidc")
    yield from server.start(redirect_uri=f"{live_server.url}/sso/callback/", workdir=workdir)


@pytest.fixture
def sso(settings, oidc_provider):
    """ControlTrace configured for the provider, as the OIDC_* environment variables would."""
    settings.OIDC_RP_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_OP_DISCOVERY = oidc_provider.issuer
    settings.OIDC_ROLE_MAP = {"ct-ciso": "ciso", "ct-engineers": "engineer", "ct-auditors": "auditor"}
    sso_module._discovery.clear()
    oidc_provider.set_accounts(PEOPLE)
    return oidc_provider


@pytest.fixture
def sign_in_with_sso(browser, live_server):
    contexts = []

    def sign_in(account: str):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.get_by_role("link", name="Sign in with SSO").click()
        page.fill("input[name=login]", account)
        page.fill("input[name=password]", "any")  # the provider's development sign-in form checks no password
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: url.startswith(live_server.url))
        page.wait_for_load_state()
        return page

    yield sign_in
    for context in contexts:
        context.close()


def header(page) -> str:
    return page.locator(".who span").first.inner_text()


def test_the_login_page_offers_sso_only_when_it_is_configured(browser, live_server, settings):
    settings.OIDC_RP_CLIENT_ID = ""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/login/")
    assert page.get_by_role("link", name="Sign in with SSO").count() == 0
    assert page.request.get(f"{live_server.url}/sso/start/").status == 404
    context.close()


def test_a_ciso_signs_in_through_the_provider_and_has_the_ciso_role(
    sso, sign_in_with_sso, catalogs, screenshots, caplog
):
    caplog.set_level("DEBUG")
    page = sign_in_with_sso("casey")
    page.screenshot(path=screenshots / "ciso-after-sso.png", full_page=True)
    assert header(page) == "casey@example.com · CISO"
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="People", exact=True).is_visible()
    casey = get_user_model().objects.get(email="casey@example.com")
    assert not casey.has_usable_password(), "SSO people have no ControlTrace password"
    assert ExternalIdentity.objects.get(user=casey).subject == "casey"
    assert AuditEvent.objects.filter(verb=AuditVerb.ROLE_GRANTED, subject_label="casey@example.com").exists()
    assert caplog.records and sso.client_secret not in caplog.text and "code=" not in caplog.text


def test_an_engineer_gets_engineer_and_a_group_change_applies_at_the_next_sign_in(
    sso, sign_in_with_sso, catalogs, screenshots
):
    assert header(sign_in_with_sso("eli")) == "eli@example.com · Engineer"

    sso.set_accounts({**PEOPLE, "eli": {**PEOPLE["eli"], "groups": ["ct-auditors"]}})
    page = sign_in_with_sso("eli")
    page.screenshot(path=screenshots / "engineer-now-auditor.png", full_page=True)
    assert header(page) == "eli@example.com · Auditor"

    sso.set_accounts({**PEOPLE, "eli": {**PEOPLE["eli"], "groups": []}})
    page = sign_in_with_sso("eli")
    page.screenshot(path=screenshots / "engineer-removed-from-groups.png", full_page=True)
    assert "/login/" in page.url and "none of the groups" in page.get_by_role("main").inner_text()
    assert not Membership.objects.filter(user__email="eli@example.com").exists(), "taken out of the groups: no role"
    verbs = AuditEvent.objects.filter(subject_label="eli@example.com").order_by("pk").values_list("verb", flat=True)
    assert list(verbs) == [AuditVerb.ROLE_GRANTED, AuditVerb.ROLE_CHANGED, AuditVerb.ROLE_REMOVED]


def test_someone_in_no_mapped_group_is_refused_with_a_clear_message(sso, sign_in_with_sso, screenshots):
    page = sign_in_with_sso("nobody")
    page.screenshot(path=screenshots / "refused.png", full_page=True)
    assert "/login/" in page.url
    message = page.locator(".messages").inner_text()
    assert "none of the groups that give access to ControlTrace (ct-ciso, ct-engineers, ct-auditors)" in message
    assert not get_user_model().objects.filter(email="nobody@example.com").exists()


def test_an_invited_person_is_recognised_by_their_verified_email(sso, sign_in_with_sso, django_user_model, catalogs):
    eli = django_user_model.objects.create_user("eli", email="ELI@example.com", password="pw-eli")
    Membership.objects.create(user=eli, role=Role.AUDITOR)
    sso.set_accounts({**PEOPLE, "eli": {**PEOPLE["eli"], "groups": []}})
    refused = sign_in_with_sso("eli")
    assert "sign in with your ControlTrace password" in refused.locator(".messages").inner_text()
    assert Membership.objects.get(user=eli).role == Role.AUDITOR, "not yet managed by the groups: role kept"

    sso.set_accounts(PEOPLE)
    page = sign_in_with_sso("eli")
    assert header(page) == "eli · Engineer", "the same account, with the role the groups give"
    assert ExternalIdentity.objects.get(subject="eli").user == eli


def test_an_account_deactivated_in_controltrace_stays_out_whatever_its_groups(sso, sign_in_with_sso, ciso, catalogs):
    from accounts.services import membership_deactivate

    assert header(sign_in_with_sso("eli")) == "eli@example.com · Engineer"
    membership_deactivate(user=get_user_model().objects.get(email="eli@example.com"), actor=ciso)
    page = sign_in_with_sso("eli")
    assert "/login/" in page.url and "deactivated" in page.locator(".messages").inner_text()
