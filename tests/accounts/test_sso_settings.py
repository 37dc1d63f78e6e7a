"""How single sign-on is configured and how groups become roles (the sign-in itself: tests/browser/test_sso.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.models import Role
from accounts.sso import role_from_claims, sso_enabled
from config.env import env_map

MAP = {"ct-ciso": "ciso", "ct-engineers": "engineer", "ct-auditors": "auditor"}


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"groups": ["staff", "ct-engineers"]}, Role.ENGINEER),
        ({"groups": ["ct-auditors", "ct-ciso"]}, Role.CISO),
        ({"groups": "ct-auditors"}, Role.AUDITOR),
        ({"groups": ["staff"]}, None),
        ({}, None),
    ],
)
def test_the_widest_mapped_group_gives_the_role(settings, claims, role):
    settings.OIDC_ROLE_CLAIM, settings.OIDC_ROLE_MAP = "groups", MAP
    assert role_from_claims(claims) == role


def test_another_claim_can_carry_the_groups(settings):
    settings.OIDC_ROLE_CLAIM, settings.OIDC_ROLE_MAP = "roles", MAP
    assert role_from_claims({"groups": ["ct-ciso"], "roles": ["ct-auditors"]}) == Role.AUDITOR


def test_single_sign_on_is_off_until_a_client_and_a_provider_are_set(settings):
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_OP_DISCOVERY, settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "", "", ""
    assert not sso_enabled()
    settings.OIDC_RP_CLIENT_ID = "controltrace"
    assert not sso_enabled()
    settings.OIDC_OP_DISCOVERY = "https://idp.example"
    assert sso_enabled()


def test_the_role_map_is_read_from_the_environment_and_a_bad_role_stops_start_up(monkeypatch):
    monkeypatch.setenv("OIDC_ROLE_MAP", "sec=ciso, eng=engineer")
    assert env_map("OIDC_ROLE_MAP", values=("ciso", "engineer", "auditor")) == {"sec": "ciso", "eng": "engineer"}
    monkeypatch.setenv("OIDC_ROLE_MAP", "sec=admin")
    with pytest.raises(ImproperlyConfigured, match="sec=admin"):
        env_map("OIDC_ROLE_MAP", values=("ciso", "engineer", "auditor"))
    monkeypatch.delenv("OIDC_ROLE_MAP")
    assert env_map("OIDC_ROLE_MAP", values=("ciso",), default="g=ciso") == {"g": "ciso"}
