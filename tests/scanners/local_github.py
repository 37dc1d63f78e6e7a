"""GitHub's REST API for one organisation, answered from memory over real HTTP on 127.0.0.1.

It answers the endpoints the GitHub collectors read, in the shapes GitHub documents (docs.github.com/rest:
organizations, members, repositories, branch protection, vulnerability alerts, Dependabot alerts, GitHub
App installations), with GitHub's pagination (`per_page`, capped, and a `Link` header; the Dependabot alert
listing pages with an `after` cursor as GitHub's does) and rate-limit headers on every answer. Tests script
its faults: a refused read, a spent rate-limit budget (a request before X-RateLimit-Reset is refused and
counted), a secondary limit with Retry-After. A GitHub App's JWT is verified against the App's public key.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.scanners.fault_injection import serving

RATE_LIMIT = 5000
DEFAULT_PER_PAGE = 30


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def repository(org: str, name: str, *, archived: bool = False, secret_scanning: str | None = "enabled") -> dict:
    """A repository as GET /orgs/{org}/repos lists it; `secret_scanning=None` leaves out
    security_and_analysis, as GitHub does for a caller without admin rights on the repository."""
    full_name = f"{org}/{name}"
    repo = {
        "id": sum(full_name.encode()),
        "node_id": f"R_{name}",
        "name": name,
        "full_name": full_name,
        "private": True,
        "owner": {"login": org, "type": "Organization"},
        "html_url": f"https://github.com/{full_name}",
        "fork": False,
        "archived": archived,
        "disabled": False,
        "visibility": "private",
        "default_branch": "main",
    }
    if secret_scanning is not None:
        repo["security_and_analysis"] = {
            "advanced_security": {"status": secret_scanning},
            "secret_scanning": {"status": secret_scanning},
            "secret_scanning_push_protection": {"status": secret_scanning},
            "dependabot_security_updates": {"status": "enabled"},
        }
    return repo


def protection(
    *, reviews: int | None = 1, status_checks: tuple[str, ...] = ("ci",), force_pushes=False, enforce_admins=True
) -> dict:
    """A default branch's protection as GET /repos/{owner}/{repo}/branches/{branch}/protection answers it;
    `reviews=None` leaves pull request reviews unrequired, `status_checks=()` leaves status checks out."""
    answer = {
        "url": "https://api.github.com/repos/o/r/branches/main/protection",
        "required_signatures": {"enabled": False},
        "enforce_admins": {"url": "https://api.github.com/repos/o/r/branches/main/protection/enforce_admins",
                           "enabled": enforce_admins},
        "required_linear_history": {"enabled": False},
        "allow_force_pushes": {"enabled": force_pushes},
        "allow_deletions": {"enabled": False},
        "block_creations": {"enabled": False},
        "required_conversation_resolution": {"enabled": False},
        "lock_branch": {"enabled": False},
        "allow_fork_syncing": {"enabled": False},
    }  # fmt: skip
    if reviews is not None:
        answer["required_pull_request_reviews"] = {
            "dismiss_stale_reviews": True,
            "require_code_owner_reviews": False,
            "require_last_push_approval": False,
            "required_approving_review_count": reviews,
        }
    if status_checks:
        answer["required_status_checks"] = {
            "strict": True,
            "contexts": list(status_checks),
            "checks": [{"context": name, "app_id": None} for name in status_checks],
        }
    return answer


def dependabot_alert(org: str, repo: str, number: int, *, age_days: int, severity: str = "critical") -> dict:
    """An open alert as GET /orgs/{org}/dependabot/alerts lists it."""
    created = datetime.now(UTC) - timedelta(days=age_days)
    advisory = {
        "ghsa_id": f"GHSA-{number:04d}-test-case",
        "cve_id": f"CVE-2026-{number:04d}",
        "summary": "Remote code execution in the parser",
        "severity": severity,
        "identifiers": [{"type": "GHSA", "value": f"GHSA-{number:04d}-test-case"}],
    }
    return {
        "number": number,
        "state": "open",
        "dependency": {"package": {"ecosystem": "pip", "name": "parserlib"}, "manifest_path": "requirements.txt",
                       "scope": "runtime"},
        "security_advisory": advisory,
        "security_vulnerability": {"package": {"ecosystem": "pip", "name": "parserlib"}, "severity": severity,
                                   "vulnerable_version_range": "< 2.0", "first_patched_version": {"identifier": "2.0"}},
        "url": f"https://api.github.com/repos/{org}/{repo}/dependabot/alerts/{number}",
        "html_url": f"https://github.com/{org}/{repo}/security/dependabot/{number}",
        "created_at": iso(created),
        "updated_at": iso(created),
        "dismissed_at": None,
        "fixed_at": None,
        "auto_dismissed_at": None,
        "repository": {"id": 1, "name": repo, "full_name": f"{org}/{repo}", "private": True},
    }  # fmt: skip


@dataclass
class GitHubApp:
    """A GitHub App installed on the organisation: the server checks JWTs with its public key."""

    app_id: str = "424242"
    installation_id: int = 777
    private_key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    issued_tokens: list[str] = field(default_factory=list)

    def private_key_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def verify(self, jwt: str) -> bool:
        try:
            header, payload, signature = jwt.split(".")
            self.private_key.public_key().verify(
                _unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(_unb64(payload))
        except (ValueError, InvalidSignature):
            return False
        return str(claims.get("iss")) == self.app_id and claims["iat"] <= time.time() < claims["exp"]


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    at: float


@dataclass
class LocalGitHub:
    org: str = "acme"
    token: str = "github_pat_local_test_token_0123456789"
    two_factor_requirement_enabled: bool | None = True
    owners: list[str] = field(default_factory=lambda: ["alice", "bob"])
    members: list[str] = field(default_factory=lambda: ["carol", "dave"])
    repos: list[dict] = field(default_factory=list)
    protections: dict[str, dict] = field(default_factory=dict)  # full name -> protection of the default branch
    vulnerability_alerts: set[str] = field(default_factory=set)  # full names with Dependabot alerts on
    alerts: list[dict] = field(default_factory=list)
    max_per_page: int = 100  # GitHub's cap; tests lower it to make the collectors page
    app: GitHubApp | None = None
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    refused_for_rate_limit: list[Seen] = field(default_factory=list)
    faults: list[tuple[str, int, str]] = field(default_factory=list)  # (path prefix, status, message)
    secondary_limits: list[tuple[str, int]] = field(default_factory=list)  # (path prefix, Retry-After seconds)
    _budget_spent_after: int | None = None  # the request (1-based) whose answer spends the budget
    _reset_at: int = 0
    _reset_in: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # What tests arrange ---------------------------------------------------------------------------

    def add_repo(self, name: str, *, protected: dict | None = None, alerts_enabled: bool = True, **repo) -> dict:
        item = repository(self.org, name, **repo)
        self.repos.append(item)
        if protected is not None:
            self.protections[item["full_name"]] = protected
        if alerts_enabled:
            self.vulnerability_alerts.add(item["full_name"])
        return item

    def add_alert(self, repo: str, *, age_days: int, severity: str = "critical") -> None:
        self.alerts.append(dependabot_alert(self.org, repo, len(self.alerts) + 1, age_days=age_days, severity=severity))

    def fail(self, path_prefix: str, status: int, message: str) -> None:
        """Answer requests under the path with GitHub's error document."""
        self.faults.append((path_prefix, status, message))

    def spend_budget_after(self, requests: int, *, reset_in: int) -> None:
        """The answer to request number `requests` says the budget is spent until `reset_in` seconds later."""
        self._budget_spent_after, self._reset_in = requests, reset_in

    def secondary_limit(self, path_prefix: str, *, retry_after: int) -> None:
        """The next request under the path is refused once with GitHub's secondary-limit answer."""
        self.secondary_limits.append((path_prefix, retry_after))

    def calls(self, path_prefix: str) -> list[Seen]:
        return [item for item in self.seen if item.path.startswith(path_prefix)]

    # Answering ----------------------------------------------------------------------------------------

    def answer(self, method: str, raw_path: str, authorization: str) -> tuple[int, object, dict[str, str]]:
        parts = urlsplit(raw_path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        seen = Seen(method, path, query, time.time())
        with self._lock:
            self.seen.append(seen)
            limits = self._rate_limit_headers(seen)
            if limits is None:
                self.refused_for_rate_limit.append(seen)
                headers = self._headers(remaining=0)
                return 403, {"message": f"API rate limit exceeded for installation ID {self.org}."}, headers
            for prefix, retry_after in list(self.secondary_limits):
                if path.startswith(prefix):
                    self.secondary_limits.remove((prefix, retry_after))
                    message = (
                        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
                    )
                    return 403, {"message": message}, {**limits, "Retry-After": str(retry_after)}
        status, body, extra = self._route(method, path, query, authorization)
        return status, body, {**limits, **extra}

    def _rate_limit_headers(self, seen: Seen) -> dict[str, str] | None:
        """This request's rate-limit headers, or None when it came before the spent budget's reset."""
        number = len(self.seen)
        if self._reset_at and seen.at < self._reset_at:
            return None
        if self._reset_at:
            self._reset_at, self._budget_spent_after = 0, None  # a new window
        if number == self._budget_spent_after:
            self._reset_at = int(time.time()) + self._reset_in
            return self._headers(remaining=0)
        return self._headers(remaining=RATE_LIMIT - number)

    def _headers(self, *, remaining: int) -> dict[str, str]:
        reset = self._reset_at or int(time.time()) + 3600
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Used": str(RATE_LIMIT - remaining),
            "X-RateLimit-Resource": "core",
        }

    def _route(self, method: str, path: str, query: dict, authorization: str) -> tuple[int, object, dict]:
        if self.app is not None and (path.startswith("/app/") or path == f"/orgs/{self.org}/installation"):
            return self._app_route(method, path, authorization)
        if authorization not in {f"Bearer {self.token}", *(f"Bearer {t}" for t in self._app_tokens())}:
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
        for prefix, status, message in self.faults:
            if path.startswith(prefix):
                return status, {"message": message, "documentation_url": "https://docs.github.com/rest"}, {}
        org = f"/orgs/{self.org}"
        if method == "GET" and path == org:
            return 200, self._organization(), {}
        if method == "GET" and path == f"{org}/members":
            logins = self.owners if query.get("role") == ["admin"] else self.owners + self.members
            return self._page(
                path, query, [{"login": login, "id": i, "type": "User"} for i, login in enumerate(logins)]
            )
        if method == "GET" and path == f"{org}/repos":
            return self._page(path, query, self.repos)
        if method == "GET" and path == f"{org}/dependabot/alerts":
            return self._cursor_page(path, query, self._alerts(query))
        if method == "GET" and path.startswith("/repos/"):
            return self._repo_route(path)
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}

    def _repo_route(self, path: str) -> tuple[int, object, dict]:
        segments = path.split("/")  # "", "repos", owner, name, ...
        full_name = "/".join(segments[2:4])
        if full_name not in {repo["full_name"] for repo in self.repos}:
            return 404, {"message": "Not Found"}, {}
        rest = segments[4:]
        if rest == ["vulnerability-alerts"]:
            return (204 if full_name in self.vulnerability_alerts else 404), None, {}
        if len(rest) == 3 and rest[0] == "branches" and rest[2] == "protection":
            if rest[1] != "main":
                return 404, {"message": "Branch not found"}, {}
            if full_name not in self.protections:
                return 404, {"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest"}, {}
            return 200, self.protections[full_name], {}
        return 404, {"message": "Not Found"}, {}

    def _app_route(self, method: str, path: str, authorization: str) -> tuple[int, object, dict]:
        jwt = authorization.removeprefix("Bearer ")
        if not self.app.verify(jwt):
            return 401, {"message": "A JSON web token could not be decoded"}, {}
        if method == "GET" and path == f"/orgs/{self.org}/installation":
            return 200, {"id": self.app.installation_id, "app_id": int(self.app.app_id), "target_type": "Organization",
                         "account": {"login": self.org}}, {}  # fmt: skip
        if method == "POST" and path == f"/app/installations/{self.app.installation_id}/access_tokens":
            token = f"ghs_installation_{len(self.app.issued_tokens)}_secret"
            self.app.issued_tokens.append(token)
            expires = iso(datetime.now(UTC) + timedelta(hours=1))
            return 201, {"token": token, "expires_at": expires, "permissions": {"administration": "read"}}, {}
        return 404, {"message": "Not Found"}, {}

    def _app_tokens(self) -> list[str]:
        return self.app.issued_tokens if self.app else []

    def _organization(self) -> dict:
        org = {
            "login": self.org,
            "id": 1,
            "url": f"https://api.github.com/orgs/{self.org}",
            "description": "",
            "type": "Organization",
            "members_can_create_repositories": True,
        }
        if self.two_factor_requirement_enabled is not None:  # GitHub shows it to owners only
            org["two_factor_requirement_enabled"] = self.two_factor_requirement_enabled
        return org

    def _alerts(self, query: dict) -> list[dict]:
        states = set(",".join(query.get("state", [])).split(",")) - {""}
        severities = set(",".join(query.get("severity", [])).split(",")) - {""}
        return [
            alert
            for alert in self.alerts
            if (not states or alert["state"] in states)
            and (not severities or alert["security_advisory"]["severity"] in severities)
        ]

    def _size(self, query: dict) -> int:
        return min(int(query.get("per_page", [DEFAULT_PER_PAGE])[0]), self.max_per_page)

    def _page(self, path: str, query: dict, items: list) -> tuple[int, list, dict]:
        """`page` pagination with a Link header naming the next and last pages, as most list endpoints do."""
        size, page = self._size(query), int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // size))
        links = []
        params = {key: values[0] for key, values in query.items() if key != "page"}
        if page < last:
            links.append(f'<{self.url}{path}?{urlencode({**params, "page": page + 1})}>; rel="next"')
            links.append(f'<{self.url}{path}?{urlencode({**params, "page": last})}>; rel="last"')
        if page > 1:
            links.append(f'<{self.url}{path}?{urlencode({**params, "page": 1})}>; rel="first"')
        return 200, items[(page - 1) * size : page * size], {"Link": ", ".join(links)} if links else {}

    def _cursor_page(self, path: str, query: dict, items: list) -> tuple[int, list, dict]:
        """`after` cursor pagination, as the organisation's Dependabot alert listing pages."""
        size = self._size(query)
        start = int(base64.urlsafe_b64decode(query["after"][0]).decode()) if query.get("after") else 0
        chunk = items[start : start + size]
        if start + size >= len(items):
            return 200, chunk, {}
        params = {key: values[0] for key, values in query.items() if key != "after"}
        cursor = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return 200, chunk, {"Link": f'<{self.url}{path}?{urlencode({**params, "after": cursor})}>; rel="next"'}


def _handler(github: LocalGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, body, headers = github.answer(self.command, self.path, self.headers.get("Authorization", ""))
            content = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = handle_any

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def local_github(**settings) -> Iterator[LocalGitHub]:
    github = LocalGitHub(**settings)
    with serving(_handler(github)) as github.url:
        yield github
