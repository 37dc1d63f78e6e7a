"""Rate limits on the API and the webhooks, counted in Redis so that every web process shares the count.

The suite runs with raised rates (config/test_settings.py); these tests put the production rates back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tokens import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_rates(settings, redis_url):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": settings.PRODUCTION_THROTTLE_RATES,
    }
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    return {scope: int(rate.split("/")[0]) for scope, rate in settings.PRODUCTION_THROTTLE_RATES.items()}


def an_address() -> str:
    """A fresh client address per test: the counts in Redis outlive each test's database transaction."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def test_anonymous_api_requests_and_guessed_tokens_are_throttled_per_address(production_rates):
    client, address = APIClient(), an_address()
    limit = production_rates["address"]
    statuses = [client.get("/api/", REMOTE_ADDR=address).status_code for _ in range(limit // 2)]
    client.credentials(HTTP_AUTHORIZATION="Bearer ct_guessed")
    statuses += [client.get("/api/", REMOTE_ADDR=address).status_code for _ in range(limit - limit // 2 + 1)]
    assert set(statuses[:-1]) == {401} and statuses[-1] == 429
    refused = client.get("/api/", REMOTE_ADDR=address)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    other = APIClient().get("/api/", REMOTE_ADDR=an_address())  # another address is not affected
    assert other.status_code == 401 and other["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(production_rates):
    client, address = APIClient(), an_address()
    limit = production_rates["address"]
    statuses = [
        client.get("/api/", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=an_address()).status_code
        for _ in range(limit + 1)
    ]
    assert set(statuses[:-1]) == {401} and statuses[-1] == 429


def test_a_token_user_is_throttled_whatever_address_they_use(production_rates, engineer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=engineer, name='ci').secret}")
    limit = production_rates["user"]
    statuses = [client.get("/api/", REMOTE_ADDR=an_address()).status_code for _ in range(limit)]
    assert set(statuses) == {200}
    refused = client.get("/api/", REMOTE_ADDR=an_address())
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_webhook_deliveries_are_throttled_per_sending_address(client, production_rates, settings):
    settings.GITHUB_WEBHOOK_SECRET = "s3cret"
    address = an_address()
    limit = production_rates["webhook"]
    statuses = [
        client.post("/webhooks/github/", b"{}", content_type="application/json", REMOTE_ADDR=address).status_code
        for _ in range(limit + 1)
    ]
    assert set(statuses[:-1]) == {401} and statuses[-1] == 429  # counted before the signature is checked
    refused = client.post("/webhooks/github/", b"{}", content_type="application/json", REMOTE_ADDR=address)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    other = client.post("/webhooks/github/", b"{}", content_type="application/json", REMOTE_ADDR=an_address())
    assert other.status_code == 401


def test_the_count_is_shared_with_another_process(settings, redis_url):
    """What one web process counted, another sees: the count is in Redis, not in the process."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": SMALL_RATES}
    address = an_address()
    for _ in range(5):
        APIClient().get("/api/", REMOTE_ADDR=address)
    other_process = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, address],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other_process.stdout.strip().endswith("429"), other_process.stderr
    assert len(cache.get(f"throttle_address_{address}")) == 5


SMALL_RATES = {"address": "5/minute", "user": "5/minute", "webhook": "5/minute"}
OTHER_PROCESS = f"""
import sys, django
django.setup()
from django.conf import settings
from django.test.utils import override_settings, setup_test_environment
from rest_framework.test import APIClient
setup_test_environment()
override_settings(
    REST_FRAMEWORK={{**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {SMALL_RATES!r}}}
).enable()
print(APIClient().get("/api/", REMOTE_ADDR=sys.argv[1]).status_code)
"""


def test_without_redis_the_embedded_set_up_uses_a_local_memory_cache():
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    probe = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "CONTROLTRACE_DEMO": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache", result.stderr
    assert settings.CACHES["default"]["LOCATION"] == os.environ["REDIS_URL"]
