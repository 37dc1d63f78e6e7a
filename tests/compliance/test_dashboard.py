"""The CISO's dashboard: every number is right, and links to the register filtered to exactly those controls."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from compliance import services
from compliance.dashboard import snapshot_take
from compliance.filters import ControlFilter
from compliance.models import Control, ControlState, DailySnapshot, Exemption, Framework, Ticket
from compliance.state import control_counts
from compliance.tasks import SNAPSHOT_TASK, snapshot_daily
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db


def ctrl(ref: str, framework: str = "iso27001-2022") -> Control:
    return Control.objects.get(framework__slug=framework, ref=ref)


def set_status(ref: str, status: str, **fields) -> Control:
    control = ctrl(ref)
    control.status = status
    for name, value in fields.items():
        setattr(control, name, value)
    control.save()
    return control


def set_automated(ref: str, status: str) -> None:
    ControlState.objects.update_or_create(control=ctrl(ref), defaults={"automated_status": status})


def approved_exemption(ciso, controls, days: int, title: str = "Legacy VPN") -> Exemption:
    exemption = services.exemption_propose(
        controls=controls,
        title=title,
        reason="Replacement planned",
        expires_at=timezone.now() + timedelta(days=days),
        actor=ciso,
    )
    with override_settings(EXEMPTION_SELF_APPROVAL=True):  # a one-person team: these tests are about the dashboard
        return services.exemption_approve(exemption=exemption, actor=ciso)


def linked_ticket(ciso, key: str, state: str, control: Control | None) -> Ticket:
    ticket = Ticket.objects.create(system="jira", key=key, state=state, title=f"Fix {key}")
    if control is not None:
        services.ticket_link(ticket=ticket, control=control, actor=ciso)
    return ticket


def every_figure(standings):
    """What the page shows: each framework's bars and figures, and each theme's row of the heat map."""
    for standing in standings:
        yield from [standing.total, *standing.statuses, *standing.automated, *standing.evidence, standing.exempted]
        for theme in standing.themes:
            yield from [theme.total, *(cell.figure for cell in theme.heat_row)]


def register_count(client, url: str) -> int:
    """How many controls the register itself lists at this address: the contract every figure relies on."""
    response = client.get(url)
    assert response.status_code == 200, url
    total = response.context["counts"]["total"]
    assert f"<strong>{total} control".encode() in response.content
    return total


def register_filter_count(url: str) -> int:
    """The register's own filters and summary count (what `register_count` reads from the page), without a page."""
    query = QueryDict(urlsplit(url).query)
    controls = ControlFilter(query, queryset=Control.objects.all()).qs
    return controls.order_by().aggregate(**control_counts())["total"]


def test_every_figure_on_the_dashboard_opens_the_register_listing_exactly_that_many(client, ciso, catalogs, engineer):
    set_status("A.5.1", "implemented")
    set_status("A.5.2", "in_progress")
    set_status("A.8.1", "not_applicable", applicable=False)
    set_automated("A.8.20", "failing")
    set_automated("A.8.21", "passing")
    set_automated("A.8.22", "error")
    evidence_add(controls=[ctrl("A.5.1")], title="Policy", actor=engineer, url="https://wiki/policy")
    evidence_add(
        controls=[ctrl("A.5.2")],
        title="Old export",
        actor=engineer,
        url="https://wiki/export",
        collected_at=timezone.now() - timedelta(days=400),
        valid_until=timezone.now() - timedelta(days=35),
    )
    approved_exemption(ciso, [ctrl("A.8.20"), ctrl("A.5.3")], days=10)
    snapshot_take(day=timezone.localdate() - timedelta(days=7))  # so that "since last week" shows its figures
    client.force_login(ciso)

    response = client.get("/")

    html = response.content.decode()
    figures = {figure.url: figure.value for figure in every_figure(response.context["standings"])}
    assert len(figures) > 100  # three frameworks and their themes
    links = {unescape(href) for href in re.findall(r'href="(/controls/\?[^"]*)"', html)}
    assert links == set(figures)  # every register link on the page is one of these figures, and each is shown
    # Each framework's figures, and every cell of its first theme, through the register page itself; the other
    # themes' cells (a hundred more) through the same filters and counts the register page runs, which is quicker.
    standings = response.context["standings"]
    through_page = {f.url for s in standings for f in [s.total, *s.statuses, *s.automated, *s.evidence, s.exempted]}
    through_page |= {
        f.url
        for s in standings
        for f in every_figure([s])
        if "group=" in f.url and s.themes[0].name.replace(" ", "+") in f.url
    }
    assert len(through_page) > 50
    for url, value in figures.items():
        assert urlsplit(url).path == "/controls/"
        if url in through_page:
            assert register_count(client, url) == value, url
        else:
            assert register_filter_count(url) == value, url
    assert figures["/controls/?framework=iso27001-2022&exemption=active"] == 2
    assert figures["/controls/?framework=iso27001-2022&automated=none"] == (
        Control.objects.filter(framework__slug="iso27001-2022").count() - 3
    )


