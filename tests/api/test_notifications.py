"""Owners hear about failing checks, stale evidence and expiring exemptions: one digest each, nothing twice."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import services
from compliance.models import AutomatedStatus, ControlState, NoticeKind, OwnerNotice
from compliance.notification_tasks import notify_owners
from compliance.notifications import owners_notify, pending_events
from tests.api.conftest import control

pytestmark = pytest.mark.django_db


class SlackStub(BaseHTTPRequestHandler):
    received: list[dict]
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.received.append(json.loads(self.rfile.read(length)))
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def slack(settings):
    """A Slack-compatible incoming webhook on 127.0.0.1 that records what it is sent."""
    server = HTTPServer(("127.0.0.1", 0), SlackStub)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SLACK_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/services/T000/B000/XXXX"
    yield server
    server.shutdown()
    server.server_close()


def owned_by(user, *refs):
    controls = [control(ref) for ref in refs]
    for item in controls:
        item.owner = user
        item.save()
    return controls


def set_state(item, **fields):
    ControlState.objects.update_or_create(control=item, defaults=fields)


@pytest.fixture
def people(ciso, engineer, other_engineer):
    for person, email in (
        (ciso, "ciso@example.com"),
        (engineer, "eli@example.com"),
        (other_engineer, "ro@example.com"),
    ):
        person.email = email
        person.save()
    return ciso, engineer, other_engineer


def test_each_owner_gets_one_digest_of_everything_that_needs_them(people, catalogs):
    ciso, engineer, other = people
    network, segregation = owned_by(engineer, "A.8.20", "A.8.22")
    set_state(network, automated_status=AutomatedStatus.FAILING, checks_failed=2)
    set_state(segregation, evidence_count=1, evidence_fresh_until=timezone.now() - timedelta(days=1))
    set_state(owned_by(other, "A.8.24")[0], automated_status=AutomatedStatus.FAILING, checks_failed=1)
    assert owners_notify() == {"events": 3, "digests": 2}
    by_person = {message.to[0]: message for message in mail.outbox}
    assert set(by_person) == {"eli@example.com", "ro@example.com"}
    digest = by_person["eli@example.com"]
    assert digest.subject == "ControlTrace: 2 items need your attention"
    assert "A.8.20" in digest.body and "2 check(s) failing" in digest.body and "A.8.22" in digest.body
    assert "/controls/iso27001-2022/A.8.20/" in digest.body


def test_nothing_is_told_twice(people, catalogs):
    _, engineer, _ = people
    set_state(owned_by(engineer, "A.8.20")[0], automated_status=AutomatedStatus.FAILING, checks_failed=1)
    owners_notify()
    assert owners_notify() == {"events": 0, "digests": 0}
    assert len(mail.outbox) == 1
    assert OwnerNotice.objects.get().emailed_at is not None


def test_failing_again_after_passing_is_news(people, catalogs):
    _, engineer, _ = people
    network = owned_by(engineer, "A.8.20")[0]
    set_state(network, automated_status=AutomatedStatus.FAILING)
    owners_notify()
    set_state(network, automated_status=AutomatedStatus.PASSING)
    assert owners_notify()["events"] == 0
    set_state(network, automated_status=AutomatedStatus.FAILING)
    assert owners_notify()["events"] == 1
    assert len(mail.outbox) == 2
    assert OwnerNotice.objects.filter(closed_at__isnull=False).count() == 1


def test_an_exemption_about_to_expire_is_told_to_the_owners_of_its_controls(people, catalogs):
    ciso, engineer, other = people
    network, crypto = owned_by(engineer, "A.8.20")[0], owned_by(other, "A.8.24")[0]
    soon = services.exemption_propose(
        controls=[network, crypto],
        title="Legacy VPN",
        reason="-",
        expires_at=timezone.now() + timedelta(days=5),
        actor=engineer,
    )
    later = services.exemption_propose(
        controls=[network], title="Old TLS", reason="-", expires_at=timezone.now() + timedelta(days=60), actor=engineer
    )
    for exemption in (soon, later):
        services.exemption_approve(exemption=exemption, actor=ciso)
    owners_notify()
    assert sorted(message.to[0] for message in mail.outbox) == ["eli@example.com", "ro@example.com"]
    assert all("Legacy VPN" in message.body and "Old TLS" not in message.body for message in mail.outbox)
    assert set(OwnerNotice.objects.values_list("kind", flat=True)) == {NoticeKind.EXEMPTION_EXPIRING}
    assert owners_notify()["events"] == 0


def test_a_control_without_a_current_owner_is_the_cisos_to_hear_about(people, catalogs):
    ciso, engineer, _ = people
    set_state(control("A.5.15"), automated_status=AutomatedStatus.FAILING)
    network = owned_by(engineer, "A.8.20")[0]
    set_state(network, automated_status=AutomatedStatus.FAILING)
    engineer.is_active = False
    engineer.save()
    owners_notify()
    assert [message.to for message in mail.outbox] == [["ciso@example.com"]]
    assert "A.5.15" in mail.outbox[0].body and "A.8.20" in mail.outbox[0].body


def test_slack_gets_one_digest_per_owner(people, catalogs, slack):
    _, engineer, other = people
    set_state(owned_by(engineer, "A.8.20")[0], automated_status=AutomatedStatus.FAILING)
    set_state(owned_by(engineer, "A.8.22")[0], automated_status=AutomatedStatus.FAILING)
    set_state(owned_by(other, "A.8.24")[0], automated_status=AutomatedStatus.FAILING)
    owners_notify()
    assert len(slack.received) == 2
    texts = sorted(message["text"] for message in slack.received)
    assert texts[0].startswith("*For engineer*") and "A.8.20" in texts[0] and "A.8.22" in texts[0]
    assert OwnerNotice.objects.filter(posted_at__isnull=True).count() == 0


def test_a_failing_slack_webhook_is_logged_not_raised(people, catalogs, slack, caplog):
    _, engineer, _ = people
    slack.status = 500
    set_state(owned_by(engineer, "A.8.20")[0], automated_status=AutomatedStatus.FAILING)
    assert owners_notify()["events"] == 1
    assert len(mail.outbox) == 1  # the email still went
    notice = OwnerNotice.objects.get()
    assert notice.emailed_at is not None and notice.posted_at is None
    assert "Slack digest was not delivered" in caplog.text and "/services/T000" not in caplog.text


def test_an_unreachable_slack_webhook_does_not_stop_the_run(people, catalogs, settings):
    _, engineer, _ = people
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"  # the discard port: nothing listens
    set_state(owned_by(engineer, "A.8.20")[0], automated_status=AutomatedStatus.FAILING)
    assert notify_owners.apply().get()["digests"] == 1
    assert len(mail.outbox) == 1


def test_finding_the_events_takes_the_same_queries_for_few_or_many_controls(people, catalogs):
    _, engineer, _ = people

    def queries_with(refs) -> int:
        for item in owned_by(engineer, *refs):
            set_state(
                item, automated_status=AutomatedStatus.FAILING, evidence_count=1, evidence_fresh_until=timezone.now()
            )
        with CaptureQueriesContext(connection) as queries:
            events = pending_events(timezone.now())
        assert len(events) == 2 * len(ControlState.objects.filter(control__owner=engineer))
        return len(queries)

    assert queries_with(["A.8.20"]) == queries_with(["A.8.22", "A.8.24", "A.8.9", "A.5.15", "A.5.16"])
