"""The dashboard's top failing checks (a panel the scanners add) and what changed since last week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import services
from compliance.dashboard import snapshot_take
from compliance.models import Control, ControlState
from evidence.services import evidence_add
from scanners.verdict import checks_speaking_for
from tests.compliance.conftest import scanned

pytestmark = pytest.mark.django_db


def ctrl(ref: str, framework: str = "iso27001-2022") -> Control:
    return Control.objects.select_related("framework").get(framework__slug=framework, ref=ref)


def panel_rows(response):
    return next(panel for panel in response.context["panels"] if "rows" in panel.context).context


def findings_listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return len(response.context["page"].rows)


def test_the_ciso_sees_the_checks_failing_on_most_resources_with_the_controls_each_decides(
    client, ciso, catalogs, cloud_account
):
    scanned(
        cloud_account,
        {
            "s3_bucket_versioning_enabled": ["fail", "fail", "fail", "pass"],
            "iam_user_console_mfa": ["fail"],
            "s3_bucket_default_encryption": ["pass", "pass"],
        },
    )
    client.force_login(ciso)

    response = client.get("/")

    panel = panel_rows(response)
    assert panel["failing_count"] == 2
    versioning, mfa = panel["rows"]
    assert (versioning.check.id, versioning.resources) == ("s3_bucket_versioning_enabled", 3)
    assert (mfa.check.id, mfa.resources) == ("iam_user_console_mfa", 1)
    for row in (versioning, mfa):
        expected = {c.pk for c in Control.objects.select_related("framework") if row.check.id in checks_speaking_for(c)}
        assert {c.pk for c in row.controls} == expected and expected
        assert findings_listed(client, row.findings_url) == row.resources  # the figure opens exactly its results
    html = response.content.decode()
    assert "Top failing checks" in html and versioning.findings_url.replace("&", "&amp;") in html
    assert ctrl("A.8.13").get_absolute_url() in html


def test_a_new_scan_changes_the_top_failing_checks_at_once(client, ciso, catalogs, cloud_account):
    scanned(cloud_account, {"s3_bucket_versioning_enabled": ["fail", "fail"]})
    client.force_login(ciso)
    assert [row.resources for row in panel_rows(client.get("/"))["rows"]] == [2]

    scanned(cloud_account, {"s3_bucket_versioning_enabled": ["pass", "fail"]})

    assert [row.resources for row in panel_rows(client.get("/"))["rows"]] == [1]


def test_with_no_failing_check_the_panel_says_so(client, ciso, catalogs, cloud_account):
    scanned(cloud_account, {"s3_bucket_versioning_enabled": ["pass"]})
    client.force_login(ciso)
    assert b"No check fails on any scanned resource." in client.get("/").content


def approved(ciso, engineer, controls, title: str, days: int):
    exemption = services.exemption_propose(
        controls=controls,
        title=title,
        reason="Planned",
        expires_at=timezone.now() + timedelta(days=days),
        actor=engineer,
    )
    return services.exemption_approve(exemption=exemption, actor=ciso)


def test_since_last_week_names_what_changed(client, ciso, engineer, catalogs):
    ControlState.objects.update_or_create(control=ctrl("A.8.20"), defaults={"automated_status": "passing"})
    ControlState.objects.update_or_create(control=ctrl("A.8.21"), defaults={"automated_status": "failing"})
    snapshot_take(day=timezone.localdate() - timedelta(days=7))
    ControlState.objects.filter(control=ctrl("A.8.20")).update(automated_status="failing")
    ControlState.objects.filter(control=ctrl("A.8.21")).update(automated_status="passing")
    services.control_update(control=ctrl("A.5.1"), actor=ciso, status="implemented")
    evidence_add(
        controls=[ctrl("A.5.2")],
        title="Access review Q3",
        actor=engineer,
        url="https://wiki/review",
        collected_at=timezone.now() - timedelta(days=90),
        valid_until=timezone.now() - timedelta(days=2),
    )
    approved(ciso, engineer, [ctrl("A.8.22")], "Legacy VPN", days=40)
    services.exemption_propose(
        controls=[ctrl("A.8.23")],
        title="Web filter pilot",
        reason="Pilot",
        expires_at=timezone.now() + timedelta(days=20),
        actor=engineer,
    )
    client.force_login(ciso)

    response = client.get("/")

    changes = response.context["changes"]
    assert [c.ref for c in changes["newly_failing"].items] == ["A.8.20"]
    assert [c.ref for c in changes["newly_passing"].items] == ["A.8.21"]
    assert [(c.ref, was, now) for c, was, now in changes["status_changed"].items] == [
        ("A.5.1", "Not started", "Implemented")
    ]
    assert [c.ref for c in changes["gone_stale"].items] == ["A.5.2"]
    assert changes["exemptions"] == {"approved": 1, "expired": 0, "waiting": 1}
    iso = dict(changes["deltas"])["ISO 27001:2022"]
    implemented = next(d for d in iso if d.label == "implemented")
    assert (implemented.before, implemented.figure.value, implemented.verdict) == (0, 1, "better")
    html = response.content.decode()
    assert "Web filter pilot" in html and f"{ctrl('A.8.23').get_absolute_url()}#exemptions" in html
    assert "Not started → Implemented" in html


def test_without_a_snapshot_from_a_week_ago_the_dashboard_says_when_the_comparison_starts(client, ciso, catalogs):
    client.force_login(ciso)
    assert b"No snapshot from a week ago yet" in client.get("/").content


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


@override_settings(EXEMPTION_SELF_APPROVAL=True)
def test_the_dashboard_with_scans_and_changes_runs_a_fixed_number_of_queries(
    client, ciso, engineer, catalogs, cloud_account
):
    client.force_login(ciso)

    def grow(size: int) -> None:
        scanned(cloud_account, {"s3_bucket_versioning_enabled": ["fail"] * size, "iam_user_console_mfa": ["fail"]})
        for index, control in enumerate(Control.objects.filter(framework__slug="iso27001-2022")[size : size * 2]):
            services.control_update(control=control, actor=ciso, status="in_progress")
            approved(ciso, engineer, [control], f"E{size}-{index}", days=10 + index)
        snapshot_take(day=timezone.localdate() - timedelta(days=7 + size))

    grow(2)
    dashboard_queries(client)  # the first view after a scan counts the failing results again
    small = dashboard_queries(client)
    grow(12)
    dashboard_queries(client)
    assert dashboard_queries(client) == small
    assert small <= 24
