"""The CISO opens the dashboard and follows its numbers to the failing and stale controls."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from compliance.models import Control, ControlState
from evidence.services import evidence_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ISO = "ISO/IEC 27001:2022 Annex A"


def ctrl(ref: str) -> Control:
    return Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref=ref)


def linked_controls(page) -> set[str]:
    """The controls the register lists, read from its rows' links to control pages, whatever its markup."""
    hrefs = page.locator("main a[href^='/controls/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return {href for href in hrefs if re.fullmatch(r"/controls/[\w-]+/[^/]+/", href)}


def follow(page, figure_name: re.Pattern):
    card = page.locator("section.framework").filter(has=page.get_by_role("heading", name=ISO, exact=True))
    card.get_by_role("link", name=figure_name).click()
    page.wait_for_url(re.compile(r"/controls/\?"))
    return parse_qs(urlsplit(page.url).query)


def test_the_ciso_goes_from_the_dashboard_to_the_failing_and_the_stale_controls(
    login_page, ciso, engineer, catalogs, screenshots
):
    for ref in ("A.5.1", "A.5.2"):
        ControlState.objects.update_or_create(control=ctrl(ref), defaults={"automated_status": "failing"})
    now = timezone.now()
    evidence_add(
        controls=[ctrl("A.5.3")],
        title="Last year's access review",
        actor=engineer,
        url="https://wiki/access-review",
        collected_at=now - timedelta(days=400),
        valid_until=now - timedelta(days=30),
    )

    page = login_page(ciso)
    page.set_default_timeout(10_000)
    page.screenshot(path=screenshots / "1-dashboard.png", full_page=True)
    assert page.locator("h1").first.inner_text() == "Where we stand"

    query = follow(page, re.compile(r"^2 failing$"))
    page.screenshot(path=screenshots / "2-failing-controls.png", full_page=True)
    assert query == {"framework": ["iso27001-2022"], "automated": ["failing"]}
    assert page.locator("h1").first.inner_text().strip()
    assert linked_controls(page) == {ctrl("A.5.1").get_absolute_url(), ctrl("A.5.2").get_absolute_url()}

    page.go_back()
    query = follow(page, re.compile(r"^1 evidence stale$"))
    page.screenshot(path=screenshots / "3-stale-evidence.png", full_page=True)
    assert query == {"framework": ["iso27001-2022"], "applicable": ["yes"], "evidence": ["stale"]}
    assert linked_controls(page) == {ctrl("A.5.3").get_absolute_url()}

    page.go_back()
    theme = page.locator("table tr").filter(has=page.get_by_role("rowheader", name="Organisational controls"))
    theme.get_by_role("link", name="2 failing in Organisational controls").click()
    page.wait_for_url(re.compile(r"/controls/\?"))
    page.screenshot(path=screenshots / "4-failing-in-a-theme.png", full_page=True)
    assert parse_qs(urlsplit(page.url).query) == {
        "framework": ["iso27001-2022"],
        "group": ["Organisational controls"],
        "automated": ["failing"],
    }
