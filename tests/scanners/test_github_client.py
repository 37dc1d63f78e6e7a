"""The GitHub REST client against a local server answering GitHub's shapes: credentials, pages, rate limits."""

from __future__ import annotations

import time

import pytest

from scanners.github import GitHubClient, GitHubError
from tests.scanners.local_github import GitHubApp, LocalGitHub, local_github

pytestmark = pytest.mark.integration


@pytest.fixture
def github():
    with local_github(owners=["alice", "bob", "carol", "dave", "erin"], max_per_page=2) as server:
        yield server


def client_of(server: LocalGitHub, **settings) -> GitHubClient:
    return GitHubClient(server.org, api_url=server.url, token=server.token, **settings)


def test_a_listing_follows_the_link_header_to_the_last_page(github):
    owners = client_of(github).pages("/orgs/acme/members", role="admin")

    assert [member["login"] for member in owners] == ["alice", "bob", "carol", "dave", "erin"]
    pages = github.calls("/orgs/acme/members")
    assert len(pages) == 3
    assert pages[0].query == {"per_page": ["100"], "role": ["admin"]}
    assert pages[2].query == {"per_page": ["100"], "role": ["admin"], "page": ["3"]}  # the next link keeps the query


def test_a_cursor_paged_listing_is_read_to_the_end(github):
    for _ in range(5):
        github.add_alert("api", age_days=3)
    github.add_alert("api", age_days=3, severity="high")

    alerts = client_of(github).pages("/orgs/acme/dependabot/alerts", state="open", severity="critical")

    assert [alert["number"] for alert in alerts] == [1, 2, 3, 4, 5]
    assert len(github.calls("/orgs/acme/dependabot/alerts")) == 3


def test_a_spent_budget_is_waited_out_until_its_reset(github):
    github.spend_budget_after(1, reset_in=1)  # the first answer says: nothing left until the next second
    started = time.monotonic()

    owners = client_of(github).pages("/orgs/acme/members", role="admin")

    assert len(owners) == 5
    assert github.refused_for_rate_limit == []  # no request came before the reset
    assert time.monotonic() - started > 0.1


def test_a_budget_spent_for_longer_than_the_scan_waits_fails_the_read_with_the_reason(github):
    github.spend_budget_after(1, reset_in=3600)

    with pytest.raises(GitHubError, match="rate limit is used up for another .* longer than the 5 s"):
        client_of(github, max_wait_seconds=5).pages("/orgs/acme/members", role="admin")
    assert github.refused_for_rate_limit == []


def test_a_refused_request_over_the_primary_limit_waits_for_the_reset_then_retries(github):
    """Another process spent the budget: the refusal itself carries the reset time."""
    client = client_of(github)
    github.spend_budget_after(1, reset_in=1)
    github.answer("GET", "/orgs/acme", f"Bearer {github.token}")  # someone else's request spends the budget

    assert client.get("/orgs/acme")["login"] == "acme"
    assert len(github.refused_for_rate_limit) == 1  # refused once, then answered after the reset


def test_a_secondary_limit_is_retried_after_the_time_github_asks_for(github):
    github.secondary_limit("/orgs/acme/repos", retry_after=1)
    github.add_repo("api")
    slept = []

    repos = client_of(github, sleep=slept.append).pages("/orgs/acme/repos")

    assert [repo["name"] for repo in repos] == ["api"]
    assert slept and slept[0] >= 1


def test_a_secondary_limit_asking_for_too_long_a_wait_is_an_error(github):
    github.secondary_limit("/orgs/acme/repos", retry_after=600)

    with pytest.raises(GitHubError, match="rate limit was hit for another 601 s"):
        client_of(github).pages("/orgs/acme/repos")


def test_a_refusal_names_the_request_and_github_s_message_but_never_the_token(github):
    github.fail("/orgs/acme/members", 403, "Resource not accessible by personal access token")

    with pytest.raises(GitHubError) as refused:
        client_of(github).pages("/orgs/acme/members", role="admin")

    message = str(refused.value)
    assert "GET /orgs/acme/members: HTTP 403 Resource not accessible by personal access token" in message
    assert github.token not in message


def test_a_wrong_token_is_refused_before_anything_is_read(github):
    with pytest.raises(GitHubError, match="HTTP 401 Bad credentials"):
        GitHubClient("acme", api_url=github.url, token="not-the-token").account_id()


def test_a_next_page_on_another_host_is_not_followed_with_the_token(github):
    client = GitHubClient("acme", api_url=github.url.replace("127.0.0.1", "localhost"), token=github.token)

    with pytest.raises(GitHubError, match="refused to follow a next page on another host"):
        client.pages("/orgs/acme/members", role="admin")


def test_the_token_is_read_from_the_environment_or_a_secrets_file(github, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    secret = tmp_path / "github-token"
    secret.write_text(github.token + "\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_TOKEN_FILE", str(secret))
    assert GitHubClient.from_environment("acme").account_id() == "acme"

    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.setenv("GITHUB_TOKEN_FILE", str(tmp_path / "absent"))
    assert GitHubClient.from_environment("acme").account_id() == "acme"


def test_without_a_credential_the_client_says_which_variables_to_set(monkeypatch):
    for name in ("GITHUB_TOKEN", "GITHUB_TOKEN_FILE", "GITHUB_APP_ID"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(GitHubError, match="no GitHub credentials: set GITHUB_TOKEN, GITHUB_TOKEN_FILE"):
        GitHubClient.from_environment("acme")


def test_a_github_app_signs_a_jwt_and_reads_with_its_installation_token(monkeypatch, tmp_path):
    app = GitHubApp()
    key = tmp_path / "app.pem"
    key.write_bytes(app.private_key_pem())
    with local_github(app=app) as github:
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        monkeypatch.setenv("GITHUB_APP_ID", app.app_id)
        monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY_FILE", str(key))
        client = GitHubClient.from_environment("acme")

        assert client.account_id() == "acme"
        assert client.pages("/orgs/acme/members", role="admin")[0]["login"] == "alice"

    assert len(app.issued_tokens) == 1  # one exchange, reused until it nears expiry
    assert [call.path for call in github.seen[:2]] == [
        "/orgs/acme/installation",
        "/app/installations/777/access_tokens",
    ]


def test_a_github_app_key_that_does_not_match_is_refused(tmp_path):
    with local_github(app=GitHubApp()) as github:
        stranger = GitHubApp()
        client = GitHubClient("acme", api_url=github.url, app_id="424242", app_private_key=stranger.private_key_pem())

        with pytest.raises(GitHubError, match="HTTP 401 A JSON web token could not be decoded"):
            client.account_id()