def test_the_ciso_sees_where_iso_2022_stands(client, ciso, catalogs):
    set_status("A.5.1", "implemented")
    set_status("A.5.2", "implemented")
    set_status("A.5.3", "in_progress")
    set_automated("A.8.20", "failing")
    client.force_login(ciso)

    iso = next(s for s in client.get("/").context["standings"] if s.name.startswith("ISO/IEC 27001:2022"))

    by_label = {f.label: f for f in [*iso.statuses, *iso.automated, *iso.evidence]}
    total = Control.objects.filter(framework__slug="iso27001-2022").count()
    assert iso.total.value == total
    assert by_label["implemented"].value == 2
    assert by_label["in progress"].value == 1
    assert by_label["not started"].value == total - 3
    assert by_label["failing"].value == 1
    assert parse_qs(urlsplit(by_label["failing"].url).query) == {
        "framework": ["iso27001-2022"],
        "automated": ["failing"],
    }
    assert by_label["evidence missing"].value == total  # nothing collected yet
    themes = {t.name: t for t in iso.themes}
    organizational = next(t for name, t in themes.items() if name.lower().startswith("organi"))
    assert {f.label: f.value for f in organizational.statuses}["implemented"] == 2
    assert parse_qs(urlsplit(organizational.total.url).query)["group"] == [organizational.name]


def test_stale_and_missing_evidence_count_only_applicable_controls(client, ciso, engineer, catalogs):
    now = timezone.now()
    evidence_add(controls=[ctrl("A.5.1")], title="Fresh", actor=engineer, url="https://wiki/fresh")
    evidence_add(
        controls=[ctrl("A.5.2")],
        title="Stale",
        actor=engineer,
        url="https://wiki/stale",
        collected_at=now - timedelta(days=400),
        valid_until=now - timedelta(days=1),
    )
    set_status("A.5.3", "not_applicable", applicable=False)
    client.force_login(ciso)

    iso = next(s for s in client.get("/").context["standings"] if s.name.startswith("ISO/IEC 27001:2022"))

    stale, missing = (next(f for f in iso.evidence if f.tone == tone) for tone in ("stale", "missing"))
    applicable = Control.objects.filter(framework__slug="iso27001-2022", applicable=True).count()
    assert stale.value == 1
    assert missing.value == applicable - 2
    assert parse_qs(urlsplit(stale.url).query) == {
        "framework": ["iso27001-2022"],
        "applicable": ["yes"],
        "evidence": ["stale"],
    }


def test_only_approved_exemptions_expiring_within_30_days_are_listed(client, ciso, catalogs):
    approved_exemption(ciso, [ctrl("A.8.20")], days=10, title="Expiring soon")
    approved_exemption(ciso, [ctrl("A.8.21")], days=60, title="Later")
    services.exemption_propose(
        controls=[ctrl("A.8.22")],
        title="Only proposed",
        reason="x",
        expires_at=timezone.now() + timedelta(days=5),
        actor=ciso,
    )
    revoked = approved_exemption(ciso, [ctrl("A.8.23")], days=5, title="Revoked")
    services.exemption_revoke(exemption=revoked, actor=ciso)
    client.force_login(ciso)

    response = client.get("/")

    assert response.context["expiring_count"] == 1
    assert [e.title for e in response.context["expiring"]] == ["Expiring soon"]
    expiring = response.content.decode().split('id="expiring"', 1)[1].split("</section>", 1)[0]
    assert "Later" not in expiring and "Only proposed" not in expiring
    assert ctrl("A.8.20").get_absolute_url().encode() in response.content


def test_open_improvement_tickets_are_those_linked_and_not_closed(client, ciso, catalogs):
    linked_ticket(ciso, "SEC-1", "In Progress", ctrl("A.8.20"))
    linked_ticket(ciso, "SEC-2", "", ctrl("A.8.21"))  # no state reported yet: open, as Ticket.is_open says
    linked_ticket(ciso, "SEC-3", "Done", ctrl("A.8.22"))
    linked_ticket(ciso, "SEC-4", "Won't do", ctrl("A.8.22"))
    linked_ticket(ciso, "SEC-5", "open", None)
    client.force_login(ciso)

    response = client.get("/")

    expected = {t.key for t in Ticket.objects.filter(controls__isnull=False).distinct() if t.is_open}
    assert expected == {"SEC-1", "SEC-2"}
    assert response.context["open_ticket_count"] == 2
    assert {t.key for t in response.context["open_tickets"]} == expected


