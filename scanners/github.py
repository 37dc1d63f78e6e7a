"""Reading a GitHub organisation through GitHub's REST API: credentials, pagination and rate limits.

Everything that knows how to reach GitHub lives here, as scanners/aws.py does for AWS. The API's address is
GITHUB_API_URL (default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3). Credentials
come from the worker's environment, never from the database:
- a token: GITHUB_TOKEN, or GITHUB_TOKEN_FILE naming a file that holds it (a mounted secret);
- or a GitHub App: GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY_FILE (PEM), and GITHUB_APP_INSTALLATION_ID when
  the installation should not be looked up; the client signs a JWT and exchanges it for an installation token.
Rate limits are honoured: when GitHub says the budget is spent (X-RateLimit-Remaining: 0 until
X-RateLimit-Reset, or Retry-After on a secondary limit), the client waits, at most GITHUB_RATE_LIMIT_MAX_WAIT
seconds; a longer wait fails the read with the reason instead of holding a worker for an hour.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from scanners.collectors.base import ReadError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
PER_PAGE = 100
DEFAULT_MAX_WAIT_SECONDS = 60
# GitHub asks clients that hit a secondary limit without a Retry-After to wait at least a minute.
SECONDARY_LIMIT_WAIT_SECONDS = 60
MAX_ATTEMPTS = 3
TIMEOUT = (5, 30)
TOKEN_REFRESH_MARGIN_SECONDS = 300
NO_CREDENTIALS = (
    "no GitHub credentials: set GITHUB_TOKEN, GITHUB_TOKEN_FILE, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY_FILE"
)


class GitHubError(ReadError):
    """A read GitHub refused or could not answer, described in one line (never with a credential in it)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise GitHubError(f"{name} must be a whole number of seconds, not {value!r}")
    return int(value)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def app_jwt(app_id: str, private_key_pem: bytes, now: float) -> str:
    """The short-lived RS256 JWT a GitHub App presents to ask for an installation token (valid 9 minutes;
    issued a minute in the past to allow for clock drift, as GitHub recommends)."""
    header = {"alg": "RS256", "typ": "JWT"}
    issuer: int | str = int(app_id) if app_id.isdigit() else app_id  # an app id or a client id
    payload = {"iat": int(now) - 60, "exp": int(now) + 540, "iss": issuer}
    signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload))
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def credentials_source() -> str:
    """Which credential the environment offers, by variable name only (for messages; never the value)."""
    if os.environ.get("GITHUB_APP_ID"):
        return "a GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY_FILE)"
    if os.environ.get("GITHUB_TOKEN"):
        return "a token in GITHUB_TOKEN"
    if os.environ.get("GITHUB_TOKEN_FILE"):
        return f"a token in the file GITHUB_TOKEN_FILE names ({os.environ['GITHUB_TOKEN_FILE']})"
    return NO_CREDENTIALS


