"""The production shape is secure by default; demo, debug and tests serve plain HTTP; each opt-out is explicit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SECRET_KEY": "k7#Qe9!vR2pX5@mZ8wL1^tY4&nB6*cD3$hJ0%gF7+sA2=uI9~oP5",
    "ALLOWED_HOSTS": "controltrace.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/controltrace"),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def production_settings(names: list[str], **env: str) -> list[str]:
    probe = "import django; django.setup(); from django.conf import settings as s; import sys; " + (
        "print(*[repr(getattr(s, n)) for n in sys.argv[1:]], sep='\\n')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *names],
        cwd=ROOT,
        env={**PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_check_deploy_passes_with_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_is_https_only_with_hsts_and_secure_cookies():
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    assert production_settings(names) == ["True", "31536000", "True", "True"]
    # The proxy header is trusted only when asked for.
    assert production_settings(["SECURE_PROXY_SSL_HEADER"]) == ["None"]
    assert production_settings(["SECURE_PROXY_SSL_HEADER"], BEHIND_TLS_PROXY="true") == [
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    ]


def test_each_default_has_a_documented_opt_out_for_plain_http():
    opted_out = production_settings(
        ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"],
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SECURE_COOKIES="false",
    )
    assert opted_out == ["False", "0", "False", "False"]
    operations = (ROOT / "docs" / "operations.md").read_text()
    for variable in ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_COOKIES", "BEHIND_TLS_PROXY"]:
        assert f"`{variable}" in operations


def test_a_mistyped_opt_out_stops_start_up():
    result = manage("check", env={**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "nope"})
    assert result.returncode != 0 and "SECURE_SSL_REDIRECT must be true or false" in result.stderr


def test_demo_mode_serves_plain_http_on_localhost():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    demo = production_settings(["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE"], **env, CONTROLTRACE_DEMO="true")
    assert demo == ["False", "False"]


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client, ciso, catalogs):
    client.force_login(ciso)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_health_check_answers_over_plain_http_when_everything_else_redirects(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    redirect = client.get("/login/")
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER_OR_STYLE = re.compile(r"""\s(?:on[a-z]+|style)\s*=\s*["']""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


@pytest.mark.parametrize("folder", ["templates", "static"])
def test_no_inline_script_handler_or_style_is_left_for_the_policy_to_block(folder):
    offenders = []
    for path in (ROOT / folder).rglob("*.html"):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER_OR_STYLE, JAVASCRIPT_URL):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert offenders == []
