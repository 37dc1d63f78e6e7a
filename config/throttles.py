"""Request rates for the API and the webhooks, counted in the shared cache (settings.CACHES).

DRF's throttles copy their rates when first imported; these read them per request, so settings stay the one
source (and tests can set the production rates).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse
from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettings:
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    """API requests without credentials, per client address."""


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """API requests per signed-in person or token (anonymous ones per address)."""


class WebhookRateThrottle(_RatesFromSettings, throttling.SimpleRateThrottle):
    """Webhook deliveries per sending address, counted before the signature is checked."""

    scope = "webhook"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


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
