"""The demo's history: a first `make run` lands the CISO on a dashboard that shows a living register."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.demo import demo_users_reset
from compliance.dashboard_trend import TREND_DAYS
from compliance.models import Control, DailySnapshot, Document, Exemption, Framework, Ticket
from evidence.models import Evidence
from ledger.verify import ledger_verify
from scanners.demo_history import demo_history_seed

pytestmark = pytest.mark.django_db


def records() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Document, Ticket, Evidence, Exemption))


def test_the_demo_seeds_a_quarter_of_history_once_and_quickly(client, catalogs):
    demo_users_reset()

    started = time.perf_counter()
    seeded = demo_history_seed()
    seconds = time.perf_counter() - started

    assert seconds < 15  # bulk writes: a few hundred statements, not one per control and day
    assert seeded["snapshots"] == TREND_DAYS * Framework.objects.count()
    history = Control.history.count()
    assert records() == (5, 4, 6, 3)

    again = demo_history_seed()  # the next `make run`

    assert again == seeded
    assert records() == (5, 4, 6, 3)
    assert Control.history.count() == history
    assert ledger_verify().intact  # the quarter-old history rows were appended like any other write


def test_the_first_look_shows_an_improving_posture_and_this_weeks_changes(client, catalogs, django_user_model):
    demo_users_reset()
    demo_history_seed()
    client.force_login(django_user_model.objects.get(username="ciso"))

    response = client.get("/")

    trend = response.context["trend"]
    assert trend["days"] == TREND_DAYS and len(trend["series"]) == Framework.objects.count()
    for series in trend["series"]:
        shares = [series.shares[day] for day in sorted(series.shares)]
        assert shares[-1] > shares[0] + 20  # a quarter of work shows
    changes = response.context["changes"]
    assert changes["exemptions"]["waiting"] == 1
    assert {c.ref for c, _, _ in changes["status_changed"].items} == {"A.5.23", "A.8.16", "A.5.24"}
    assert {c.ref for c in changes["gone_stale"].items} == {"A.5.18", "A.5.16"}
    assert [e.title for e in response.context["expiring"]] == ["Unencrypted snapshot kept under legal hold"]
    assert response.context["open_ticket_count"] == 3
    assert DailySnapshot.objects.filter(day=timezone.localdate() - timedelta(days=7)).exists()
    iso = response.context["standings"][0]
    assert 40 < iso.implemented_share < 90
    assert b"Shared break-glass IAM user" in response.content
