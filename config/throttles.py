"""Request rates for the API and the webhooks, counted in the shared cache (settings.CACHES).

DRF's throttles copy their rates when first imported; these read them per request, so settings stay the one
source (and tests can set the production rates).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse
from rest_framework import exceptions, throttling
from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings


class _RatesFromSettings:
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """API requests per signed-in person (a token counts as its owner), from any address."""


class _PerAddress(_RatesFromSettings, throttling.SimpleRateThrottle):
    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AddressRateThrottle(_PerAddress):
    """API requests per client address, anonymous or not."""

    scope = "address"


class WebhookRateThrottle(_PerAddress):
    """Webhook deliveries per sending address, counted before the signature is checked."""

    scope = "webhook"


class ThrottleBeforeCredentials(BaseAuthentication):
    """Listed first in DEFAULT_AUTHENTICATION_CLASSES; authenticates nobody.

    DRF checks credentials and permissions before its throttles, so requests refused with a 401 or 403
    (anonymous floods, guessed tokens) would never be counted. This counts every API request against its
    address first; the per-person limit (UserRateThrottle) applies once the caller is known.
    """

    def authenticate(self, request):
        throttle = AddressRateThrottle()
        if not throttle.allow_request(request, None):
            raise exceptions.Throttled(throttle.wait())
        return None

    def authenticate_header(self, request) -> str | None:
        # DRF takes the 401's WWW-Authenticate challenge from the first class: pass on the next one's.
        others = (a for a in request.authenticators if a is not self)
        return next((header for a in others if (header := a.authenticate_header(request))), None)


def throttled(throttle_class: type[throttling.SimpleRateThrottle]) -> Callable:
    """For plain Django views (the webhooks): a 429 with Retry-After once the address is over its rate."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            throttle = throttle_class()
            if throttle.allow_request(request, None):
                return view(request, *args, **kwargs)
            wait = throttle.wait()
            response = JsonResponse({"error": "Too many deliveries from this address; retry later."}, status=429)
            if wait is not None:
                response["Retry-After"] = str(max(1, round(wait)))
            return response

        return wrapper

    return decorator
