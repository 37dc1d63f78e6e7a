"""Without a broker, "Scan now" returns at once and the scan runs in the background of the web process, while the
run's page shows its progress unit by unit; the findings appear when it finishes."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from scanners.models import FINISHED_STATES, RunState, ScanRun

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UNITS_DONE = re.compile(r"(\d+) of (\d+) units done")


def units_done(client, run: ScanRun) -> tuple[int, int, str]:
    response = client.get(reverse("scan-progress", args=[run.pk]) + "?on=detail", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    done, total = map(int, UNITS_DONE.search(fragment).groups())
    return done, total, response.headers.get("HX-Refresh", "")


def test_scan_now_returns_at_once_and_the_progress_moves_unit_by_unit(client, ciso, background_scan_account):
    client.force_login(ciso)
    assert "Scan now" in client.get(reverse("scan-list")).content.decode()
    started = time.monotonic()
    response = client.post(reverse("scan-now", args=[background_scan_account.pk]), headers={"HX-Request": "true"})
    answered_in = time.monotonic() - started

    run = ScanRun.objects.get(account=background_scan_account)
    assert response.status_code == 200 and f"Scan {run.pk}" in response.content.decode()
    assert answered_in < 1.0, f"the request took {answered_in:.2f} s"
    assert run.state not in FINISHED_STATES  # the scan goes on after the answer
    again = client.post(reverse("scan-now", args=[background_scan_account.pk]), headers={"HX-Request": "true"})
    assert f"Scan {run.pk}" in again.content.decode() and ScanRun.objects.count() == 1  # the same run, not a second

    readings, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        done, total, refresh = units_done(client, run)
        readings.append(done)
        if refresh:  # finished: the page reloads once to show the findings
            break
        time.sleep(0.2)
    run.refresh_from_db()
    assert run.state in (RunState.SUCCEEDED, RunState.PARTIAL), run.errors  # moto lacks a few services
    assert readings == sorted(readings), readings  # never backwards
    assert len({done for done in readings if 0 < done < total}) >= 2, readings  # seen moving, not jumping to done
    assert readings[-1] == total == run.units_total

    page = client.get(run.get_absolute_url()).content.decode()
    assert "ssh-from-anywhere" in page and 'hx-trigger="every 1s"' not in page
