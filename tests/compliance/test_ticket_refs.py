"""What engineers paste into "Ticket URL or key", read as a ticket system and key."""

import pytest

from compliance.ticket_refs import TicketReferenceError, parse_ticket_reference


@pytest.mark.parametrize(
    ("pasted", "system", "key"),
    [
        ("https://github.com/acme/infra/issues/7", "github", "acme/infra#7"),
        ("https://github.com/acme/infra/pull/12/", "github", "acme/infra#12"),
        ("  acme/infra#7 ", "github", "acme/infra#7"),
        ("https://acme.atlassian.net/browse/SEC-12", "jira", "SEC-12"),
        ("https://jira.acme.internal/browse/OPS_2-401", "jira", "OPS_2-401"),
        ("SEC-12", "jira", "SEC-12"),
        ("https://gitlab.com/acme/net/-/issues/3", "gitlab", "acme/net#3"),
        ("https://git.acme.io/group/sub/proj/-/merge_requests/5", "gitlab", "group/sub/proj!5"),
        ("https://tracker.acme.io/ticket/88", "other", "https://tracker.acme.io/ticket/88"),
    ],
)
def test_urls_and_keys_are_read_as_a_system_and_a_key(pasted, system, key):
    reference = parse_ticket_reference(pasted)
    assert (reference.system, reference.key) == (system, key)


def test_a_short_github_reference_gets_its_url():
    assert parse_ticket_reference("acme/infra#7").url == "https://github.com/acme/infra/issues/7"


@pytest.mark.parametrize("pasted", ["", "fix the firewall", "sec-12", "https://github.com/acme/infra"])
def test_anything_else_is_refused_with_a_reason(pasted):
    with pytest.raises(TicketReferenceError):
        parse_ticket_reference(pasted)
