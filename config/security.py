"""Security plumbing the libraries do not cover: the Permissions-Policy header, and who the client is."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY on every response (Django's SecurityMiddleware has no setting for it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The address sign-in failures are counted against; the same one DRF's throttles use (NUM_PROXIES).

    Behind the TLS proxy (BEHIND_TLS_PROXY) REMOTE_ADDR is the proxy itself, so the address is the last entry
    the proxy appended to X-Forwarded-For; entries before it are whatever the client chose to send.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")
