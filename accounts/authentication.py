"""DRF authentication with personal API tokens: `Authorization: Bearer ct_...` (or `Token ct_...`)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.tokens import api_token_authenticate

KEYWORDS = {b"bearer", b"token"}


class ApiTokenAuthentication(BaseAuthentication):
    """A token authenticates its owner; what the owner may do is still their role's business."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as `Authorization: Bearer ct_...`.")
        try:
            secret = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token is not valid.") from exc
        token = api_token_authenticate(secret)
        if token is None or not token.user.is_active:
            # One message for unknown, revoked and expired tokens: the caller learns nothing about which.
            raise exceptions.AuthenticationFailed("The token is not valid, has expired or has been revoked.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Tells the OpenAPI schema (and Swagger UI's Authorize button) how the token is sent."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (`ct_...`) from My API tokens or `manage.py create_api_token`.",
        }
