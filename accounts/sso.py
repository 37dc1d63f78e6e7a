"""Single sign-on with OpenID Connect, through mozilla-django-oidc (authorization code flow with PKCE).

Off unless OIDC_RP_CLIENT_ID and the provider are configured. On every sign-in the person's role is set from the
groups claim (OIDC_ROLE_CLAIM, mapped by OIDC_ROLE_MAP) through `membership_sync_from_sso`, the service every
other path uses: someone taken out of the groups loses the role, and someone in no mapped group gets no access.
People are recognised by the provider's (issuer, subject), and the first time by a verified email address.
Tokens, codes and the client secret are never logged or stored.
"""

from __future__ import annotations

import logging
import threading
import time

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.models import ExternalIdentity, Role
from accounts.services import membership_sync_from_sso

logger = logging.getLogger(__name__)

# Settings that the discovery document fills when they are not set one by one.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}
DISCOVERY_TTL_SECONDS = 3600
ROLE_ORDER = [Role.CISO, Role.ENGINEER, Role.AUDITOR]  # in several mapped groups: the first of these wins

NO_MAPPED_GROUP = (
    "You signed in, but your identity provider puts you in none of the groups that give access to ControlTrace "
    "({groups}). Whoever manages those groups at your identity provider can add you. If a CISO invited you, "
    "sign in with your ControlTrace password instead."
)
DEACTIVATED = "This account was deactivated in ControlTrace. A CISO can tell you why."
NO_VERIFIED_EMAIL = (
    "Your identity provider did not send a verified email address, so ControlTrace cannot tell who you are."
)
SEVERAL_ACCOUNTS = "Several ControlTrace accounts have this email address; a CISO must sort them out first."
PROVIDER_FAILED = "Single sign-on failed: the identity provider could not be reached or refused the sign-in."

_discovery: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID and (settings.OIDC_OP_DISCOVERY or settings.OIDC_OP_AUTHORIZATION_ENDPOINT))


def discovery_document(url: str) -> dict:
    """The provider's published configuration, read once an hour."""
    if not url.endswith("/.well-known/openid-configuration"):
        url = url.rstrip("/") + "/.well-known/openid-configuration"
    with _discovery_lock:
        fetched = _discovery.get(url)
        if fetched and time.monotonic() - fetched[0] < DISCOVERY_TTL_SECONDS:
            return fetched[1]
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
    response.raise_for_status()
    document = response.json()
    with _discovery_lock:
        _discovery[url] = (time.monotonic(), document)
    return document


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings lookup, with endpoints taken from the discovery document when unset."""
    value = getattr(settings, attr, None)
    if not value and attr in DISCOVERED and settings.OIDC_OP_DISCOVERY:
        value = discovery_document(settings.OIDC_OP_DISCOVERY).get(DISCOVERED[attr])
    if value in (None, ""):
        if default:
            return default[0]
        raise ImproperlyConfigured(f"Single sign-on needs {attr} (or OIDC_OP_DISCOVERY).")
    return value


def role_from_claims(claims: dict) -> Role | None:
    groups = claims.get(settings.OIDC_ROLE_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    roles = {settings.OIDC_ROLE_MAP[group] for group in groups if group in settings.OIDC_ROLE_MAP}
    return next((role for role in ROLE_ORDER if role in roles), None)


class SignInRefused(SuspiciousOperation):
    """Raised with the words the person reads on the sign-in page."""


class SingleSignOnBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every sign-in, password ones too: the provider is read only when
        # a callback from it arrives, so a provider that is down never blocks password sign-in.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or not sso_enabled() or request.path != reverse("sso-callback"):
            return None
        super().__init__()
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation) as error:
            # The class only: a provider's error body may echo the code or the client's credentials.
            logger.warning("Single sign-on failed: %s", type(error).__name__)
            messages.error(request, PROVIDER_FAILED)
        return None

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)  # which refuses deactivated accounts, as password sign-in does

    def verify_token(self, token, **kwargs):
        """mozilla-django-oidc checks the signature and nonce; the audience and issuer are checked here."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued for another client.")
        issuer = oidc_setting("OIDC_OP_ISSUER", None)
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            return self._person_signing_in(access_token, id_token, payload)
        except SignInRefused as refusal:
            messages.error(self.request, str(refusal))
            raise

    def _person_signing_in(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The user information is about someone else than the ID token.")
        claims = {**payload, **userinfo}
        role = role_from_claims(claims)
        user, linked = self._known_person(claims)
        if user is not None and not user.is_active:
            raise SignInRefused(DEACTIVATED)
        if role is None:
            if linked:  # someone whose role the groups decide was taken out of them: the role goes
                membership_sync_from_sso(user=user, role=None)
            raise SignInRefused(NO_MAPPED_GROUP.format(groups=", ".join(settings.OIDC_ROLE_MAP) or "none configured"))
        try:
            with transaction.atomic():
                user = user or self._new_person(claims)
                ExternalIdentity.objects.get_or_create(user=user, issuer=claims["iss"], subject=claims["sub"])
                membership_sync_from_sso(user=user, role=role)
        except ValidationError as refusal:
            raise SignInRefused(" ".join(refusal.messages)) from refusal
        return user

    def _known_person(self, claims: dict):
        """The account signing in, and whether it signed in through the provider before (its role is then the
        groups' to decide; an invited person's role is left alone until their groups give them one)."""
        identity = (
            ExternalIdentity.objects.select_related("user").filter(issuer=claims["iss"], subject=claims["sub"]).first()
        )
        if identity is not None:
            return identity.user, True
        email = claims.get("email")
        if not email or claims.get("email_verified") is not True:
            raise SignInRefused(NO_VERIFIED_EMAIL)
        people = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(people) > 1:
            raise SignInRefused(SEVERAL_ACCOUNTS)
        return (people[0] if people else None), False

    def _new_person(self, claims: dict):
        email = claims["email"].lower()
        username = email if not self.UserModel.objects.filter(username=email).exists() else claims["sub"]
        user = self.UserModel.objects.create_user(
            username=username,
            email=email,
            first_name=(claims.get("given_name") or "")[:150],
            last_name=(claims.get("family_name") or "")[:150],
        )  # no password: this person signs in through the provider
        return user


class _SSOEnabledOnly:
    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() in self.http_method_names and not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class SignInStart(_SSOEnabledOnly, OIDCAuthenticationRequestView):
    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)  # endpoints are read in get()

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except requests.RequestException as error:
            logger.warning("Single sign-on discovery failed: %s", type(error).__name__)
            messages.error(request, PROVIDER_FAILED)
            return redirect(settings.LOGIN_REDIRECT_URL_FAILURE)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SignInCallback(_SSOEnabledOnly, OIDCAuthenticationCallbackView):
    pass