def test_the_trend_is_an_inline_svg_of_the_daily_snapshots(client, ciso, catalogs):
    today = timezone.localdate()
    for days_ago, implemented in ((20, 0), (10, 9), (0, 18)):
        Control.objects.filter(
            pk__in=Control.objects.filter(framework__slug="iso27001-2022").values("pk")[:implemented]
        ).update(status="implemented")
        snapshot_take(day=today - timedelta(days=days_ago))
    client.force_login(ciso)

    response = client.get("/")

    html = response.content.decode()
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    iso = next(s for s in response.context["trend"]["series"] if s.name == "ISO 27001:2022")
    assert len(iso.points) == 3
    ys = [float(y) for _, y, _ in iso.points]
    assert ys[0] > ys[1] > ys[2]  # more implemented: higher on the chart (smaller y)
    applicable = Control.objects.filter(framework__slug="iso27001-2022", applicable=True).count()
    assert f"{100 * 18 / applicable:.0f}% implemented" in iso.latest
    assert len(re.findall(r"<polyline", html)) == Framework.objects.count()


def test_with_fewer_than_two_snapshots_the_dashboard_says_how_the_trend_starts(client, ciso, catalogs):
    client.force_login(ciso)
    response = client.get("/")
    assert b"manage.py snapshot" in response.content and b"<polyline" not in response.content


def test_the_daily_snapshot_is_idempotent_per_day(catalogs):
    assert snapshot_daily() == Framework.objects.count()
    set_status("A.5.1", "implemented")
    snapshot_daily.apply()  # the second run of the day replaces the day's counts

    rows = DailySnapshot.objects.filter(day=timezone.localdate())
    assert rows.count() == Framework.objects.count()
    assert rows.get(framework__slug="iso27001-2022").counts["implemented"] == 1


def test_the_snapshot_command_takes_one_now(catalogs, capsys):
    call_command("snapshot")
    assert DailySnapshot.objects.filter(day=timezone.localdate()).count() == Framework.objects.count()
    assert "Snapshot taken for 3 framework(s)." in capsys.readouterr().out


def test_the_daily_snapshot_is_scheduled_in_celery_beat(db):
    task = PeriodicTask.objects.get(task=SNAPSHOT_TASK)
    assert task.enabled and task.crontab is not None
    assert (task.crontab.hour, task.crontab.minute) == ("0", "5")


def test_everyone_with_a_role_sees_the_dashboard_and_strangers_are_sent_to_log_in(client, auditor, catalogs):
    assert client.get("/").status_code == 302
    client.force_login(auditor)
    assert client.get("/").status_code == 200


def grow(ciso, engineer, size: int) -> None:
    """More of everything the dashboard reads: evidence, exemptions, tickets and snapshots."""
    controls = list(Control.objects.filter(framework__slug="iso27001-2022")[: size * 3])
    for index, control in enumerate(controls):
        evidence_add(controls=[control], title=f"E{index}", actor=engineer, url=f"https://wiki/{index}")
        ControlState.objects.filter(control=control).update(automated_status=["passing", "failing", "error"][index % 3])
        linked_ticket(ciso, f"SEC-{size}-{index}", "open", control)
    for index in range(size):
        approved_exemption(ciso, controls[index : index + 2], days=5 + index, title=f"X{size}-{index}")
        snapshot_take(day=timezone.localdate() - timedelta(days=index))


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_dashboard_runs_the_same_number_of_queries_whatever_the_data(client, ciso, engineer, catalogs):
    client.force_login(ciso)
    grow(ciso, engineer, 2)
    small = dashboard_queries(client)
    grow(ciso, engineer, 12)
    assert dashboard_queries(client) == small
    # session, user, role; frameworks, 1 aggregate; expiring exemptions and open tickets: a list with its count
    # + its controls, each; the trend; since last week: the snapshot, automated ids, status changes, stale
    # evidence, exemptions counted + those waiting + their controls; the scanners' panel: where scans stand (the
    # failing results per check, and the controls of the top checks, when some fail: test_dashboard_panels.py).
    # ...and the navigation's "Inbox (N)".
    assert small == 18
