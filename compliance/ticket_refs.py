"""Turning what an engineer pastes (a ticket URL or a key like `SEC-12`) into a ticket system and key.

Pure functions: the pages, the API and the webhooks can share them, and they are tested without a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from compliance.models import TicketSystem, validate_http_url

JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")
GITHUB_PATH = re.compile(r"^/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/(?:issues|pull)/(?P<number>\d+)/?$")
# GitLab nests groups: /group/sub/project/-/issues/3 (or merge_requests).
GITLAB_PATH = re.compile(r"^/(?P<project>[\w.-]+(?:/[\w.-]+)+)/-/(?P<kind>issues|merge_requests)/(?P<number>\d+)/?$")
JIRA_PATH = re.compile(r"^/browse/(?P<key>[A-Z][A-Z0-9_]+-\d+)/?$")
SHORT_GITHUB = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)#(?P<number>\d+)$")


class TicketReferenceError(ValueError):
    """What was pasted is neither a ticket URL we understand nor a ticket key."""


@dataclass(frozen=True)
class TicketReference:
    system: str
    key: str
    url: str = ""


def parse_ticket_reference(text: str) -> TicketReference:
    text = text.strip()
    if not text:
        raise TicketReferenceError("Paste a ticket URL or a key such as SEC-12.")
    if text.lower().startswith(("http://", "https://")):
        return _from_url(text)
    if JIRA_KEY.match(text):
        return TicketReference(TicketSystem.JIRA, text)
    if match := SHORT_GITHUB.match(text):
        return TicketReference(TicketSystem.GITHUB, text, _github_url(**match.groupdict()))
    raise TicketReferenceError(
        "Not a ticket reference: paste a GitHub, GitLab or Jira URL, a key such as SEC-12, or owner/repo#7."
    )


def http_url_or_blank(url: str) -> str:
    """The URL if it is an http(s) link (the rule on Ticket.url and Document.url), else nothing."""
    try:
        validate_http_url(url)
    except ValidationError:
        return ""
    return url


def _github_url(owner: str, repo: str, number: str) -> str:
    return f"https://github.com/{owner}/{repo}/issues/{number}"


def _from_url(url: str) -> TicketReference:
    if not http_url_or_blank(url):
        raise TicketReferenceError("Not a valid http:// or https:// link.")
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    if host in {"github.com", "www.github.com"} and (match := GITHUB_PATH.match(path)):
        key = "{owner}/{repo}#{number}".format(**match.groupdict())
        return TicketReference(TicketSystem.GITHUB, key, url)
    if match := GITLAB_PATH.match(path):
        separator = "#" if match["kind"] == "issues" else "!"
        return TicketReference(TicketSystem.GITLAB, f"{match['project']}{separator}{match['number']}", url)
    if match := JIRA_PATH.match(path):
        return TicketReference(TicketSystem.JIRA, match["key"], url)
    if host == "github.com":
        raise TicketReferenceError("That GitHub URL is not an issue or a pull request.")
    # Some other tracker: keep the URL itself as the key so the same link is recognised again.
    return TicketReference(TicketSystem.OTHER, url[:200], url)