class GitHubClient:
    """Read-only GET requests to one organisation's API, with its credential and rate-limit state.

    One client per scan unit: an App's installation token is fetched on first use and renewed five
    minutes before it expires.
    """

    def __init__(
        self,
        org: str,
        *,
        api_url: str = DEFAULT_API_URL,
        token: str = "",
        app_id: str = "",
        app_private_key: bytes = b"",
        installation_id: str = "",
        max_wait_seconds: int = DEFAULT_MAX_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.org = org
        self.api_url = api_url.rstrip("/")
        self.max_wait_seconds = max_wait_seconds
        self._token = token
        self._token_expires_at = float("inf") if token else 0.0
        self._app_id = app_id
        self._app_private_key = app_private_key
        self._installation_id = installation_id
        self._sleep = sleep
        self._spent_until = 0.0  # the rate-limit budget is used up until this epoch second
        self._session = requests.Session()

    @classmethod
    def from_environment(cls, org: str) -> GitHubClient:
        """The client the workers use; a missing or unreadable credential fails every read with the reason."""
        settings = {
            "api_url": os.environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL,
            "max_wait_seconds": _env_int("GITHUB_RATE_LIMIT_MAX_WAIT", DEFAULT_MAX_WAIT_SECONDS),
        }
        app_id = os.environ.get("GITHUB_APP_ID", "").strip()
        if app_id:
            key_file = os.environ.get("GITHUB_APP_PRIVATE_KEY_FILE", "").strip()
            if not key_file:
                raise GitHubError("GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY_FILE is not")
            return cls(
                org,
                app_id=app_id,
                app_private_key=_read_secret_file(key_file, "GITHUB_APP_PRIVATE_KEY_FILE").encode(),
                installation_id=os.environ.get("GITHUB_APP_INSTALLATION_ID", "").strip(),
                **settings,
            )
        token = os.environ.get("GITHUB_TOKEN", "").strip()
        if not token and os.environ.get("GITHUB_TOKEN_FILE", "").strip():
            token = _read_secret_file(os.environ["GITHUB_TOKEN_FILE"].strip(), "GITHUB_TOKEN_FILE")
        if not token:
            raise GitHubError(NO_CREDENTIALS)
        return cls(org, token=token, **settings)

    # What the engine asks of every source's client ------------------------------------------------

    def account_id(self) -> str:
        """The organisation's login as GitHub spells it; reaching it proves the credential works."""
        return self.get(f"/orgs/{self.org}")["login"]

    # Reads ------------------------------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        response = self._request("GET", self._url(path), params=params)
        if response.status_code != 200:
            raise self._refusal(response)
        return response.json()

    def exists(self, path: str) -> bool:
        """For endpoints that answer a yes or no with 204 or 404 (vulnerability alerts enabled)."""
        response = self._request("GET", self._url(path))
        if response.status_code == 204:
            return True
        if response.status_code == 404:
            return False
        raise self._refusal(response)

    def get_or_none(self, path: str, *, absent_message: str) -> Any:
        """The JSON answer, or None when GitHub answers 404 with `absent_message` ("Branch not protected"):
        that is a setting not configured, while any other 404 (no such branch, no access) is a failed read."""
        response = self._request("GET", self._url(path))
        if response.status_code == 404 and _message(response) == absent_message:
            return None
        if response.status_code != 200:
            raise self._refusal(response)
        return response.json()

    def pages(self, path: str, **params: Any) -> list[dict]:
        """Every item of a list endpoint, following the Link header's rel="next" to the end."""
        items: list[dict] = []
        url: str | None = self._url(path)
        query: dict[str, Any] | None = {"per_page": PER_PAGE, **params}
        while url:
            response = self._request("GET", url, params=query)
            if response.status_code != 200:
                raise self._refusal(response)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GET {urlsplit(url).path}: expected a list, got {type(page).__name__}")
            items.extend(page)
            url, query = response.links.get("next", {}).get("url"), None  # the next URL carries the query
            if url and not self._same_origin(url):
                raise GitHubError(f"GET {path}: refused to follow a next page on another host ({urlsplit(url).netloc})")
        return items

    # Plumbing ---------------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.api_url}{path}"

    def _same_origin(self, url: str) -> bool:
        here, there = urlsplit(self.api_url), urlsplit(url)
        return (here.scheme, here.netloc) == (there.scheme, there.netloc)

    def _request(
        self, method: str, url: str, *, params: dict | None = None, authorization: str | None = None
    ) -> requests.Response:
        what = f"{method} {urlsplit(url).path}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._wait(self._spent_until - time.time(), what, "the rate limit is used up")
            headers = {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "controltrace",
                "Authorization": authorization or f"Bearer {self._access_token()}",
            }
            try:
                response = self._session.request(method, url, params=params, headers=headers, timeout=TIMEOUT)
            except requests.RequestException as exc:
                raise GitHubError(f"{what}: GitHub unreachable: {type(exc).__name__}") from exc
            self._note_budget(response)
            wait = self._rate_limited_for(response)
            if wait is None:
                return response
            if attempt == MAX_ATTEMPTS:
                break
            self._wait(wait, what, "GitHub's rate limit was hit")
        raise GitHubError(f"{what}: still rate limited after {MAX_ATTEMPTS} attempts", response.status_code)

    def _note_budget(self, response: requests.Response) -> None:
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = response.headers.get("X-RateLimit-Reset", "")
            if reset.isdigit():
                self._spent_until = max(self._spent_until, float(reset))

    def _rate_limited_for(self, response: requests.Response) -> float | None:
        """Seconds to wait before trying again, or None when the response is not a rate-limit refusal."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return float(retry_after)
        if response.headers.get("X-RateLimit-Remaining") == "0":
            return self._spent_until - time.time()
        if "rate limit" in _message(response).lower():
            return float(SECONDARY_LIMIT_WAIT_SECONDS)
        return None

    def _wait(self, seconds: float, what: str, why: str) -> None:
        if seconds <= 0:
            return
        if seconds > self.max_wait_seconds:
            raise GitHubError(
                f"{what}: {why} for another {int(seconds) + 1} s, longer than the {self.max_wait_seconds} s "
                "a scan waits (GITHUB_RATE_LIMIT_MAX_WAIT)",
                429,
            )
        self._sleep(seconds + 0.1)  # X-RateLimit-Reset is in whole seconds

    def _refusal(self, response: requests.Response) -> GitHubError:
        path = urlsplit(response.url).path
        text = _message(response) or response.reason
        hint = ""
        if response.status_code in (401, 403, 404):
            hint = " (the token or GitHub App may lack the permission this read needs; see docs/checks.md)"
        return GitHubError(f"GET {path}: HTTP {response.status_code} {text}{hint}"[:300], response.status_code)

    def _access_token(self) -> str:
        if self._token and time.time() < self._token_expires_at - TOKEN_REFRESH_MARGIN_SECONDS:
            return self._token
        if not self._app_id:
            raise GitHubError(NO_CREDENTIALS)
        self._token, self._token_expires_at = self._installation_token()
        return self._token

    def _installation_token(self) -> tuple[str, float]:
        """Exchange the App's JWT for an installation token (GET the org's installation, then POST)."""
        try:
            jwt = f"Bearer {app_jwt(self._app_id, self._app_private_key, time.time())}"
        except (ValueError, TypeError) as exc:
            raise GitHubError(f"the GitHub App private key cannot be used: {type(exc).__name__}") from exc
        if not self._installation_id:
            response = self._request("GET", self._url(f"/orgs/{self.org}/installation"), authorization=jwt)
            if response.status_code != 200:
                raise self._refusal(response)
            self._installation_id = str(response.json()["id"])
        url = self._url(f"/app/installations/{self._installation_id}/access_tokens")
        response = self._request("POST", url, authorization=jwt)
        if response.status_code != 201:
            raise self._refusal(response)
        answer = response.json()
        try:
            expires_at = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00")).timestamp()
        except (KeyError, AttributeError, ValueError):
            expires_at = time.time() + 3600  # GitHub's installation tokens last an hour
        return answer["token"], expires_at


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def _read_secret_file(path: str, variable: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise GitHubError(f"{variable} names a file that cannot be read: {type(exc).__name__}") from exc
