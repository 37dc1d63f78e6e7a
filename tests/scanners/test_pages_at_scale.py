"""The control page, the evidence API and the inventory cost the same queries however many findings there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import Control
from evidence.services import evidence_add
from tests.scanners.test_scans_pages import grow_cloud

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def test_the_control_page_and_the_evidence_api_do_not_grow_with_findings(client, ciso, fake_cloud, catalogs):
    control = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    for index in range(3):
        evidence_add(controls=[control], title=f"Export {index}", actor=ciso, url=f"https://ci.example/{index}")
    client.force_login(ciso)
    pages = [control.get_absolute_url(), "/api/evidence/", f"/api/evidence/?control={control.tag}"]
    grow_cloud(fake_cloud, accounts=range(1), per_type=2)
    for url in pages:
        client.get(url)  # the session and role caches
    small = {url: queries(client, url) for url in pages}
    grow_cloud(fake_cloud, accounts=range(1, 4), per_type=30)
    for index in range(3, 30):
        evidence_add(controls=[control], title=f"Export {index}", actor=ciso, url=f"https://ci.example/{index}")
    assert {url: queries(client, url) for url in pages} == small
    # auth and role (3), then the page: tags for the whole page in one query, no person or item per row
    assert small["/api/evidence/"] <= 5, small
    assert small[control.get_absolute_url()] <= 20, small


def test_the_evidence_api_shows_who_collected_what_supersedes_it_and_its_controls(client, ciso, catalogs):
    first, second = Control.objects.filter(framework__slug="iso27001-2022").order_by("sort_key")[:2]
    old = evidence_add(controls=[second, first], title="Old export", actor=ciso, url="https://ci.example/1")
    new = evidence_add(
        controls=[first, second], title="New export", actor=ciso, url="https://ci.example/2", supersedes=old
    )
    client.force_login(ciso)
    rows = {row["title"]: row for row in client.get("/api/evidence/").json()["results"]}
    assert rows["Old export"]["controls"] == [f"iso27001-2022:{first.ref}", f"iso27001-2022:{second.ref}"]
    assert rows["Old export"]["superseded_by"] == new.pk and rows["New export"]["superseded_by"] is None
    assert rows["New export"]["collected_by"] == "ciso"
    one = client.get(f"/api/evidence/{old.pk}/").json()
    assert one["controls"] == rows["Old export"]["controls"] and one["superseded_by"] == new.pk
